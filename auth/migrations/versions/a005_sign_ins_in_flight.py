"""Auth database: password checks in flight are counted beside failures, so that parallel
guesses cannot outrun a lockout.

Revision ID: a005
Revises: a004
"""

from alembic import op
import sqlalchemy as sa


revision = 'a005'
down_revision = 'a004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('login_failures') as batch:
        batch.add_column(sa.Column('pending', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('pending_since', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('login_failures') as batch:
        batch.drop_column('pending_since')
        batch.drop_column('pending')
