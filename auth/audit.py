"""The audit trail: security events appended to the auth database, and read back by admins.

Each event has a time, the actor (the signed-in user, the name tried at a failed sign-in, or
`cli:<os user>` outside requests: the server's start-up and offline commands), the client address, an action, a target, an
outcome and details as JSON (before and after for changed grants). No password or hash is ever
written. Nothing in wsauth updates or deletes an event.

Changes of users and grants append their event in the same transaction as the change. Workspace
changes are the host's, in the tracking database (which may be another database): their event is
written just after the change succeeded. Floodable events (every 403 answered, failed sign-ins)
are rate-limited per worker: past the limit they are
counted, and the next one recorded says how many were left out.
"""

from __future__ import annotations

import getpass
import json
import threading
import time
from dataclasses import dataclass

from flask import g, has_request_context, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import AuditEventRow

SUCCESS, FAILURE, DENIED = "success", "failure", "denied"
LIMITED = ("request.denied", "login.failed", "login.refused")


@dataclass(frozen=True)
class Event:
    id: int
    timestamp: int
    actor: str | None
    address: str | None
    action: str
    target: str
    outcome: str
    details: dict

    def to_json(self) -> dict:
        """The REST and CLI shape of an event."""
        return {"id": self.id, "timestamp": self.timestamp,
                "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.timestamp / 1000))
                + f".{self.timestamp % 1000:03d}Z",
                "actor": self.actor, "address": self.address, "action": self.action,
                "target": self.target, "outcome": self.outcome, "details": self.details}


def _who() -> tuple[str | None, str | None]:
    if not has_request_context():
        try:
            return f"cli:{getpass.getuser()}", None
        except (KeyError, OSError):
            return "cli", None
    user = g.get("auth_user")
    actor = getattr(user, "username", None) or g.get("auth_attempted_user")
    return actor, g.get("client_address") or request.remote_addr


def append(session: Session, action: str, target: str, outcome: str = SUCCESS, *,
           actor: str | None = None, **details) -> None:
    """Add an event to the session's transaction (the caller commits it with its change)."""
    who, address = _who()
    session.add(AuditEventRow(timestamp=int(time.time() * 1000), actor=_text(actor or who or "", 255),
                              address=_text(address or "", 64), action=action, target=_text(target, 512) or "",
                              outcome=outcome, details=json.dumps(details, default=str, sort_keys=True)))


def _text(value: str, limit: int) -> str | None:
    """As stored: no database keeps a NUL in text (it is spelled out), and columns are bounded."""
    return value.replace("\x00", "\\x00")[:limit] or None


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
    """Writes events in their own transaction, and searches them."""

    def __init__(self, database, per_minute: int):
        self.database = database
        self._limit = RateLimit(per_minute)

    def record(self, action: str, target: str, outcome: str = SUCCESS, **details) -> None:
        """Append one event now; floodable actions only while under the rate limit."""
        if action in LIMITED:
            dropped = self._limit.admit(action)
            if dropped is None:
                return
            if dropped:
                details["not_recorded_before"] = dropped
        with self.database.session() as session:
            append(session, action, target, outcome, **details)

    def search(self, *, actor: str | None = None, target: str | None = None, action: str | None = None,
               since: int | None = None, until: int | None = None, before_id: int | None = None,
               limit: int = 100) -> list[Event]:
        """Events matching every given filter, newest first (ids below before_id, for paging)."""
        query = select(AuditEventRow)
        for column, value in ((AuditEventRow.actor, actor), (AuditEventRow.target, target),
                              (AuditEventRow.action, action)):
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(AuditEventRow.timestamp >= since)
        if until is not None:
            query = query.where(AuditEventRow.timestamp < until)
        if before_id is not None:
            query = query.where(AuditEventRow.id < before_id)
        with self.database.session() as session:
            rows = session.scalars(query.order_by(AuditEventRow.id.desc()).limit(limit))
            return [Event(r.id, r.timestamp, r.actor, r.address, r.action, r.target, r.outcome,
                          json.loads(r.details or "{}")) for r in rows]
