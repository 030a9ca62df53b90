"""signals waiting for routing: a partial index

Routing claims the signals still waiting (routed_at IS NULL, a handful among a million) in
batches, oldest first, and the reconciliation looks for the overdue ones. Without an index
both walk the primary key from the oldest signal past every routed one. The partial index
holds only the waiting ones, so it stays a few pages whatever the table's size.

Revision ID: c4e1a7b9d203
Revises: b71e0c4d2f88
Create Date: 2026-12-06 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e1a7b9d203'
down_revision = 'b71e0c4d2f88'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.create_index(
            'ix_signals_waiting',
            ['id'],
            unique=False,
            postgresql_where=sa.text('routed_at IS NULL'),
            sqlite_where=sa.text('routed_at IS NULL'),
        )


def downgrade():
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.drop_index('ix_signals_waiting')
