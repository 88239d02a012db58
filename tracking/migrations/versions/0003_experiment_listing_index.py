"""An index for listing a workspace's experiments newest first: without it a workspace with tens
of thousands of experiments sorts them all for every page.

Revision ID: 0003
Revises: 0002
"""

from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_experiments_listing', 'experiments',
                    ['workspace', 'lifecycle_stage', 'creation_time', 'experiment_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_experiments_listing', table_name='experiments')
