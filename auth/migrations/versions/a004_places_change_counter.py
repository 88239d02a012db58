"""Auth database: a third change counter, for where resources live (deleted workspaces, purged
experiments), so that grant changes no longer drop the resource->workspace caches.

Revision ID: a004
Revises: a003
"""

from alembic import op
import sqlalchemy as sa


revision = 'a004'
down_revision = 'a003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.bulk_insert(sa.table("auth_changes", sa.column("id"), sa.column("counter")), [{"id": 3, "counter": 0}])


def downgrade() -> None:
    op.execute("DELETE FROM auth_changes WHERE id = 3")
