"""series and sessions: feedback sessions of a series, and the session of a series' response

Revision ID: 0006
Revises: 0005

A series is a survey whose access mode is "sessions". ``responses.session_id`` is added as a
plain column (SQLite adds it in place, keeping the table WITHOUT ROWID).
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'feedback_sessions',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('survey_id', sa.String(length=32), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('format', sa.String(length=10), nullable=False),
        sa.Column('council', sa.String(length=80), nullable=True),
        sa.Column('facilitators', sa.String(length=300), nullable=False),
        sa.Column('short_code', sa.String(length=8), nullable=False),
        sa.Column('open_minutes', sa.Integer(), nullable=False),
        sa.Column('opens_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('settled', sa.Boolean(), nullable=False),
        sa.Column('created_on', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_feedback_sessions_survey_id_surveys'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_sessions')),
        sa.UniqueConstraint('short_code', name=op.f('uq_feedback_sessions_short_code')),
    )
    op.create_index(op.f('ix_feedback_sessions_survey_id'), 'feedback_sessions', ['survey_id'], unique=False)
    op.add_column('responses', sa.Column('session_id', sa.String(length=32), nullable=True))
    op.create_index(op.f('ix_responses_session_id'), 'responses', ['session_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_responses_session_id'), table_name='responses')
    with op.batch_alter_table('responses') as batch:
        batch.drop_column('session_id')
    op.drop_index(op.f('ix_feedback_sessions_survey_id'), table_name='feedback_sessions')
    op.drop_table('feedback_sessions')
