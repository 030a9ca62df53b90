"""strip photos in the worker

A referral card's strip photo is decoded by the worker, not in the web request: the upload
waits ("pending") until the worker keeps the clean JPEG ("done") or drops it ("failed").
Photos stored before were cleaned already: their status stays NULL.

Revision ID: 5f1c2a9d7e31
Revises: e0226964c1bc
Create Date: 2026-12-05 02:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5f1c2a9d7e31'
down_revision = 'e0226964c1bc'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('referral_submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('strip_photo_status', sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table('referral_submissions', schema=None) as batch_op:
        batch_op.drop_column('strip_photo_status')
