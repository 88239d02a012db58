"""Users in the auth database. Each change bumps SIGN_INS and appends its audit event, in one
transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from auth.models import ExperimentGrantRow, ModelGrantRow, UserRow, WorkspaceGrantRow
from auth.store.changes import SIGN_INS, Changes
from auth.store.events import Actor, append as audit
from tracking.hostkit import AlreadyExists, NotFound


class UnknownUser(NotFound):
    """No user has this name (the API hides the difference from non-admins)."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    password_hash: str
    is_admin: bool


def _user(row: UserRow) -> User:
    return User(row.id, row.username, row.password_hash, bool(row.is_admin))


def user_row(session: Session, username: str) -> UserRow:
    """The row of the user of that name; UnknownUser (404) when there is none."""
    row = session.scalar(select(UserRow).where(UserRow.username == username))
    if row is None:
        raise UnknownUser(f"User with username={username} not found")
    return row


class Users(Changes):
    """Who may sign in, with their password hashes and admin flags."""

    def get_user(self, username: str) -> User | None:
        """The user of that name, or None."""
        with self.database.session() as session:
            row = session.scalar(select(UserRow).where(UserRow.username == username))
            return _user(row) if row else None

    def list_users(self) -> list[User]:
        """Every user, by id."""
        with self.database.session() as session:
            return [_user(row) for row in session.scalars(select(UserRow).order_by(UserRow.id))]

    def create_user(self, username: str, password_hash: str, is_admin: bool = False, *,
                    by: Actor | None = None) -> User:
        """A new user; 400 RESOURCE_ALREADY_EXISTS when the name is taken."""
        try:
            with self._changing(SIGN_INS) as session:
                row = UserRow(username=username, password_hash=password_hash, is_admin=is_admin)
                session.add(row)
                session.flush()
                audit(session, by, "user.created", f"user {username}", is_admin=bool(is_admin))
                return _user(row)
        except IntegrityError:
            raise AlreadyExists(f"User (username={username}) already exists.") from None

    def update_user(self, username: str, *, by: Actor | None = None, **changes) -> None:
        """Change password_hash and/or is_admin; 404 for an unknown user."""
        with self._changing(SIGN_INS) as session:
            row = user_row(session, username)
            if "password_hash" in changes:
                audit(session, by, "user.password_changed", f"user {username}")
            if "is_admin" in changes and bool(changes["is_admin"]) != bool(row.is_admin):
                audit(session, by, "user.admin_changed", f"user {username}", before=bool(row.is_admin),
                      after=bool(changes["is_admin"]))
            session.execute(update(UserRow).where(UserRow.id == row.id).values(**changes))

    def rehash(self, username: str, password_hash: str) -> None:
        """Store a stronger hash of the same password (at sign-in): nothing to audit or drop."""
        with self.database.session() as session:
            session.execute(update(UserRow).where(UserRow.username == username).values(password_hash=password_hash))

    def delete_user(self, username: str, *, by: Actor | None = None) -> None:
        """Delete a user and, with them, all their grants."""
        with self._changing(SIGN_INS) as session:
            row = user_row(session, username)
            dropped = {model.__tablename__: session.execute(delete(model).where(model.user_id == row.id)).rowcount
                       for model in (ExperimentGrantRow, ModelGrantRow, WorkspaceGrantRow)}
            session.delete(row)
            audit(session, by, "user.deleted", f"user {username}", grants_dropped=dropped)
