"""first contact on cases, cases by resident

The neighbourhood figures' time to first contact (median, p90) read, per case, the first
contact attempt from case_events in a subquery: at a region's scale (200k cases) that is
the dashboard's slowest query. A case now keeps its first contact attempt's time
(first_contact_at, set when the attempt is logged, see cases.models), filled here from the
events for the cases there are. And cases are found by resident (every figure joins cases to
their residents' neighbourhoods): an index on cases.resident_id, the partial unique one
covering open cases only. EXPLAIN ANALYZE on PostgreSQL, one municipality of 42k cases in
200k, the first-contact figures: 790 ms → see bench/README.md.

Revision ID: b71e0c4d2f88
Revises: d3c8f6ade19a
Create Date: 2026-12-06 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import fieldwork.db


# revision identifiers, used by Alembic.
revision = 'b71e0c4d2f88'
down_revision = 'd3c8f6ade19a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('first_contact_at', fieldwork.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index('ix_cases_resident_id', ['resident_id'], unique=False)
    op.execute(
        """
        UPDATE cases SET first_contact_at = (
            SELECT min(e.at) FROM case_events e
            WHERE e.case_id = cases.id AND e.type = 'contact_attempt' AND e.at >= cases.opened_at
        )
        """
    )


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_resident_id')
        batch_op.drop_column('first_contact_at')
