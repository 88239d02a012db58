"""Bounded, expiring, thread-safe caches of the auth layer.

- where a resource lives (resource -> workspace): only found resources are cached, and entries
  are dropped when a resource or workspace is deleted or moved;
- verified credentials: keyed by the username and an HMAC of the password under a per-process
  random key (never the password), so a cached sign-in needs no slow hash;
- each user's grants (on workspaces, on experiments, on one workspace's models).
The worker that changes users or grants drops the affected caches at once; every other worker
drops them when the auth database's change counters move, which it checks at most once a second.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from typing import Any, Callable, Hashable

from cachetools import TTLCache

_MISSING = object()


class LockedCache:
    """A TTL+LRU cache safe to share between a worker's threads."""

    def __init__(self, max_size: int, ttl_seconds: int):
        self._enabled = max_size > 0 and ttl_seconds > 0
        self._cache = TTLCache(maxsize=max(max_size, 1), ttl=max(ttl_seconds, 1))
        self._lock = threading.Lock()
        self._generation = 0  # bumped by every drop, so a load racing a drop is not remembered

    def get(self, key: Hashable) -> Any:
        """The cached value, or None."""
        with self._lock:
            return self._cache.get(key)

    def get_or_load(self, key: Hashable, load: Callable[[], Any]) -> Any:
        """The cached value, else load() remembered -- unless the cache was cleared while loading,
        since the loaded value may predate the change that cleared it."""
        with self._lock:
            value, generation = self._cache.get(key), self._generation
        if value is None:
            value = load()
            if self._enabled and value is not None:
                with self._lock:
                    if generation == self._generation:
                        self._cache[key] = value
        return value

    def put(self, key: Hashable, value: Any) -> None:
        """Remember a value (never None)."""
        if self._enabled and value is not None:
            with self._lock:
                self._cache[key] = value

    def update(self, key: Hashable, change: Callable[[Any], Any]) -> None:
        """Replace a cached value by change(value), when there is one (its age starts over); a
        load in flight meanwhile is not remembered, since it may predate the change."""
        with self._lock:
            self._generation += 1
            value = self._cache.get(key)
            if value is not None:
                self._cache[key] = change(value)

    def drop_where(self, doomed: Callable[[Hashable, Any], bool]) -> None:
        """Forget every entry for which doomed(key, value) holds."""
        with self._lock:
            self._generation += 1
            for key in [k for k, v in self._cache.items() if doomed(k, v)]:
                self._cache.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._generation += 1
            self._cache.clear()


class CredentialCache:
    """Sign-ins that were verified recently, keyed by username, an HMAC of the password and the
    client address."""

    def __init__(self, max_size: int, ttl_seconds: int):
        self._key = secrets.token_bytes(32)
        self._cache = LockedCache(max_size, ttl_seconds)

    def _fingerprint(self, username: str, password: str, address: str) -> tuple[str, bytes, str]:
        digest = hmac.new(self._key, password.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
        return username, digest, address

    def get(self, username: str, password: str, address: str = ""):
        """The user verified with exactly these credentials from this address, or None. (Per
        address, so that a lockout of one address is not bypassed by another's sign-in.)"""
        return self._cache.get(self._fingerprint(username, password, address))

    def put(self, username: str, password: str, address: str, user) -> None:
        """Remember a successful verification."""
        self._cache.put(self._fingerprint(username, password, address), user)

    def forget_user(self, username: str) -> None:
        """Forget every verification of one user (their sign-ins were just locked somewhere)."""
        self._cache.drop_where(lambda key, user: key[0] == username)

    def clear(self) -> None:
        """Forget every verification (a password, admin flag or user changed)."""
        self._cache.clear()


class ChangeWatch:
    """Calls on_change(scopes) when some of the auth database's change counters move; reads them
    at most once per `interval` seconds, so that other workers' changes reach this one within that
    bound. A failed read raises (the request fails closed) and is retried by the next request."""

    def __init__(self, read_counters: Callable[[], dict[int, int]],
                 on_change: Callable[[frozenset[int]], None], interval: float = 1.0,
                 clock: Callable[[], float] = time.monotonic):
        self._read, self._on_change, self._interval = read_counters, on_change, interval
        self._clock = clock
        self._seen: dict[int, int] | None = None
        # None until the first read: the first check always reads, however small the clock is
        # (time.monotonic() counts from boot on Linux, so it can be below the interval).
        self._checked: float | None = None
        self._lock = threading.Lock()

    def _is_due(self, now: float) -> bool:
        return self._checked is None or now - self._checked >= self._interval

    def poll(self) -> bool | None:
        """Check the counters if the interval has passed (always, the first time). None when
        they were not read; else whether they had moved since the last read."""
        now = self._clock()
        if not self._is_due(now):
            return None
        with self._lock:
            if not self._is_due(now):
                return None
            counters = self._read()
            previous, self._seen, self._checked = self._seen, counters, now
        moved = frozenset(scope for scope, value in counters.items()
                          if previous is not None and previous.get(scope) != value)
        if moved:
            self._on_change(moved)
        return bool(moved)

    def catch_up(self) -> bool:
        """Read the counters now (reacting to any move), whatever the interval; whether they
        had moved."""
        self._checked = None
        return bool(self.poll())

    def changed_here(self, scope: int) -> None:
        """This worker committed one change of the scope (and dealt with its own caches): the
        next read must not take it for another worker's. Counted as seen, so only other
        workers' changes move the counters from here on; a read that already saw it merely
        reports a move once more (a needless drop, never a missed one)."""
        with self._lock:
            if self._seen is not None and scope in self._seen:
                self._seen[scope] += 1
