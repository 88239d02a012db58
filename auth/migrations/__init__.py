"""Alembic environment and versions of the auth database (version table alembic_version_auth)."""
