"""headcounts: each council's eligible staff for a survey, for response rates

Revision ID: 0008
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'headcounts',
        sa.Column('survey_id', sa.String(length=32), nullable=False),
        sa.Column('group_value', sa.String(length=80), nullable=False),
        sa.Column('headcount', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_headcounts_survey_id_surveys'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('survey_id', 'group_value', name=op.f('pk_headcounts')),
    )


def downgrade() -> None:
    op.drop_table('headcounts')
