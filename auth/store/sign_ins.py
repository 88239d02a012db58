"""Sign-in counts in the auth database, per username and client address, shared by every worker
and host: failures within the current window, when a lockout ends, and the password checks in
flight. Each method is one short transaction; the rules (when to wait, when an attempt is stale)
are auth.lockout's, passed in as figures."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import and_, case, delete, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from auth.models import LoginFailureRow
from tracking.hostkit import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Counts:
    """One name's sign-ins from one address, as they were read."""

    failures: int
    window_start: int  # ms since the epoch
    locked_until: int | None


@dataclass(frozen=True)
class Lockout:
    username: str
    address: str
    failures: int
    locked_until: int | None  # ms since the epoch


class SignInCounts:
    """The rows of login_failures."""

    def __init__(self, database: Database):
        self.database = database

    def take(self, username: str, address: str, *, now: int, window: int, stale_before: int,
             budget: int) -> tuple[bool, Counts | None]:
        """Take one attempt from the budget, in one statement, so that two workers cannot both
        take the last one; first forget an ended window and attempts in flight since before
        `stale_before` (their worker died). (taken, the counts when not taken)."""
        mine = (LoginFailureRow.username == username, LoginFailureRow.address == address)
        with self.database.session() as session:
            session.execute(update(LoginFailureRow).where(
                *mine, LoginFailureRow.window_start < now - window,
                or_(LoginFailureRow.locked_until.is_(None), LoginFailureRow.locked_until <= now),
            ).values(failures=0, window_start=now, locked_until=None))
            session.execute(update(LoginFailureRow).where(
                *mine, LoginFailureRow.pending > 0, LoginFailureRow.pending_since < stale_before,
            ).values(pending=0))
            taken = session.execute(update(LoginFailureRow).where(
                *mine, or_(LoginFailureRow.locked_until.is_(None), LoginFailureRow.locked_until <= now),
                LoginFailureRow.failures + LoginFailureRow.pending < budget,
            ).values(pending=LoginFailureRow.pending + 1, pending_since=now))
            if taken.rowcount == 1:
                return True, None
            row = session.get(LoginFailureRow, (username, address))
            return False, None if row is None else Counts(row.failures, row.window_start, row.locked_until)

    def take_first(self, username: str, address: str, *, now: int, window: int) -> bool:
        """The first attempt of this name from this address: its row, holding the attempt; False
        when another worker added it at the same moment (take from it then)."""
        try:
            with self.database.session() as session:
                session.add(LoginFailureRow(username=username, address=address, failures=0, window_start=now,
                                            pending=1, pending_since=now))
        except IntegrityError:
            return False
        self._forget_ended(now, window)
        return True

    def _forget_ended(self, now: int, window: int) -> None:
        """Drop counts whose window ended, so that sprayed names cannot grow the table for long."""
        try:
            with self.database.session() as session:
                session.execute(delete(LoginFailureRow).where(
                    LoginFailureRow.window_start < now - window, LoginFailureRow.pending == 0,
                    or_(LoginFailureRow.locked_until.is_(None), LoginFailureRow.locked_until < now)))
        except DBAPIError as exc:  # housekeeping only; the next first attempt tries again
            log.info("stale sign-in counts not dropped this time: %s", exc.__class__.__name__)

    def settle(self, username: str, address: str, *, now: int, window: int, budget: int, failed: bool,
               reset: bool) -> bool:
        """Hand an attempt back, counting it when it failed, starting over when `reset`; True
        when that failure started a lockout (failures reached the budget)."""
        mine = (LoginFailureRow.username == username, LoginFailureRow.address == address)
        handed_back = case((LoginFailureRow.pending > 0, LoginFailureRow.pending - 1), else_=0)
        values = {"pending": handed_back}
        if failed:
            values["failures"] = LoginFailureRow.failures + 1
        if reset:
            values.update(failures=0, window_start=now, locked_until=None)
        with self.database.session() as session:
            if session.execute(update(LoginFailureRow).where(*mine).values(**values)).rowcount == 0:
                if not failed:
                    return False
                session.add(LoginFailureRow(username=username, address=address, failures=1, window_start=now,
                                            pending=0))  # an admin cleared the row meanwhile
                session.flush()
            row = session.get(LoginFailureRow, (username, address), populate_existing=True)
            if reset and row.pending == 0:
                session.delete(row)
                return False
            if failed and row.failures >= budget and not (row.locked_until and row.locked_until > now):
                row.locked_until = now + window
                return True
            return False

    def lockouts(self, username: str | None, *, now: int) -> list[Lockout]:
        """Lockouts in force at `now` (of one user, when given)."""
        query = select(LoginFailureRow).where(LoginFailureRow.locked_until > now)
        if username is not None:
            query = query.where(LoginFailureRow.username == username)
        with self.database.session() as session:
            return [Lockout(r.username, r.address, r.failures, r.locked_until)
                    for r in session.scalars(query.order_by(LoginFailureRow.username, LoginFailureRow.address))]

    def clear(self, username: str, address: str | None = None) -> int:
        """Drop the user's counts and lockouts (from one address, when given); how many went."""
        where = [LoginFailureRow.username == username]
        if address is not None:
            where.append(LoginFailureRow.address == address)
        with self.database.session() as session:
            return session.execute(delete(LoginFailureRow).where(and_(*where))).rowcount
