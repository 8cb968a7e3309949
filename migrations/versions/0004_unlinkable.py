"""unlinkable storage: no row ids for respondents' tables, spent tokens, staff sessions,
passphrase-sealed review workspaces, publish runs

Revision ID: 0004
Revises: 0003

On SQLite, ``responses`` and ``access_codes`` are rebuilt ``WITHOUT ROWID`` (rows kept in the
order of their random ids), so no row id records the order rows were written in. Review
workspaces sealed with the server's data key are dropped: from now on a workspace is sealed
under a key only a key holder's passphrase unlocks (analyse the survey again to review it).
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _responses_columns():
    return [
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('survey_id', sa.String(length=32), nullable=False),
        sa.Column('questionnaire_version', sa.String(length=20), nullable=False),
        sa.Column('submitted_on', sa.Date(), nullable=False),
        sa.Column('envelope', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_responses_survey_id_surveys'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_responses')),
    ]


def _codes_columns():
    return [
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('survey_id', sa.String(length=32), nullable=False),
        sa.Column('digest', sa.LargeBinary(length=32), nullable=False),
        sa.Column('used', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_access_codes_survey_id_surveys'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_access_codes')),
        sa.UniqueConstraint('digest', name=op.f('uq_access_codes_digest')),
    ]


def _rebuild(table, columns, names, rowid):
    """Rebuild an SQLite table with or without row ids, copying rows in id order."""
    fresh = f'{table}_rebuilt'
    op.create_table(fresh, *columns, sqlite_with_rowid=rowid)
    listed = ', '.join(names)
    op.execute(f'INSERT INTO {fresh} ({listed}) SELECT {listed} FROM {table} ORDER BY id')
    op.drop_index(f'ix_{table}_survey_id', table_name=table)
    op.drop_table(table)
    op.rename_table(fresh, table)
    op.create_index(f'ix_{table}_survey_id', table, ['survey_id'], unique=False)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        _rebuild('responses', _responses_columns(),
                 ['id', 'survey_id', 'questionnaire_version', 'submitted_on', 'envelope'], False)
        _rebuild('access_codes', _codes_columns(), ['id', 'survey_id', 'digest', 'used'], False)

    op.create_table('spent_tokens',
    sa.Column('digest', sa.LargeBinary(length=32), nullable=False),
    sa.Column('survey_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_spent_tokens_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_spent_tokens')),
    sqlite_with_rowid=False,
    )
    op.create_index(op.f('ix_spent_tokens_survey_id'), 'spent_tokens', ['survey_id'], unique=False)

    op.create_table('staff_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('stage', sa.String(length=10), nullable=False),
    sa.Column('credentials', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], name=op.f('fk_staff_sessions_user_id_staff_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_sessions'))
    )
    op.create_index(op.f('ix_staff_sessions_user_id'), 'staff_sessions', ['user_id'], unique=False)

    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('analysis_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), nullable=False, server_default='analysis'))
    # Workspaces sealed with the server's own key are exactly what must no longer exist.
    op.execute('UPDATE releases SET workspace = NULL')
    with op.batch_alter_table('releases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('workspace_key', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('releases', schema=None) as batch_op:
        batch_op.drop_column('workspace_key')
    op.execute('UPDATE releases SET workspace = NULL')
    with op.batch_alter_table('analysis_runs', schema=None) as batch_op:
        batch_op.drop_column('kind')
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
    op.drop_index(op.f('ix_staff_sessions_user_id'), table_name='staff_sessions')
    op.drop_table('staff_sessions')
    op.drop_index(op.f('ix_spent_tokens_survey_id'), table_name='spent_tokens')
    op.drop_table('spent_tokens')
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild('access_codes', _codes_columns(), ['id', 'survey_id', 'digest', 'used'], True)
        _rebuild('responses', _responses_columns(),
                 ['id', 'survey_id', 'questionnaire_version', 'submitted_on', 'envelope'], True)
