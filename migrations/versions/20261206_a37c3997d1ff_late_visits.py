"""late visits

A findings sheet recorded offline arrives hours later: when it happened at the door
(observed_at; created_at stays when it arrived), and a flag for the coordinator when the
address no longer fitted it by then (reassigned, closed, duplicate), with who looked at it
and when. Visits stored before were never late: all new columns stay NULL.

Revision ID: a37c3997d1ff
Revises: 8b338cf94d4b
Create Date: 2026-12-06 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import fieldwork.db


# revision identifiers, used by Alembic.
revision = 'a37c3997d1ff'
down_revision = '8b338cf94d4b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('observed_at', fieldwork.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('flag', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('flag_reviewed_at', fieldwork.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('flag_reviewed_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_visits_flag'), ['flag'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_visits_flag_reviewed_by_id_users'), 'users', ['flag_reviewed_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_visits_flag_reviewed_by_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_visits_flag'))
        batch_op.drop_column('flag_reviewed_by_id')
        batch_op.drop_column('flag_reviewed_at')
        batch_op.drop_column('flag')
        batch_op.drop_column('observed_at')
