"""Auth database: users, experiment / registered-model / workspace grants, change counter.

Revision ID: a001
Revises: 
"""

from alembic import op
import sqlalchemy as sa


revision = 'a001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('auth_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('counter', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_changes'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=255), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_admin', sa.Boolean(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('experiment_permissions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('experiment_id', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('permission', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_experiment_permissions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_experiment_permissions')),
    sa.UniqueConstraint('experiment_id', 'user_id', name=op.f('uq_experiment_permissions_experiment_id_user_id'))
    )
    with op.batch_alter_table('experiment_permissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_experiment_permissions_user_id'), ['user_id'], unique=False)

    op.create_table('registered_model_permissions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('workspace', sa.String(length=63), server_default='default', nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('permission', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_registered_model_permissions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registered_model_permissions')),
    sa.UniqueConstraint('workspace', 'name', 'user_id', name=op.f('uq_registered_model_permissions_workspace_name_user_id'))
    )
    with op.batch_alter_table('registered_model_permissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registered_model_permissions_user_id'), ['user_id'], unique=False)

    op.create_table('workspace_permissions',
    sa.Column('workspace', sa.String(length=63), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('permission', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_workspace_permissions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workspace', 'user_id', name=op.f('pk_workspace_permissions'))
    )
    with op.batch_alter_table('workspace_permissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_workspace_permissions_user_id'), ['user_id'], unique=False)

    op.bulk_insert(sa.table("auth_changes", sa.column("id"), sa.column("counter")), [{"id": 1, "counter": 0}])


def downgrade() -> None:
    with op.batch_alter_table('workspace_permissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_workspace_permissions_user_id'))

    op.drop_table('workspace_permissions')
    with op.batch_alter_table('registered_model_permissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registered_model_permissions_user_id'))

    op.drop_table('registered_model_permissions')
    with op.batch_alter_table('experiment_permissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_experiment_permissions_user_id'))

    op.drop_table('experiment_permissions')
    op.drop_table('users')
    op.drop_table('auth_changes')
