"""Auth database: a fourth change counter, for the grants that creators get on new resources,
so that creating an experiment no longer drops every worker's grant caches.

Revision ID: a006
Revises: a005
"""

from alembic import op
import sqlalchemy as sa


revision = 'a006'
down_revision = 'a005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.bulk_insert(sa.table("auth_changes", sa.column("id"), sa.column("counter")), [{"id": 4, "counter": 0}])


def downgrade() -> None:
    op.execute("DELETE FROM auth_changes WHERE id = 4")
