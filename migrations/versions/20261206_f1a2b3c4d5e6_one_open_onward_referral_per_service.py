"""one open referral onward per case and service, enforced by the database

Two contact persons referring the same case to the same service at the same second both passed
the service's check and both sent the partner an e-mail. A partial unique index (PostgreSQL and
SQLite both have them) lets only one open referral exist; a declined or done referral does not
block a new one.

Revision ID: f1a2b3c4d5e6
Revises: edbbb50de28e
Create Date: 2026-12-06 06:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1a2b3c4d5e6'
down_revision = 'edbbb50de28e'
branch_labels = None
depends_on = None

OPEN = sa.text("state IN ('sent', 'accepted')")


def upgrade():
    op.create_index(
        'uq_onward_referrals_open',
        'onward_referrals',
        ['case_id', 'service_id'],
        unique=True,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade():
    op.drop_index('uq_onward_referrals_open', table_name='onward_referrals')
