"""capture receipts from the phone queue

A capture sent from the phone's queue carries an Idempotency-Key made when its form opened;
the receipt is committed with the capture, so a resend of the same key stores nothing new.

Revision ID: 8b338cf94d4b
Revises: 7d3e5a91c2f4
Create Date: 2026-12-05 03:40:05.508257

"""
from alembic import op
import sqlalchemy as sa

import fieldwork.db


# revision identifiers, used by Alembic.
revision = '8b338cf94d4b'
down_revision = '7d3e5a91c2f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('capture_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('next_url', sa.String(length=300), nullable=False),
    sa.Column('received_at', fieldwork.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_capture_receipts_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_capture_receipts')),
    sa.UniqueConstraint('key', name=op.f('uq_capture_receipts_key'))
    )
    with op.batch_alter_table('capture_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_capture_receipts_received_at'), ['received_at'], unique=False)



def downgrade():
    with op.batch_alter_table('capture_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_capture_receipts_received_at'))

    op.drop_table('capture_receipts')
