"""neighbourhood plans (issue 22): plans for one or more neighbourhoods, objectives from the
analysis's attention points, actions with partners and progress notes, outcome indicators,
residents' reactions, published residents' summaries and the printable PDFs. New tables only.

Revision ID: f8060575b44b
Revises: b98847fce357
Create Date: 2026-12-06 06:04:48.192609

"""
from alembic import op
import sqlalchemy as sa

import fieldwork.db


# revision identifiers, used by Alembic.
revision = 'f8060575b44b'
down_revision = 'b98847fce357'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', fieldwork.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', fieldwork.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_plans_created_by_id_users')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_plans_municipality_id_municipalities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans'))
    )
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plans_municipality_id'), ['municipality_id'], unique=False)

    op.create_table('plan_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('neighbourhood_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', fieldwork.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', fieldwork.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_plan_documents_created_by_id_users')),
    sa.ForeignKeyConstraint(['neighbourhood_id'], ['neighbourhoods.id'], name=op.f('fk_plan_documents_neighbourhood_id_neighbourhoods')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_documents_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_documents'))
    )
    with op.batch_alter_table('plan_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_documents_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_neighbourhoods',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('neighbourhood_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['neighbourhood_id'], ['neighbourhoods.id'], name=op.f('fk_plan_neighbourhoods_neighbourhood_id_neighbourhoods')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_neighbourhoods_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('plan_id', 'neighbourhood_id', name=op.f('pk_plan_neighbourhoods'))
    )
    with op.batch_alter_table('plan_neighbourhoods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_neighbourhoods_neighbourhood_id'), ['neighbourhood_id'], unique=False)

    op.create_table('plan_summaries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('neighbourhood_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('published_at', fieldwork.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['neighbourhood_id'], ['neighbourhoods.id'], name=op.f('fk_plan_summaries_neighbourhood_id_neighbourhoods')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_summaries_plan_id_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_plan_summaries_published_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_summaries')),
    sa.UniqueConstraint('plan_id', 'neighbourhood_id', name=op.f('uq_plan_summaries_plan_id_neighbourhood_id')),
    sa.UniqueConstraint('token', name=op.f('uq_plan_summaries_token'))
    )
    op.create_table('plan_objectives',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('neighbourhood_id', sa.Integer(), nullable=False),
    sa.Column('attention_point_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('heard', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', fieldwork.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attention_point_id'], ['attention_points.id'], name=op.f('fk_plan_objectives_attention_point_id_attention_points'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['neighbourhood_id'], ['neighbourhoods.id'], name=op.f('fk_plan_objectives_neighbourhood_id_neighbourhoods')),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_plan_objectives_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_objectives'))
    )
    with op.batch_alter_table('plan_objectives', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_objectives_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('objective_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('partners_text', sa.String(length=300), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('expected_output', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('milestones', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', fieldwork.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', fieldwork.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['objective_id'], ['plan_objectives.id'], name=op.f('fk_plan_actions_objective_id_plan_objectives'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_plan_actions_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_actions'))
    )
    with op.batch_alter_table('plan_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_actions_objective_id'), ['objective_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_actions_owner_id'), ['owner_id'], unique=False)

    op.create_table('plan_indicators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('objective_id', sa.Integer(), nullable=False),
    sa.Column('neighbourhood_id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=100), nullable=False),
    sa.Column('period_kind', sa.String(length=10), nullable=False),
    sa.Column('baseline_from', sa.Date(), nullable=False),
    sa.Column('baseline_until', sa.Date(), nullable=False),
    sa.Column('baseline', sa.Float(), nullable=True),
    sa.Column('target', sa.Float(), nullable=False),
    sa.Column('created_at', fieldwork.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['neighbourhood_id'], ['neighbourhoods.id'], name=op.f('fk_plan_indicators_neighbourhood_id_neighbourhoods')),
    sa.ForeignKeyConstraint(['objective_id'], ['plan_objectives.id'], name=op.f('fk_plan_indicators_objective_id_plan_objectives'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_indicators'))
    )
    with op.batch_alter_table('plan_indicators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_indicators_objective_id'), ['objective_id'], unique=False)

    op.create_table('plan_reactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('objective_id', sa.Integer(), nullable=False),
    sa.Column('met_on', sa.Date(), nullable=False),
    sa.Column('meeting', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', fieldwork.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_plan_reactions_created_by_id_users')),
    sa.ForeignKeyConstraint(['objective_id'], ['plan_objectives.id'], name=op.f('fk_plan_reactions_objective_id_plan_objectives'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_reactions'))
    )
    with op.batch_alter_table('plan_reactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_reactions_objective_id'), ['objective_id'], unique=False)

    op.create_table('plan_action_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', fieldwork.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['plan_actions.id'], name=op.f('fk_plan_action_notes_action_id_plan_actions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_plan_action_notes_author_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_action_notes'))
    )
    with op.batch_alter_table('plan_action_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_action_notes_action_id'), ['action_id'], unique=False)

    op.create_table('plan_action_partners',
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['plan_actions.id'], name=op.f('fk_plan_action_partners_action_id_plan_actions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['partner_organisations.id'], name=op.f('fk_plan_action_partners_organisation_id_partner_organisations')),
    sa.PrimaryKeyConstraint('action_id', 'organisation_id', name=op.f('pk_plan_action_partners'))
    )
    with op.batch_alter_table('plan_action_partners', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_action_partners_organisation_id'), ['organisation_id'], unique=False)



def downgrade():
    with op.batch_alter_table('plan_action_partners', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_action_partners_organisation_id'))

    op.drop_table('plan_action_partners')
    with op.batch_alter_table('plan_action_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_action_notes_action_id'))

    op.drop_table('plan_action_notes')
    with op.batch_alter_table('plan_reactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_reactions_objective_id'))

    op.drop_table('plan_reactions')
    with op.batch_alter_table('plan_indicators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_indicators_objective_id'))

    op.drop_table('plan_indicators')
    with op.batch_alter_table('plan_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_actions_owner_id'))
        batch_op.drop_index(batch_op.f('ix_plan_actions_objective_id'))

    op.drop_table('plan_actions')
    with op.batch_alter_table('plan_objectives', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_objectives_plan_id'))

    op.drop_table('plan_objectives')
    op.drop_table('plan_summaries')
    with op.batch_alter_table('plan_neighbourhoods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_neighbourhoods_neighbourhood_id'))

    op.drop_table('plan_neighbourhoods')
    with op.batch_alter_table('plan_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_documents_plan_id'))

    op.drop_table('plan_documents')
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plans_municipality_id'))

    op.drop_table('plans')
