"""Migrations: from empty to head, matching the models, once under concurrency, refusing strangers."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from tracking.store import schema
from tracking.store.db import Base, Database


@pytest.fixture
def database(database_uri):
    db = Database(database_uri)
    yield db
    db.dispose()


def test_upgrade_from_empty_creates_default_workspace_and_experiment(database):
    before, after = schema.upgrade(database.engine)
    assert (before, after) == (None, schema.head_revision())
    with database.engine.connect() as c:
        assert c.execute(text("SELECT name FROM workspaces")).scalars().all() == ["default"]
        row = c.execute(text("SELECT experiment_id, name, workspace FROM experiments")).one()
        assert tuple(row) == (0, "Default", "default")


def test_migrated_schema_matches_the_models(database):
    schema.upgrade(database.engine)
    with database.engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_first_created_experiment_after_migration_gets_id_one(database):
    schema.upgrade(database.engine)
    with database.session() as s:
        s.execute(text("INSERT INTO experiments (workspace, name, lifecycle_stage) VALUES ('default', 'x', 'active')"))
        assert s.execute(text("SELECT experiment_id FROM experiments WHERE name = 'x'")).scalar() == 1


def test_upgrade_twice_is_a_no_op(database):
    schema.upgrade(database.engine)
    assert schema.upgrade(database.engine) == (schema.head_revision(), schema.head_revision())


def test_concurrent_prepare_migrates_once(database_uri):
    databases = [Database(database_uri) for _ in range(4)]
    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda d: schema.prepare(d.engine), databases))
        with databases[0].engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM workspaces")).scalar() == 1
            assert c.execute(text("SELECT count(*) FROM experiments")).scalar() == 1
    finally:
        for d in databases:
            d.dispose()


def test_prepare_refuses_a_database_with_foreign_tables(database):
    with database.session() as s:
        s.execute(text("CREATE TABLE somebody_elses (id INTEGER)"))
    with pytest.raises(schema.SchemaError, match="no wsauth schema version.*somebody_elses"):
        schema.prepare(database.engine)


def test_prepare_refuses_an_outdated_database_and_names_the_command(database):
    schema.upgrade(database.engine)
    with database.session() as s:
        s.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    with pytest.raises(schema.SchemaError, match="wsauth db upgrade"):
        schema.prepare(database.engine)
