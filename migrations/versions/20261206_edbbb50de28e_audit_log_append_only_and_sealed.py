"""audit log: append-only on PostgreSQL, sealed by a hash chain, indexed for reading back

A trigger refuses UPDATE, DELETE and TRUNCATE of audit_events and audit_seals for every role
(a superuser can still disable it: that is what the hash chain in audit_seals, sealed after
commit by `flask audit seal` and checked by `flask audit verify`, is for). The trigger costs
writers nothing (it fires on UPDATE/DELETE only) and takes no lock. SQLite has no such
trigger; the chain works on both.

The audit trail page filters by who and by what, newest first: two indexes (user_id, id) and
(action, id). Every audited request writes two more index entries.

Revision ID: edbbb50de28e
Revises: d0d2ae9b336c
Create Date: 2026-12-06 03:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'edbbb50de28e'
down_revision = 'd0d2ae9b336c'
branch_labels = None
depends_on = None

TABLES = ('audit_events', 'audit_seals')

REFUSE = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql
"""


def upgrade():
    op.create_table(
        'audit_seals',
        sa.Column('event_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('sealed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('event_id', name=op.f('pk_audit_seals')),
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_user_id', ['user_id', 'id'], unique=False)
        batch_op.create_index('ix_audit_events_action', ['action', 'id'], unique=False)
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(REFUSE)
    for table in TABLES:
        op.execute(
            f'CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} '
            'FOR EACH ROW EXECUTE FUNCTION audit_append_only()'
        )
        op.execute(
            f'CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} '
            'FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()'
        )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f'DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}')
            op.execute(f'DROP TRIGGER IF EXISTS {table}_append_only ON {table}')
        op.execute('DROP FUNCTION IF EXISTS audit_append_only()')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_action')
        batch_op.drop_index('ix_audit_events_user_id')
    op.drop_table('audit_seals')
