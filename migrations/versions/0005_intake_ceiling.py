"""open surveys: a responses-a-minute ceiling per survey, and the days it turned sends away

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('surveys') as batch:
        batch.add_column(sa.Column('responses_per_minute', sa.Integer(), nullable=True))
    op.create_table(
        'intake_refusals',
        sa.Column('survey_id', sa.String(length=32), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('refused', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_intake_refusals_survey_id_surveys'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('survey_id', 'day', name=op.f('pk_intake_refusals')),
    )


def downgrade() -> None:
    op.drop_table('intake_refusals')
    with op.batch_alter_table('surveys') as batch:
        batch.drop_column('responses_per_minute')
