"""erasure ledger: which resident was erased, when, by whom, why (ids and a code only)

Replayed after every restore of a backup (fieldwork.privacy.backup), so a backup taken before
an erasure cannot bring the resident back. No foreign keys: the ledger must read the same in a
database restored from any backup.

Revision ID: d0d2ae9b336c
Revises: 0859629fe70a
Create Date: 2026-12-06 02:47:42.186044

"""
from alembic import op
import sqlalchemy as sa

import fieldwork.db


# revision identifiers, used by Alembic.
revision = 'd0d2ae9b336c'
down_revision = '0859629fe70a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('erasure_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('erased_at', fieldwork.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('by_user_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure_ledger'))
    )
    with op.batch_alter_table('erasure_ledger', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasure_ledger_resident_id'), ['resident_id'], unique=False)



def downgrade():
    with op.batch_alter_table('erasure_ledger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erasure_ledger_resident_id'))

    op.drop_table('erasure_ledger')
