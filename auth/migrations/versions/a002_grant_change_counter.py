"""Auth database: a second change counter, for grants (the first now counts user changes only).

Revision ID: a002
Revises: a001
"""

from alembic import op
import sqlalchemy as sa


revision = 'a002'
down_revision = 'a001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.bulk_insert(sa.table("auth_changes", sa.column("id"), sa.column("counter")), [{"id": 2, "counter": 0}])


def downgrade() -> None:
    op.execute("DELETE FROM auth_changes WHERE id = 2")
