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
from contextlib import contextmanager
from typing import Iterator

from auth.store.sign_ins import Counts, Lockout, SignInCounts
from tracking.hostkit import ApiError

__all__ = ["Attempt", "Lockout", "LoginGuard", "TooManyAttempts", "client_address"]

STALE_MS = 10_000  # an attempt held this long was abandoned (its worker died): its place is freed
WAIT_SECONDS = 12.0  # the longest an attempt waits for others in flight (past STALE_MS, so they are freed)
WAIT_STEP_SECONDS = 0.02


class TooManyAttempts(ApiError):
    """Sign-ins of this name from this address are locked for a while."""

    status = 429
    error_code = "REQUEST_LIMIT_EXCEEDED"

    def __init__(self, retry_after: int, busy: bool = False):
        super().__init__(
            f"Too many sign-ins of this user from your address are being checked at once; retry in {retry_after} "
            "seconds." if busy else
            f"Too many failed sign-ins for this user from your address; retry in {retry_after} "
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


class Attempt:
    """One password check of a name from an address, holding its place in the budget."""

    def __init__(self, guard: "LoginGuard", username: str, address: str):
        self.guard, self.username, self.address, self.settled = guard, username, address, False

    def failed(self) -> bool:
        """The password was wrong: count it; True when that started a lockout."""
        self.settled = True
        return bool(self.guard.max_failures) and self.guard._settle(self.username, self.address, failed=True,
                                                                     reset=False)

    def succeeded(self) -> None:
        """The password was right: the count of this name from this address starts over."""
        self.settled = True
        if self.guard.max_failures:
            self.guard._settle(self.username, self.address, failed=False, reset=True)


def _key(username: str) -> str:
    """The name as stored: no database keeps a NUL in text, so it is spelled out."""
    return username.replace("\x00", "\\x00")[:255]


def _now() -> int:
    return int(time.time() * 1000)


def _pause() -> None:
    time.sleep(WAIT_STEP_SECONDS)


class LoginGuard:
    """Counts failures and refuses locked sign-ins; off when login_max_failures is 0.

    Every password check holds one of the name's attempts for this address while it runs, so
    that parallel guesses cannot outrun the count: failures on record plus attempts in flight
    never exceed login_max_failures. An attempt that finds the budget held by others waits for
    their outcome rather than being refused, so a right password is refused only once a lockout
    is on record.
    """

    def __init__(self, database, max_failures: int, lockout_seconds: int):
        self.counts = SignInCounts(database)
        self.max_failures, self.window = max_failures, lockout_seconds * 1000

    @contextmanager
    def attempt(self, username: str, address: str) -> Iterator["Attempt"]:
        """Hold one attempt while the password is checked; raise TooManyAttempts while locked.

        The block calls `failed()` or `succeeded()` on what it gets; when it does neither (it
        raised), the attempt is handed back uncounted."""
        attempt = Attempt(self, _key(username), address)
        if self.max_failures:
            self._reserve(attempt.username, address)
        try:
            yield attempt
        finally:
            if self.max_failures and not attempt.settled:
                self._settle(attempt.username, address, failed=False, reset=False)

    def _reserve(self, username: str, address: str) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            now = _now()
            taken, counts = self.counts.take(username, address, now=now, window=self.window,
                                             stale_before=now - STALE_MS, budget=self.max_failures)
            if taken:
                return
            until = self._locked_until(counts, now)
            if until:
                raise TooManyAttempts(max(1, math.ceil((until - now) / 1000)))
            if counts is None and self.counts.take_first(username, address, now=now, window=self.window):
                return
            if time.monotonic() > deadline:
                raise TooManyAttempts(1, busy=True)
            _pause()  # the budget is held by attempts in flight: await their outcome

    def _locked_until(self, counts: Counts | None, now: int) -> int | None:
        """When the lockout on these counts ends, if they are locked (a lowered
        login_max_failures locks counts already past it, until their window ends)."""
        if counts is None:
            return None
        if counts.locked_until and counts.locked_until > now:
            return counts.locked_until
        return counts.window_start + self.window if counts.failures >= self.max_failures else None

    def _settle(self, username: str, address: str, failed: bool, reset: bool) -> bool:
        """Hand the attempt back, counting it when it failed; True when that started a lockout."""
        return self.counts.settle(username, address, now=_now(), window=self.window, budget=self.max_failures,
                                  failed=failed, reset=reset)

    def lockouts(self, username: str | None = None) -> list[Lockout]:
        """Current lockouts (of one user, when given)."""
        return self.counts.lockouts(username, now=_now())

    def clear(self, username: str, address: str | None = None) -> int:
        """Lift the user's lockouts and failure counts (from one address, when given)."""
        return self.counts.clear(username, address)
