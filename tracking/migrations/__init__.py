"""Alembic environment and versions of the tracking database; see tracking.store.schema."""
