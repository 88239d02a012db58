"""The change counters: one row per scope in auth_changes, bumped in the transaction of every
change that makes workers' caches stale, and read by every worker (auth.cache.ChangeWatch) to
notice other workers' changes. `bump` is the only code that moves them.

- SIGN_INS: users (sign-ins, admin flags, and with a deleted user their grants);
- GRANTS: grants changed or removed;
- PLACES: where resources live (deleted workspaces, purged experiments);
- CREATIONS: the creator's grant on a new resource, which only widens access: the worker that
  made it puts it into its cache, and other workers drop only their resource grants, keeping
  sign-ins, workspace grants and places.
Separate scopes, so that a busy server creating experiments does not flush every worker's
caches.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from auth.models import ChangeCounterRow
from tracking.hostkit import Database

SIGN_INS, GRANTS, PLACES, CREATIONS = 1, 2, 3, 4
SCOPES = (SIGN_INS, GRANTS, PLACES, CREATIONS)


def bump(session: Session, *scopes: int) -> None:
    """Count one change of each scope, in the session's transaction."""
    session.execute(update(ChangeCounterRow).where(ChangeCounterRow.id.in_(scopes))
                    .values(counter=ChangeCounterRow.counter + 1))


def counts(session: Session) -> dict[int, int]:
    """How many changes of each scope the auth database has seen."""
    return dict(session.execute(select(ChangeCounterRow.id, ChangeCounterRow.counter)).all())


class Changes:
    """Base of the stores whose writes workers cache: a database and whom to tell of a change."""

    def __init__(self, database: Database, on_change: Callable[[int], None] = lambda scope: None):
        self.database = database
        self.on_change = on_change

    @contextmanager
    def _changing(self, *scopes: int) -> Iterator[Session]:
        """A write that workers' caches depend on: it bumps the scopes' counters in its
        transaction, and once committed tells this worker (on_change, once per scope)."""
        with self.database.session() as session:
            yield session
            bump(session, *scopes)
        for scope in scopes:
            self.on_change(scope)

    def touch(self, scope: int) -> None:
        """Make every worker drop its caches of this scope (e.g. after a lockout)."""
        with self._changing(scope):
            pass

    def change_counts(self) -> dict[int, int]:
        """How many changes of each scope the auth database has seen (compared to spot stale caches)."""
        with self.database.session() as session:
            return counts(session)
