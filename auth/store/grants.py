"""Grants in the auth database: on resources (one table per kind of grant, auth.kinds) and on
workspaces, and keeping them in step with the host's resources. Each change bumps its change
counter (auth.store.changes) and appends its audit event, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from auth.kinds import GRANT_KINDS, MODEL_GRANTS, GrantKind
from auth.models import ExperimentGrantRow, ModelGrantRow, UserRow, WorkspaceGrantRow
from auth.permissions import Permission
from auth.store.changes import CREATIONS, GRANTS, PLACES, SCOPES, Changes, bump
from auth.store.events import Actor, append as audit
from auth.store.users import user_row
from tracking.hostkit import AlreadyExists, NotFound, upsert


@dataclass(frozen=True)
class Grant:
    """A user's permission on one resource or workspace."""

    user_id: int
    username: str
    permission: Permission
    key: str  # experiment id, model name or workspace name
    workspace: str | None = None


class Grants(Changes):
    """Explicit grants on experiments, registered models and workspaces."""

    # resource grants ----------------------------------------------------------------------------

    def create_grant(self, kind: GrantKind | str, key: str, workspace: str | None, username: str,
                     permission: Permission, *, by: Actor | None = None) -> Grant:
        """A new explicit grant; 400 when the user already has one on this resource."""
        model, where = _grant_target(kind, key, workspace)
        try:
            with self._changing(GRANTS) as session:
                user = user_row(session, username)
                session.add(model(**where, user_id=user.id, permission=permission.name))
                session.flush()
                audit(session, by, "permission.created", _target(kind, key, workspace), username=username,
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
            user = user_row(session, username)
            row = session.scalar(select(model).filter_by(**where, user_id=user.id))
            if row is None:
                raise missing_grant(kind, key, workspace, username)
            return Grant(user.id, username, Permission[row.permission], key, workspace)

    def update_grant(self, kind: GrantKind | str, key: str, workspace: str | None, username: str,
                     permission: Permission, *, by: Actor | None = None) -> None:
        """Change an existing explicit grant; 404 when there is none."""
        model, where = _grant_target(kind, key, workspace)
        with self._changing(GRANTS) as session:
            user, before = _existing_grant(session, kind, key, workspace, username)
            session.execute(update(model).filter_by(**where, user_id=user.id).values(permission=permission.name))
            audit(session, by, "permission.updated", _target(kind, key, workspace), username=username,
                  before=before, after=permission.name)

    def delete_grant(self, kind: GrantKind | str, key: str, workspace: str | None, username: str, *,
                     by: Actor | None = None) -> None:
        """Remove an explicit grant; 404 when there is none."""
        model, where = _grant_target(kind, key, workspace)
        with self._changing(GRANTS) as session:
            user, before = _existing_grant(session, kind, key, workspace, username)
            session.execute(delete(model).filter_by(**where, user_id=user.id))
            audit(session, by, "permission.deleted", _target(kind, key, workspace), username=username,
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

    def set_workspace_grant(self, workspace: str, username: str, permission: Permission, *,
                            by: Actor | None = None) -> Grant:
        """Create or replace a user's grant on a workspace."""
        with self._changing(GRANTS) as session:
            user = user_row(session, username)
            before = session.scalar(select(WorkspaceGrantRow.permission).where(
                WorkspaceGrantRow.workspace == workspace, WorkspaceGrantRow.user_id == user.id))
            # One statement: two managers granting at once cannot clash on the primary key.
            upsert(session, WorkspaceGrantRow,
                   [{"workspace": workspace, "user_id": user.id, "permission": permission.name}])
            audit(session, by, "permission.updated" if before else "permission.created", f"workspace {workspace}",
                  username=username, before=before, after=permission.name)
            return Grant(user.id, username, permission, workspace, workspace)

    def delete_workspace_grant(self, workspace: str, username: str, *, by: Actor | None = None) -> None:
        """Remove a user's grant on a workspace; 404 when there is none."""
        with self._changing(GRANTS) as session:
            user = user_row(session, username)
            before = session.scalar(select(WorkspaceGrantRow.permission).where(
                WorkspaceGrantRow.workspace == workspace, WorkspaceGrantRow.user_id == user.id))
            if before is None:
                raise missing_workspace_grant(workspace, username)
            session.execute(delete(WorkspaceGrantRow).where(
                WorkspaceGrantRow.workspace == workspace, WorkspaceGrantRow.user_id == user.id))
            audit(session, by, "permission.deleted", f"workspace {workspace}", username=username, before=before, after=None)

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
                      permission: Permission, *, by: Actor | None = None) -> None:
        """Give the creator of a new resource its grant. A new resource has no grants, so any
        row already there for its key is stale (a host that reuses the id of a purged
        experiment, a model recreated under an old name whose grants were not dropped) and goes.
        The creator's grant only widens access, so it counts as a CREATION; stale rows of other
        users that went count as a change of GRANTS too."""
        model, where = _grant_target(kind, key, workspace)
        with self._changing(CREATIONS) as session:
            stale = session.execute(delete(model).filter_by(**where).where(model.user_id != user_id)).rowcount
            session.execute(delete(model).filter_by(**where, user_id=user_id))
            session.add(model(**where, user_id=user_id, permission=permission.name))
            audit(session, by, "permission.created", _target(kind, key, workspace), user_id=user_id,
                  before=None, after=permission.name, reason="creator of the resource")
            if stale:
                bump(session, GRANTS)
                audit(session, by, "permission.deleted", _target(kind, key, workspace), grants=stale,
                      reason="stale grants of an earlier resource with the same key")
        if stale:
            self.on_change(GRANTS)

    # following resources ------------------------------------------------------------------------

    def forget_model(self, workspace: str, name: str, *, by: Actor | None = None) -> None:
        """Drop the grants of a deleted registered model or prompt."""
        with self._changing(GRANTS) as session:
            dropped = session.execute(delete(ModelGrantRow).where(ModelGrantRow.workspace == workspace,
                                                                  ModelGrantRow.name == name)).rowcount
            if dropped:
                audit(session, by, "permission.deleted", MODEL_GRANTS.audit_target(name, workspace),
                      grants=dropped, reason="the model was deleted")

    def rename_model(self, workspace: str, name: str, new_name: str, *, by: Actor | None = None) -> None:
        """Move a renamed model's grants to its new name."""
        if new_name == name:
            return
        with self._changing(GRANTS) as session:
            session.execute(delete(ModelGrantRow).where(ModelGrantRow.workspace == workspace, ModelGrantRow.name == new_name))
            moved = session.execute(update(ModelGrantRow).where(ModelGrantRow.workspace == workspace,
                                                                ModelGrantRow.name == name).values(name=new_name)).rowcount
            if moved:
                audit(session, by, "permission.moved", MODEL_GRANTS.audit_target(name, workspace), grants=moved,
                      after=MODEL_GRANTS.audit_target(new_name, workspace), reason="the model was renamed")

    def forget_workspace(self, workspace: str, *, by: Actor | None = None) -> None:
        """Drop every grant of a deleted workspace (on it and on its models)."""
        with self._changing(GRANTS, PLACES) as session:
            dropped = session.execute(delete(WorkspaceGrantRow).where(WorkspaceGrantRow.workspace == workspace)).rowcount
            dropped += session.execute(delete(ModelGrantRow).where(ModelGrantRow.workspace == workspace)).rowcount
            audit(session, by, "permission.deleted", f"workspace {workspace}", grants=dropped,
                  reason="the workspace was deleted")

    def forget_experiments(self, experiment_ids: list[str], *, by: Actor | None = None) -> int:
        """Drop the grants of purged experiments; returns how many went."""
        with self._changing(GRANTS, PLACES) as session:
            dropped = session.execute(
                delete(ExperimentGrantRow).where(ExperimentGrantRow.experiment_id.in_(experiment_ids))
            ).rowcount
            audit(session, by, "permission.deleted", f"experiments {','.join(experiment_ids)}"[:512], grants=dropped,
                  reason="the experiments were purged")
            return dropped

    # offline moves ------------------------------------------------------------------------------

    def model_grants_to_move(self, workspace: str) -> tuple[int, list[str]]:
        """(registered-model grants outside `workspace`, those that would clash there) — for
        `wsauth db migrate-to-default-workspace`; changes nothing."""
        with self.database.session() as session:
            moving = session.scalar(select(func.count()).select_from(ModelGrantRow)
                                    .where(ModelGrantRow.workspace != workspace))
            return moving, _model_grant_clashes(session)

    def move_model_grants(self, workspace: str, reason: str, *, by: Actor | None = None) -> int:
        """Move every registered-model grant into `workspace` in one transaction; ValueError (and
        nothing moved) when two would clash there."""
        with self.database.session() as session:
            clashes = _model_grant_clashes(session)
            if clashes:
                raise ValueError(f"{len(clashes)} registered-model grants would clash in '{workspace}'")
            moved = session.execute(update(ModelGrantRow).where(ModelGrantRow.workspace != workspace)
                                    .values(workspace=workspace)).rowcount
            bump(session, *SCOPES)
            audit(session, by, "permission.moved", "registered models of every workspace", grants=moved,
                  after=f"workspace {workspace}", reason=reason)
            return moved


def _model_grant_clashes(session: Session) -> list[str]:
    """Registered-model grants of one user on one name in several workspaces."""
    clashing = (select(ModelGrantRow.name, ModelGrantRow.user_id)
                .group_by(ModelGrantRow.name, ModelGrantRow.user_id).having(func.count() > 1))
    rows = session.execute(
        select(ModelGrantRow.name, ModelGrantRow.workspace, UserRow.username)
        .join(UserRow, UserRow.id == ModelGrantRow.user_id)
        .where(ModelGrantRow.name.in_(select(clashing.subquery().c.name)))
        .order_by(ModelGrantRow.name, UserRow.username, ModelGrantRow.workspace)
    )
    return [f"registered_model_permissions: name='{name}', workspace='{ws}', username='{user}'"
            for name, ws, user in rows]


def grant_kind(kind: GrantKind | str) -> GrantKind:
    """A kind of grants, given as itself or by its name ("experiment", "registered_model")."""
    return kind if isinstance(kind, GrantKind) else GRANT_KINDS[kind]


def _existing_grant(session: Session, kind: GrantKind | str, key: str, workspace: str | None,
                    username: str) -> tuple[UserRow, str]:
    """(the user, the permission they hold) of an explicit grant; 404 when there is none."""
    model, where = _grant_target(kind, key, workspace)
    user = user_row(session, username)
    before = session.scalar(select(model.permission).filter_by(**where, user_id=user.id))
    if before is None:
        raise missing_grant(kind, key, workspace, username)
    return user, before


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
