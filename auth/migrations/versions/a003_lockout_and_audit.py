"""Auth database: failed sign-ins (for lockouts) and the audit trail.

Revision ID: a003
Revises: a002
"""

from alembic import op
import sqlalchemy as sa


revision = 'a003'
down_revision = 'a002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_failures',
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_start', sa.BigInteger(), nullable=False),
    sa.Column('locked_until', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('username', 'address', name=op.f('pk_login_failures'))
    )
    op.create_index(op.f('ix_login_failures_window_start'), 'login_failures', ['window_start'], unique=False)
    op.create_table('audit_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=512), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('details', sa.Text(), server_default='{}', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    sqlite_autoincrement=True,
    )
    op.create_index('ix_audit_events_actor_id', 'audit_events', ['actor', 'id'], unique=False)
    op.create_index('ix_audit_events_action_id', 'audit_events', ['action', 'id'], unique=False)
    op.create_index('ix_audit_events_target_id', 'audit_events', ['target', 'id'], unique=False)
    op.create_index(op.f('ix_audit_events_timestamp'), 'audit_events', ['timestamp'], unique=False)


def downgrade() -> None:
    op.drop_table('audit_events')
    op.drop_table('login_failures')
