"""The auth migrations build exactly the auth models (issue 11): a model changed without its
migration, or the reverse, fails here; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from auth.models import AuthBase
from auth.schema import migrate
from tracking.store.db import Database


@pytest.fixture
def database(database_uri):
    db = Database(database_uri)
    yield db
    db.dispose()


def test_migrated_auth_schema_matches_the_auth_models(database):
    migrate(database)
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True,
                                                               "include_name": _auth_tables_only})
        diff = compare_metadata(context, AuthBase.metadata)
    assert diff == []


def _auth_tables_only(name, type_, parent_names):
    return type_ != "table" or name in AuthBase.metadata.tables
