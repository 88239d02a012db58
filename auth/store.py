"""Users and grants in the auth database: the one module of auth that touches SQL.

It returns plain values. Every change to what workers cache bumps one of two change counters in
the same transaction, so that other workers can tell their caches are stale, and tells this
worker at once (`on_change`): SIGN_INS for users (sign-ins, admin flags, and with a deleted user
their grants), GRANTS for grants, PLACES for deleted workspaces and purged experiments (where
resources live). Separate counters, so that a busy server creating experiments (each one grants
its creator MANAGE) does not flush every worker's sign-in and resource caches. Each change also appends its audit
event (auth.audit) in the same transaction: no change without its record, nor the reverse.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from auth.audit import append as audit
from auth.kinds import GRANT_KINDS, MODEL_GRANTS, GrantKind
from auth.models import ChangeCounterRow, ExperimentGrantRow, ModelGrantRow, UserRow, WorkspaceGrantRow
from auth.permissions import Permission
from tracking.hostkit import AlreadyExists, Database, NotFound, upsert


class UnknownUser(NotFound):
    """No user has this name (the API hides the difference from non-admins)."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    password_hash: str
    is_admin: bool


@dataclass(frozen=True)
class Grant:
    """A user's permission on one resource or workspace."""

    user_id: int
    username: str
    permission: Permission
    key: str  # experiment id, model name or workspace name
    workspace: str | None = None


SIGN_INS, GRANTS, PLACES = 1, 2, 3  # the change counters (rows of auth_changes)


def _user(row: UserRow) -> User:
    return User(row.id, row.username, row.password_hash, bool(row.is_admin))


class AuthStore:
    """Users, experiment grants, registered-model grants and workspace grants."""

    def __init__(self, database: Database, on_change: Callable[[int], None] = lambda scope: None):
        self.database = database
        self.on_change = on_change

    @contextmanager
    def _changing(self, *scopes: int):
        """A write that workers' caches depend on: it bumps the scopes' change counters, and once
        committed tells this worker."""
        with self.database.session() as session:
            yield session
            session.execute(update(ChangeCounterRow).where(ChangeCounterRow.id.in_(scopes))
                            .values(counter=ChangeCounterRow.counter + 1))
        for scope in scopes:
            self.on_change(scope)

    def touch(self, scope: int) -> None:
        """Make every worker drop its caches of this scope (e.g. after a lockout)."""
        with self._changing(scope):
            pass

    def change_counts(self) -> dict[int, int]:
        """How many changes of each scope the auth database has seen (compared to spot stale caches)."""
        with self.database.session() as session:
            return dict(session.execute(select(ChangeCounterRow.id, ChangeCounterRow.counter)).all())

    # users --------------------------------------------------------------------------------------

    def get_user(self, username: str) -> User | None:
        """The user of that name, or None."""
        with self.database.session() as session:
            row = session.scalar(select(UserRow).where(UserRow.username == username))
            return _user(row) if row else None

    def list_users(self) -> list[User]:
        """Every user, by id."""
        with self.database.session() as session:
            return [_user(row) for row in session.scalars(select(UserRow).order_by(UserRow.id))]

    def create_user(self, username: str, password_hash: str, is_admin: bool = False) -> User:
        """A new user; 400 RESOURCE_ALREADY_EXISTS when the name is taken."""
        try:
            with self._changing(SIGN_INS) as session:
                row = UserRow(username=username, password_hash=password_hash, is_admin=is_admin)
                session.add(row)
                session.flush()
                audit(session, "user.created", f"user {username}", is_admin=bool(is_admin))
                return _user(row)
        except IntegrityError:
            raise AlreadyExists(f"User (username={username}) already exists.") from None

    def update_user(self, username: str, **changes) -> None:
        """Change password_hash and/or is_admin; 404 for an unknown user."""
        with self._changing(SIGN_INS) as session:
            row = self._user_row(session, username)
            if "password_hash" in changes:
                audit(session, "user.password_changed", f"user {username}")
            if "is_admin" in changes and bool(changes["is_admin"]) != bool(row.is_admin):
                audit(session, "user.admin_changed", f"user {username}", before=bool(row.is_admin),
                      after=bool(changes["is_admin"]))
            session.execute(update(UserRow).where(UserRow.id == row.id).values(**changes))

    def rehash(self, username: str, password_hash: str) -> None:
        """Store a stronger hash of the same password (at sign-in): nothing to audit or drop."""
        with self.database.session() as session:
            session.execute(update(UserRow).where(UserRow.username == username).values(password_hash=password_hash))

    def delete_user(self, username: str) -> None:
        """Delete a user and, with them, all their grants."""
        with self._changing(SIGN_INS) as session:
            row = self._user_row(session, username)
            dropped = {model.__tablename__: session.execute(delete(model).where(model.user_id == row.id)).rowcount
                       for model in (ExperimentGrantRow, ModelGrantRow, WorkspaceGrantRow)}
            session.delete(row)
            audit(session, "user.deleted", f"user {username}", grants_dropped=dropped)

    def _user_row(self, session: Session, username: str) -> UserRow:
        row = session.scalar(select(UserRow).where(UserRow.username == username))
        if row is None:
            raise UnknownUser(f"User with username={username} not found")
        return row

    # resource grants ----------------------------------------------------------------------------

    def create_grant(self, kind: GrantKind | str, key: str, workspace: str | None, username: str,
                     permission: Permission) -> Grant:
        """A new explicit grant; 400 when the user already has one on this resource."""
        model, where = _grant_target(kind, key, workspace)
        try:
            with self._changing(GRANTS) as session:
                user = self._user_row(session, username)
                session.add(model(**where, user_id=user.id, permission=permission.name))
                session.flush()
                audit(session, "permission.created", _target(kind, key, workspace), username=username,
                      before=None, after=permission.name)
        except IntegrityError:
            raise AlreadyExists(
                f"{grant_kind(kind).label.capitalize()} permission ({grant_kind(kind).describe(key, workspace)}, "
                f"username={username}) already exists."
            ) from None
        return Grant(user.id, username, permission, key, workspace)

    def get_grant(self, kind: GrantKind | str, key: str, workspace: str | None, username: str) -> Grant:
        """The user's explicit grant on a resource; 404 when there is none."""
        model, where = _grant_target(kind, key, workspace)
        with self.database.session() as session:
            user = self._user_row(session, username)
            row = session.scalar(select(model).filter_by(**where, user_id=user.id))
            if row is None:
                raise missing_grant(kind, key, workspace, username)
            return Grant(user.id, username, Permission[row.permission], key, workspace)

    def update_grant(self, kind: GrantKind | str, key: str, workspace: str | None, username: str,
                     permission: Permission) -> None:
        """Change an existing explicit grant; 404 when there is none."""
        model, where = _grant_target(kind, key, workspace)
        with self._changing(GRANTS) as session:
            user = self._user_row(session, username)
            before = session.scalar(select(model.permission).filter_by(**where, user_id=user.id))
            if before is None:
                raise missing_grant(kind, key, workspace, username)
            session.execute(update(model).filter_by(**where, user_id=user.id).values(permission=permission.name))
            audit(session, "permission.updated", _target(kind, key, workspace), username=username,
                  before=before, after=permission.name)

    def delete_grant(self, kind: GrantKind | str, key: str, workspace: str | None, username: str) -> None:
        """Remove an explicit grant; 404 when there is none."""
        model, where = _grant_target(kind, key, workspace)
        with self._changing(GRANTS) as session:
            user = self._user_row(session, username)
            before = session.scalar(select(model.permission).filter_by(**where, user_id=user.id))
            if before is None:
                raise missing_grant(kind, key, workspace, username)
            session.execute(delete(model).filter_by(**where, user_id=user.id))
            audit(session, "permission.deleted", _target(kind, key, workspace), username=username,
                  before=before, after=None)

    def grants_of_user(self, user_id: int) -> dict[str, list[Grant]]:
        """All of one user's explicit grants, by kind (for users/get)."""
        with self.database.session() as session:
            return {kind.name: [Grant(user_id, "", Permission[r.permission], getattr(r, kind.key_column),
                                      r.workspace if kind.per_workspace else None)
                                for r in session.scalars(select(kind.row).where(kind.row.user_id == user_id))]
                    for kind in GRANT_KINDS.values()}

    def resource_grant(self, user_id: int, kind: GrantKind | str, key: str, workspace: str) -> Permission | None:
        """The user's explicit grant on one resource, or None."""
        model, where = _grant_target(kind, key, workspace)
        with self.database.session() as session:
            found = session.scalar(select(model.permission).filter_by(**where, user_id=user_id))
            return Permission[found] if found else None

    def readable_grants(self, user_id: int, kind: GrantKind | str, workspace: str) -> dict[str, Permission]:
        """The user's explicit grants of a kind (all of them; or the workspace's, for a kind
        keyed per workspace)."""
        kind = grant_kind(kind)
        row = kind.row
        query = select(getattr(row, kind.key_column), row.permission).where(row.user_id == user_id)
        if kind.per_workspace:
            query = query.where(row.workspace == workspace)
        with self.database.session() as session:
            return {key: Permission[permission] for key, permission in session.execute(query)}

    # workspace grants ---------------------------------------------------------------------------

    def workspace_grant(self, user_id: int, workspace: str) -> Permission | None:
        """The user's grant on a workspace, or None."""
        with self.database.session() as session:
            found = session.scalar(select(WorkspaceGrantRow.permission).where(
                WorkspaceGrantRow.user_id == user_id, WorkspaceGrantRow.workspace == workspace))
            return Permission[found] if found else None

    def workspace_grants_of_user(self, user_id: int) -> dict[str, Permission]:
        """Every workspace grant of one user."""
        with self.database.session() as session:
            rows = session.execute(select(WorkspaceGrantRow.workspace, WorkspaceGrantRow.permission)
                                   .where(WorkspaceGrantRow.user_id == user_id))
            return {workspace: Permission[permission] for workspace, permission in rows}

    def set_workspace_grant(self, workspace: str, username: str, permission: Permission) -> Grant:
        """Create or replace a user's grant on a workspace."""
        with self._changing(GRANTS) as session:
            user = self._user_row(session, username)
            before = session.scalar(select(WorkspaceGrantRow.permission).where(
                WorkspaceGrantRow.workspace == workspace, WorkspaceGrantRow.user_id == user.id))
            # One statement: two managers granting at once cannot clash on the primary key.
            upsert(session, WorkspaceGrantRow,
                   [{"workspace": workspace, "user_id": user.id, "permission": permission.name}])
            audit(session, "permission.updated" if before else "permission.created", f"workspace {workspace}",
                  username=username, before=before, after=permission.name)
            return Grant(user.id, username, permission, workspace, workspace)

    def delete_workspace_grant(self, workspace: str, username: str) -> None:
        """Remove a user's grant on a workspace; 404 when there is none."""
        with self._changing(GRANTS) as session:
            user = self._user_row(session, username)
            before = session.scalar(select(WorkspaceGrantRow.permission).where(
                WorkspaceGrantRow.workspace == workspace, WorkspaceGrantRow.user_id == user.id))
            if before is None:
                raise missing_workspace_grant(workspace, username)
            session.execute(delete(WorkspaceGrantRow).where(
                WorkspaceGrantRow.workspace == workspace, WorkspaceGrantRow.user_id == user.id))
            audit(session, "permission.deleted", f"workspace {workspace}", username=username, before=before, after=None)

    def workspace_grants(self, workspace: str | None = None, user_id: int | None = None) -> list[Grant]:
        """Workspace grants of one workspace or of one user, with usernames."""
        query = select(WorkspaceGrantRow, UserRow.username).join(UserRow, UserRow.id == WorkspaceGrantRow.user_id)
        if workspace is not None:
            query = query.where(WorkspaceGrantRow.workspace == workspace)
        if user_id is not None:
            query = query.where(WorkspaceGrantRow.user_id == user_id)
        with self.database.session() as session:
            rows = session.execute(query.order_by(WorkspaceGrantRow.workspace, UserRow.username))
            return [Grant(r.user_id, name, Permission[r.permission], r.workspace, r.workspace) for r, name in rows]

    def grant_creator(self, kind: GrantKind | str, key: str, workspace: str | None, user_id: int,
                      permission: Permission) -> None:
        """Give the creator of a resource its grant, replacing any stale row for that key."""
        model, where = _grant_target(kind, key, workspace)
        with self._changing(GRANTS) as session:
            session.execute(delete(model).filter_by(**where, user_id=user_id))
            session.add(model(**where, user_id=user_id, permission=permission.name))
            audit(session, "permission.created", _target(kind, key, workspace), user_id=user_id,
                  before=None, after=permission.name, reason="creator of the resource")

    # following resources ------------------------------------------------------------------------

    def forget_model(self, workspace: str, name: str) -> None:
        """Drop the grants of a deleted registered model or prompt."""
        with self._changing(GRANTS) as session:
            dropped = session.execute(delete(ModelGrantRow).where(ModelGrantRow.workspace == workspace,
                                                                  ModelGrantRow.name == name)).rowcount
            if dropped:
                audit(session, "permission.deleted", MODEL_GRANTS.audit_target(name, workspace),
                      grants=dropped, reason="the model was deleted")

    def rename_model(self, workspace: str, name: str, new_name: str) -> None:
        """Move a renamed model's grants to its new name."""
        if new_name == name:
            return
        with self._changing(GRANTS) as session:
            session.execute(delete(ModelGrantRow).where(ModelGrantRow.workspace == workspace, ModelGrantRow.name == new_name))
            moved = session.execute(update(ModelGrantRow).where(ModelGrantRow.workspace == workspace,
                                                                ModelGrantRow.name == name).values(name=new_name)).rowcount
            if moved:
                audit(session, "permission.moved", MODEL_GRANTS.audit_target(name, workspace), grants=moved,
                      after=MODEL_GRANTS.audit_target(new_name, workspace), reason="the model was renamed")

    def forget_workspace(self, workspace: str) -> None:
        """Drop every grant of a deleted workspace (on it and on its models)."""
        with self._changing(GRANTS, PLACES) as session:
            dropped = session.execute(delete(WorkspaceGrantRow).where(WorkspaceGrantRow.workspace == workspace)).rowcount
            dropped += session.execute(delete(ModelGrantRow).where(ModelGrantRow.workspace == workspace)).rowcount
            audit(session, "permission.deleted", f"workspace {workspace}", grants=dropped,
                  reason="the workspace was deleted")

    def forget_experiments(self, experiment_ids: list[str]) -> int:
        """Drop the grants of purged experiments; returns how many went."""
        with self._changing(GRANTS, PLACES) as session:
            dropped = session.execute(
                delete(ExperimentGrantRow).where(ExperimentGrantRow.experiment_id.in_(experiment_ids))
            ).rowcount
            audit(session, "permission.deleted", f"experiments {','.join(experiment_ids)}"[:512], grants=dropped,
                  reason="the experiments were purged")
            return dropped




def grant_kind(kind: GrantKind | str) -> GrantKind:
    """A kind of grants, given as itself or by its name ("experiment", "registered_model")."""
    return kind if isinstance(kind, GrantKind) else GRANT_KINDS[kind]


def _grant_target(kind: GrantKind | str, key: str, workspace: str | None):
    kind = grant_kind(kind)
    return kind.row, kind.where(key, workspace)


def _target(kind: GrantKind | str, key: str, workspace: str | None) -> str:
    return grant_kind(kind).audit_target(key, workspace)


def missing_workspace_grant(workspace: str, username: str) -> NotFound:
    """The 404 of a workspace grant that does not exist."""
    return NotFound(f"Workspace permission does not exist for workspace='{workspace}', username='{username}'")


def missing_grant(kind: GrantKind | str, key: str, workspace: str | None, username: str) -> NotFound:
    """The 404 of an explicit grant that does not exist."""
    kind = grant_kind(kind)
    return NotFound(f"{kind.label.capitalize()} permission with {kind.describe(key, workspace)} and "
                    f"username={username} not found")
