"""call lists imported by a campaign

A call campaign reads its own list (CSV) in the worker: call_imports holds the upload until
it is read and the report after; call_candidates the accepted people, from which the
selection (age band, living alone, neighbourhoods) builds the call list. living_alone is
NULL when the list did not say.

Revision ID: e3bbcd3a184a
Revises: c4e1a7b9d203
Create Date: 2026-12-06 00:50:46.208673

"""
from alembic import op
import sqlalchemy as sa

import fieldwork.db


# revision identifiers, used by Alembic.
revision = 'e3bbcd3a184a'
down_revision = 'c4e1a7b9d203'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('call_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', fieldwork.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', fieldwork.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['call_campaigns.id'], name=op.f('fk_call_imports_campaign_id_call_campaigns')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_call_imports_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_imports'))
    )
    with op.batch_alter_table('call_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_imports_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('call_candidates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_key', sa.String(length=200), nullable=False),
    sa.Column('street', sa.String(length=200), nullable=False),
    sa.Column('house_number', sa.String(length=20), nullable=False),
    sa.Column('postcode', sa.String(length=4), nullable=False),
    sa.Column('address_key', sa.String(length=240), nullable=False),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('living_alone', sa.Boolean(), nullable=True),
    sa.Column('sector_id', sa.Integer(), nullable=True),
    sa.Column('neighbourhood_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['call_campaigns.id'], name=op.f('fk_call_candidates_campaign_id_call_campaigns')),
    sa.ForeignKeyConstraint(['import_id'], ['call_imports.id'], name=op.f('fk_call_candidates_import_id_call_imports')),
    sa.ForeignKeyConstraint(['neighbourhood_id'], ['neighbourhoods.id'], name=op.f('fk_call_candidates_neighbourhood_id_neighbourhoods')),
    sa.ForeignKeyConstraint(['sector_id'], ['sectors.id'], name=op.f('fk_call_candidates_sector_id_sectors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_candidates')),
    sa.UniqueConstraint('campaign_id', 'name_key', 'address_key', name=op.f('uq_call_candidates_campaign_id_name_key_address_key'))
    )
    with op.batch_alter_table('call_candidates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_candidates_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_candidates_import_id'), ['import_id'], unique=False)


def downgrade():
    with op.batch_alter_table('call_candidates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_candidates_import_id'))
        batch_op.drop_index(batch_op.f('ix_call_candidates_campaign_id'))

    op.drop_table('call_candidates')
    with op.batch_alter_table('call_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_imports_campaign_id'))

    op.drop_table('call_imports')
