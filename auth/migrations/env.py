"""Alembic environment of the auth database: runs on the connection handed in by auth.schema."""

from alembic import context

from auth.models import AuthBase

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=AuthBase.metadata,
    version_table=context.config.attributes["version_table"],
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
