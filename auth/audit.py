"""The audit trail as the request sees it: who is acting (`current_actor`), the rate limit of
floodable events, and the log that records an event in its own transaction. The rows and their
SQL are auth.store.events.

Each event has a time, the actor (the signed-in user, the name tried at a failed sign-in, or
`cli:<os user>` outside requests: the server's start-up and offline commands), the client address, an action, a target, an
outcome and details as JSON (before and after for changed grants). No password or hash is ever
written. Nothing in wsauth updates or deletes an event.

Changes of users and grants append their event in the same transaction as the change, with the
actor their caller passes in. Workspace changes are the host's, in the tracking database (which
may be another database): their event is written just after the change succeeded. Floodable
events (every 403 answered, failed sign-ins) are rate-limited per worker: past the limit they
are counted, and the next one recorded says how many were left out.
"""

from __future__ import annotations

import threading
import time

from flask import g, has_request_context, request

from auth.store.events import DENIED, FAILURE, SUCCESS, Actor, AuditEvents, Event

__all__ = ["DENIED", "FAILURE", "SUCCESS", "Actor", "AuditLog", "Event", "RateLimit", "current_actor"]

LIMITED = ("request.denied", "login.failed", "login.refused")


def current_actor() -> Actor:
    """Who acts now: the signed-in user (or the name tried) and the client's address; outside
    requests, the operator of the command."""
    if not has_request_context():
        return Actor.offline()
    user = g.get("auth_user")
    name = getattr(user, "username", None) or g.get("auth_attempted_user") or ""
    return Actor(name, g.get("client_address") or request.remote_addr)


class RateLimit:
    """At most `per_minute` events of each action a minute in this worker (a fixed window)."""

    def __init__(self, per_minute: int):
        self._per_minute = per_minute
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int, int]] = {}  # action -> (minute, recorded, dropped)

    def admit(self, action: str) -> int | None:
        """None when over the limit; else how many events of the action were left out before."""
        minute = int(time.monotonic() // 60)
        with self._lock:
            start, recorded, dropped = self._windows.get(action, (minute, 0, 0))
            if start != minute:
                start, recorded = minute, 0
            if recorded >= self._per_minute:
                self._windows[action] = (start, recorded, dropped + 1)
                return None
            self._windows[action] = (start, recorded + 1, 0)
            return dropped


class AuditLog:
    """Records events in their own transaction, and searches them."""

    def __init__(self, database, per_minute: int):
        self._events = AuditEvents(database)
        self._limit = RateLimit(per_minute)
        self.search = self._events.search

    def record(self, action: str, target: str, outcome: str = SUCCESS, **details) -> None:
        """Append one event now, by the current actor; floodable actions only while under the
        rate limit."""
        if action in LIMITED:
            dropped = self._limit.admit(action)
            if dropped is None:
                return
            if dropped:
                details["not_recorded_before"] = dropped
        self._events.add(current_actor(), action, target, outcome, **details)
