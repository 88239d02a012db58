"""Alembic environment: runs on the connection that tracking.store.schema hands in."""

from alembic import context

from tracking.store.db import Base
from tracking.store import models  # noqa: F401  (registers the tables on Base.metadata)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=context.config.attributes["version_table"],
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
