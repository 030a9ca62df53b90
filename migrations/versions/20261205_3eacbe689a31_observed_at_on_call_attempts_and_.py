"""observed_at on call attempts and referral submissions

When a call or a card happened on the phone, beside when it arrived (created_at): a record
sent from the phone's queue after a while without signal carries it.

Revision ID: 3eacbe689a31
Revises: a37c3997d1ff
Create Date: 2026-12-05 04:18:21.175724

"""
from alembic import op
import sqlalchemy as sa

import fieldwork.db


# revision identifiers, used by Alembic.
revision = '3eacbe689a31'
down_revision = 'a37c3997d1ff'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('call_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('observed_at', fieldwork.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('referral_submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('observed_at', fieldwork.db.UTCDateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('referral_submissions', schema=None) as batch_op:
        batch_op.drop_column('observed_at')

    with op.batch_alter_table('call_attempts', schema=None) as batch_op:
        batch_op.drop_column('observed_at')

