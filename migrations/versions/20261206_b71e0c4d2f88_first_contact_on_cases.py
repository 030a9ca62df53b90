"""first contact on cases, indexes for the neighbourhood figures

The neighbourhood figures' time to first contact (median, p90) read, per case, the first
contact attempt from case_events in a subquery: at a region's scale (200k cases) that is
the dashboard's slowest query. A case now keeps its first contact attempt's time
(first_contact_at, set when the attempt is logged, see cases.models), filled here from the
events for the cases there are. And cases are found by resident (every figure joins cases to
their residents' neighbourhoods): an index on cases.resident_id, the partial unique one
covering open cases only.

The figures count a neighbourhood's signals by domain, theme, polarity and source, and its
residents' cases: the neighbourhood indexes on signals and residents now carry what those
counts read (INCLUDE on PostgreSQL), so PostgreSQL answers from the index alone instead of
visiting a heap page for nearly every signal (a neighbourhood's signals are spread over the
whole table). They replace the single-column indexes, so a capture updates no more
indexes than before. EXPLAIN ANALYZE on PostgreSQL, 1M signals, one neighbourhood's 57k
signals: bitmap heap scan of 15,000 pages 475 ms → index-only scan 74 ms; the time to
first contact of a neighbourhood's 14k cases: 790 ms (a subquery per case) → 157 ms.

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
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.create_index(
            'ix_signals_neighbourhood_figures',
            ['neighbourhood_id', 'created_at'],
            unique=False,
            postgresql_include=['domain', 'theme', 'polarity', 'source'],
        )
        batch_op.drop_index('ix_signals_neighbourhood_id')
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.create_index(
            'ix_residents_neighbourhood_figures',
            ['neighbourhood_id'],
            unique=False,
            postgresql_include=['id'],
        )
        batch_op.drop_index('ix_residents_neighbourhood_id')
    op.execute(
        """
        UPDATE cases SET first_contact_at = (
            SELECT min(e.at) FROM case_events e
            WHERE e.case_id = cases.id AND e.type = 'contact_attempt' AND e.at >= cases.opened_at
        )
        """
    )


def downgrade():
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.create_index('ix_residents_neighbourhood_id', ['neighbourhood_id'], unique=False)
        batch_op.drop_index('ix_residents_neighbourhood_figures')
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.create_index('ix_signals_neighbourhood_id', ['neighbourhood_id'], unique=False)
        batch_op.drop_index('ix_signals_neighbourhood_figures')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_resident_id')
        batch_op.drop_column('first_contact_at')
