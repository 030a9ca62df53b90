"""a failed e-mail the coordinator has dealt with

An e-mail the server refused for good (a partner's address that bounces) is listed on the
coordinator's "Storingen" page until it is sent again or dismissed (the coordinator phoned the
partner): ``email_dismissed_at`` records the dismissal. Nullable, no backfill: every e-mail
failed before this revision is shown once.

Revision ID: a7c3e91d20f4
Revises: f8060575b44b
Create Date: 2026-12-06 14:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import fieldwork.db


# revision identifiers, used by Alembic.
revision = 'a7c3e91d20f4'
down_revision = 'f8060575b44b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications') as batch:
        batch.add_column(sa.Column('email_dismissed_at', fieldwork.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('notifications') as batch:
        batch.drop_column('email_dismissed_at')
