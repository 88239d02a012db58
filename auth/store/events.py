"""The audit trail's rows: events appended in the transaction of the change they record (or in
their own), and searched. The caller says who acted (an Actor); nothing here reads the request.
No password or hash is ever written; nothing updates or deletes an event."""

from __future__ import annotations

import getpass
import json
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import AuditEventRow
from tracking.hostkit import Database

SUCCESS, FAILURE, DENIED = "success", "failure", "denied"


@dataclass(frozen=True)
class Actor:
    """Who made a change: a user (or the name tried at a failed sign-in) and their address."""

    name: str
    address: str | None = None

    @staticmethod
    def offline() -> "Actor":
        """The operator of a command run outside requests (start-up, offline commands)."""
        try:
            return Actor(f"cli:{getpass.getuser()}")
        except (KeyError, OSError):
            return Actor("cli")


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


def append(session: Session, by: Actor | None, action: str, target: str, outcome: str = SUCCESS,
           **details) -> None:
    """Add an event to the session's transaction (the caller commits it with its change); no
    actor given means the operator of an offline command."""
    by = by or Actor.offline()
    session.add(AuditEventRow(timestamp=int(time.time() * 1000), actor=_text(by.name, 255),
                              address=_text(by.address or "", 64), action=action, target=_text(target, 512) or "",
                              outcome=outcome, details=json.dumps(details, default=str, sort_keys=True)))


def _text(value: str, limit: int) -> str | None:
    """As stored: no database keeps a NUL in text (it is spelled out), and columns are bounded."""
    return value.replace("\x00", "\\x00")[:limit] or None


class AuditEvents:
    """Events in their own transaction, and the search of them."""

    def __init__(self, database: Database):
        self.database = database

    def add(self, by: Actor | None, action: str, target: str, outcome: str = SUCCESS, **details) -> None:
        """Append one event now."""
        with self.database.session() as session:
            append(session, by, action, target, outcome, **details)

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
