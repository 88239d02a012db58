"""Brute-force protection: failed sign-ins counted per username and client address, in the auth
database so that every worker and host shares the count.

After `login_max_failures` failures within `login_lockout_seconds`, further attempts of that name
from that address get 429 with Retry-After, even with the right password, until the lockout ends.
A success resets the count. Because the count is per address, an attacker cannot lock a user out
from the user's own address; unknown names are counted like real ones, so a 429 reveals nothing
about which names exist. The client address is the connection's peer, or, when the peer is one
of `trusted_proxies`, the nearest address in X-Forwarded-For that is not a trusted proxy.
"""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.exc import IntegrityError

from auth.models import LoginFailureRow
from tracking.hostapi import ApiError


class TooManyAttempts(ApiError):
    """Sign-ins of this name from this address are locked for a while."""

    status = 429
    error_code = "REQUEST_LIMIT_EXCEEDED"

    def __init__(self, retry_after: int):
        super().__init__(f"Too many failed sign-ins for this user from your address; retry in {retry_after} "
                         "seconds, or ask an admin to clear the lockout.")
        self.headers = {"Retry-After": str(retry_after)}


def _ip(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(peer: str | None, forwarded_for: str | None, trusted: tuple) -> str:
    """The client's address, believing X-Forwarded-For only as far as trusted proxies wrote it."""
    peer = peer or "unknown"
    if not trusted or not forwarded_for:
        return peer
    ip = _ip(peer)
    if ip is None or not any(ip in net for net in trusted):
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        hop_ip = _ip(hop)
        if hop_ip is None:
            return peer  # a trusted proxy never writes this: the header was forged or mangled
        if not any(hop_ip in net for net in trusted):
            return str(hop_ip)
    return peer


@dataclass(frozen=True)
class Lockout:
    username: str
    address: str
    failures: int
    locked_until: int | None  # ms since the epoch


def _key(username: str) -> str:
    """The name as stored: no database keeps a NUL in text, so it is spelled out."""
    return username.replace("\x00", "\\x00")[:255]


def _now() -> int:
    return int(time.time() * 1000)


class LoginGuard:
    """Counts failures and refuses locked sign-ins; off when login_max_failures is 0."""

    def __init__(self, database, max_failures: int, lockout_seconds: int):
        self.database = database
        self.max_failures, self.window = max_failures, lockout_seconds * 1000

    def check(self, username: str, address: str) -> bool:
        """Raise TooManyAttempts while locked; else whether failures are on record (to reset)."""
        if not self.max_failures:
            return False
        with self.database.session() as session:
            row = session.get(LoginFailureRow, (_key(username), address))
            if row is None:
                return False
            now = _now()
            if row.locked_until and row.locked_until > now:
                raise TooManyAttempts(max(1, math.ceil((row.locked_until - now) / 1000)))
            return True

    def failed(self, username: str, address: str) -> bool:
        """Count a failure; True when it started a lockout."""
        if not self.max_failures:
            return False
        try:
            return self._count(_key(username), address)
        except IntegrityError:  # another worker counted the first failure at the same moment
            return self._count(_key(username), address)

    def _count(self, username: str, address: str) -> bool:
        now = _now()
        with self.database.session() as session:
            row = session.get(LoginFailureRow, (username, address), with_for_update=True)
            if row is None:
                row = LoginFailureRow(username=username, address=address, failures=0, window_start=now)
                session.add(row)
            elif now - row.window_start > self.window and not (row.locked_until and row.locked_until > now):
                row.failures, row.window_start, row.locked_until = 0, now, None
            row.failures += 1
            locked = row.failures >= self.max_failures and not row.locked_until
            if locked:
                row.locked_until = now + self.window
            session.flush()
            # Forget stale counts, so that sprayed names cannot grow the table for long.
            session.execute(delete(LoginFailureRow).where(
                LoginFailureRow.window_start < now - self.window,
                or_(LoginFailureRow.locked_until.is_(None), LoginFailureRow.locked_until < now)))
            return locked

    def succeeded(self, username: str, address: str) -> None:
        """A right password from this address: its count starts over."""
        with self.database.session() as session:
            session.execute(delete(LoginFailureRow).where(
                LoginFailureRow.username == _key(username), LoginFailureRow.address == address))

    def lockouts(self, username: str | None = None) -> list[Lockout]:
        """Current lockouts (of one user, when given)."""
        query = select(LoginFailureRow).where(LoginFailureRow.locked_until > _now())
        if username is not None:
            query = query.where(LoginFailureRow.username == username)
        with self.database.session() as session:
            return [Lockout(r.username, r.address, r.failures, r.locked_until)
                    for r in session.scalars(query.order_by(LoginFailureRow.username, LoginFailureRow.address))]

    def clear(self, username: str, address: str | None = None) -> int:
        """Lift the user's lockouts and failure counts (from one address, when given)."""
        where = [LoginFailureRow.username == username]
        if address is not None:
            where.append(LoginFailureRow.address == address)
        with self.database.session() as session:
            return session.execute(delete(LoginFailureRow).where(and_(*where))).rowcount
