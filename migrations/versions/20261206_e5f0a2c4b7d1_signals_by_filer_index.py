"""signals by filer: a partial index for Mijn signalen

Mijn signalen shows a user the signals they filed, newest first, 50 a page, with their
count. Without an index both read every signal (1M at a region's scale) for one filer's
few hundred. The index (filed_by_id, created_at, id) gives the page in its order (the id
breaks ties of created_at) and the count from the index alone. Only signals someone filed
are in it (filed_by_id IS NOT NULL): a signal with no filer costs nothing.
A capture writes one more index entry.

Revision ID: e5f0a2c4b7d1
Revises: e3bbcd3a184a
Create Date: 2026-12-06 02:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5f0a2c4b7d1'
down_revision = 'e3bbcd3a184a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.create_index(
            'ix_signals_filed_by',
            ['filed_by_id', 'created_at', 'id'],
            unique=False,
            postgresql_where=sa.text('filed_by_id IS NOT NULL'),
            sqlite_where=sa.text('filed_by_id IS NOT NULL'),
        )


def downgrade():
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.drop_index('ix_signals_filed_by')
