"""Keeping the auth database in step with offline tracking-database commands:

- `wsauth db migrate-to-default-workspace --auth-config`: registered-model grants move to
  'default' with their models; a grant that would clash aborts the whole move;
- `wsauth gc --auth-config`: the grants of purged experiments are dropped.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from auth import config
from auth.schema import migrate_existing
from auth.store import AuthStore
from tracking import hostapi, hostkit

DEFAULT = hostapi.DEFAULT_WORKSPACE


@contextmanager
def _store(config_path: str) -> Iterator[AuthStore]:
    database = hostkit.Database(config.load(Path(config_path)).database_uri)
    try:
        migrate_existing(database)
        yield AuthStore(database)
    finally:
        database.dispose()


def plan(config_path: str) -> tuple[int, list[str]]:
    """(grants that would move, conflicts) — changes nothing."""
    with _store(config_path) as store:
        return store.model_grants_to_move(DEFAULT)


def apply(config_path: str) -> int:
    """Move the grants in one transaction; ValueError (and nothing moved) on a conflict."""
    with _store(config_path) as store:
        return store.move_model_grants(DEFAULT, "wsauth db migrate-to-default-workspace")


def forget_experiments(config_path: str, experiment_ids: list[str]) -> int:
    """Drop the grants of permanently deleted experiments; returns how many went."""
    with _store(config_path) as store:
        return store.forget_experiments(experiment_ids)
