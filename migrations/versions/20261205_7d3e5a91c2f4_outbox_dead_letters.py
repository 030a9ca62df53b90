"""outbox dead letters

A message whose publish keeps failing is dead-lettered after OUTBOX_MAX_ATTEMPTS (dead_at),
shown on the coordinator's "Storingen" page, and retried or discarded there (discarded_at).

Revision ID: 7d3e5a91c2f4
Revises: 5f1c2a9d7e31
Create Date: 2026-12-05 01:55:00.000000

"""
from alembic import op
import sqlalchemy as sa

import fieldwork.db


# revision identifiers, used by Alembic.
revision = '7d3e5a91c2f4'
down_revision = '5f1c2a9d7e31'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_attempt_at', fieldwork.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('dead_at', fieldwork.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('discarded_at', fieldwork.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_messages_dead_at'), ['dead_at'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_dead_at'))
        batch_op.drop_column('discarded_at')
        batch_op.drop_column('dead_at')
        batch_op.drop_column('last_attempt_at')
