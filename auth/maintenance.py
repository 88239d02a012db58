"""Keeping the auth database in step with offline tracking-database commands:

- `wsauth db migrate-to-default-workspace --auth-config`: registered-model grants move to
  'default' with their models; a grant that would clash aborts the whole move;
- `wsauth gc --auth-config`: the grants of purged experiments are dropped.
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from auth import config
from auth.models import ModelGrantRow, UserRow
from auth.audit import append as audit
from auth.schema import migrate_existing
from tracking import hostapi, hostkit

DEFAULT = hostapi.DEFAULT_WORKSPACE


def _database(config_path: str) -> hostkit.Database:
    from pathlib import Path

    database = hostkit.Database(config.load(Path(config_path)).database_uri)
    try:
        migrate_existing(database)
    except ValueError:
        database.dispose()
        raise
    return database


def _conflicts(session) -> list[str]:
    clashing = (select(ModelGrantRow.name, ModelGrantRow.user_id)
                .group_by(ModelGrantRow.name, ModelGrantRow.user_id).having(func.count() > 1))
    rows = session.execute(
        select(ModelGrantRow.name, ModelGrantRow.workspace, UserRow.username)
        .join(UserRow, UserRow.id == ModelGrantRow.user_id)
        .where(ModelGrantRow.name.in_(select(clashing.subquery().c.name)))
        .order_by(ModelGrantRow.name, UserRow.username, ModelGrantRow.workspace)
    )
    return [f"registered_model_permissions: name='{name}', workspace='{ws}', username='{user}'"
            for name, ws, user in rows]


def plan(config_path: str) -> tuple[int, list[str]]:
    """(grants that would move, conflicts) — changes nothing."""
    database = _database(config_path)
    try:
        with database.session() as session:
            moving = session.scalar(select(func.count()).select_from(ModelGrantRow)
                                    .where(ModelGrantRow.workspace != DEFAULT))
            return moving, _conflicts(session)
    finally:
        database.dispose()


def apply(config_path: str) -> int:
    """Move the grants in one transaction; ValueError (and nothing moved) on a conflict."""
    database = _database(config_path)
    try:
        with database.session() as session:
            conflicts = _conflicts(session)
            if conflicts:
                raise ValueError(f"{len(conflicts)} registered-model grants would clash in 'default'")
            moved = session.execute(update(ModelGrantRow).where(ModelGrantRow.workspace != DEFAULT)
                                    .values(workspace=DEFAULT)).rowcount
            from auth.models import ChangeCounterRow

            session.execute(update(ChangeCounterRow).values(counter=ChangeCounterRow.counter + 1))
            audit(session, "permission.moved", "registered models of every workspace", grants=moved,
                  after=f"workspace {DEFAULT}", reason="wsauth db migrate-to-default-workspace")
            return moved
    finally:
        database.dispose()


def forget_experiments(config_path: str, experiment_ids: list[str]) -> int:
    """Drop the grants of permanently deleted experiments; returns how many went."""
    from auth.store import AuthStore

    database = _database(config_path)
    try:
        return AuthStore(database).forget_experiments(experiment_ids)
    finally:
        database.dispose()
