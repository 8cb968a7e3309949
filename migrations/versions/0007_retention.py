"""retention: how long a survey's raw responses are kept after it closes, and when they went

Revision ID: 0007
Revises: 0006

``retention_months`` counts from the close (24 unless the survey was given another period);
``shredded_on`` is the day ``flask retention apply`` deleted the survey's key slots and
responses (its published releases stay).
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('surveys') as batch:
        batch.add_column(
            sa.Column('retention_months', sa.Integer(), nullable=False, server_default='24')
        )
        batch.add_column(sa.Column('shredded_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('surveys') as batch:
        batch.drop_column('shredded_on')
        batch.drop_column('retention_months')
