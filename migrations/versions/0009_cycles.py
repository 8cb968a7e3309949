"""cycles: a survey's cycle label and the survey it follows, key holders invited to a new
cycle, and the codebook carried from last cycle's themes

Revision ID: 0009
Revises: 0008

``cycle`` is a label such as "2026-27"; ``previous_id`` names the survey of the cycle before
(no foreign key: a deleted survey leaves the chain shorter, never broken). A key slot with
``invitation`` set is wrapped under a one-time invitation code, not a passphrase: it opens
nothing until its key holder accepts and chooses a passphrase. ``carried_codebooks`` holds,
sealed under the server's key, the codes made from the previous cycle's named themes.
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('surveys') as batch:
        batch.add_column(sa.Column('cycle', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('previous_id', sa.String(length=32), nullable=True))
    with op.batch_alter_table('key_slots') as batch:
        batch.add_column(
            sa.Column('invitation', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        'carried_codebooks',
        sa.Column('survey_id', sa.String(length=32), nullable=False),
        sa.Column('source_id', sa.String(length=32), nullable=False),
        sa.Column('sealed', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_carried_codebooks_survey_id_surveys'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('survey_id', name=op.f('pk_carried_codebooks')),
    )


def downgrade() -> None:
    op.drop_table('carried_codebooks')
    with op.batch_alter_table('key_slots') as batch:
        batch.drop_column('invitation')
    with op.batch_alter_table('surveys') as batch:
        batch.drop_column('previous_id')
        batch.drop_column('cycle')
