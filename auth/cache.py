"""Bounded, expiring, thread-safe caches of the auth layer.

- where a resource lives (resource -> workspace): only found resources are cached, and entries
  are dropped when a resource or workspace is deleted or moved;
- verified credentials: keyed by the username and an HMAC of the password under a per-process
  random key (never the password), so a cached sign-in needs no slow hash.
Both are cleared when the auth database's change counter moves (checked at most once a second).
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

    def get(self, key: Hashable) -> Any:
        """The cached value, or None."""
        with self._lock:
            return self._cache.get(key)

    def put(self, key: Hashable, value: Any) -> None:
        """Remember a value (never None)."""
        if self._enabled and value is not None:
            with self._lock:
                self._cache[key] = value

    def drop_where(self, doomed: Callable[[Hashable, Any], bool]) -> None:
        """Forget every entry for which doomed(key, value) holds."""
        with self._lock:
            for key in [k for k, v in self._cache.items() if doomed(k, v)]:
                self._cache.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._cache.clear()


class CredentialCache:
    """Sign-ins that were verified recently, keyed by username and an HMAC of the password."""

    def __init__(self, max_size: int, ttl_seconds: int):
        self._key = secrets.token_bytes(32)
        self._cache = LockedCache(max_size, ttl_seconds)

    def _fingerprint(self, username: str, password: str) -> tuple[str, bytes]:
        digest = hmac.new(self._key, password.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
        return username, digest

    def get(self, username: str, password: str):
        """The user verified with exactly these credentials, or None."""
        return self._cache.get(self._fingerprint(username, password))

    def put(self, username: str, password: str, user) -> None:
        """Remember a successful verification."""
        self._cache.put(self._fingerprint(username, password), user)

    def clear(self) -> None:
        """Forget every verification (a password, admin flag or user changed)."""
        self._cache.clear()


class ChangeWatch:
    """Calls on_change when the auth database's change counter moves; reads it at most once
    per `interval` seconds, so that other workers' changes reach this one within that bound."""

    def __init__(self, read_counter: Callable[[], int], on_change: Callable[[], None], interval: float = 1.0):
        self._read, self._on_change, self._interval = read_counter, on_change, interval
        self._seen: int | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def poll(self) -> None:
        """Check the counter if the interval has passed."""
        now = time.monotonic()
        if now - self._checked < self._interval:
            return
        with self._lock:
            if now - self._checked < self._interval:
                return
            counter = self._read()
            self._checked = now
            changed, self._seen = self._seen is not None and counter != self._seen, counter
        if changed:
            self._on_change()

    def changed_here(self) -> None:
        """This worker changed something: react now, without waiting for the next read."""
        self._on_change()
        self._checked = 0.0
