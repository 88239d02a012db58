"""THE decision: which permission a user holds on a resource. Pure: no Flask, no SQLAlchemy.

Order (DESIGN.md, "The decision"):

1. An admin holds MANAGE.
2. An explicit grant on the resource decides, whatever it is: NO_PERMISSIONS there denies even
   when the workspace grant would allow, READ there narrows an EDIT workspace grant.
3. With workspaces enabled, the user's grant on the resource's workspace decides.
4. With workspaces enabled, in the 'default' workspace, when grant_default_workspace_access is
   true: default_permission.
5. With workspaces enabled, anything else: NO_PERMISSIONS (workspace isolation).
6. With workspaces disabled: default_permission.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from auth.permissions import Capability, Permission

DEFAULT_WORKSPACE = "default"


@dataclass(frozen=True)
class Facts:
    """Everything the decision looks at, loaded beforehand."""

    is_admin: bool
    resource_grant: Permission | None
    workspace_grant: Permission | None
    workspace: str | None
    workspaces_enabled: bool
    default_permission: Permission
    grant_default_workspace_access: bool


@dataclass(frozen=True)
class Decision:
    """The effective permission and the step of the order that produced it."""

    permission: Permission
    step: str

    def allows(self, capability: str) -> bool:
        """Whether the effective permission grants the capability."""
        return self.permission.allows(capability)


def decide(facts: Facts) -> Decision:
    """Apply the decision order to the facts."""
    if facts.is_admin:
        return Decision(Permission.MANAGE, "admin")
    if facts.resource_grant is not None:
        return Decision(facts.resource_grant, "explicit grant on the resource")
    if not facts.workspaces_enabled:
        return Decision(facts.default_permission, "default_permission (workspaces disabled)")
    if facts.workspace_grant is not None:
        return Decision(facts.workspace_grant, f"grant on workspace '{facts.workspace}'")
    if facts.workspace == DEFAULT_WORKSPACE and facts.grant_default_workspace_access:
        return Decision(facts.default_permission, "default_permission in 'default' (grant_default_workspace_access)")
    return Decision(Permission.NO_PERMISSIONS, f"no grant on workspace '{facts.workspace}'")


# What lists show, which workspaces a user sees, who may delegate what: pure, like `decide`.

@dataclass(frozen=True)
class Listing:
    """Which items of a kind a search shows: `only` these keys, else all but `hidden`."""

    only: frozenset[str] | None = None
    hidden: frozenset[str] = frozenset()


def listing(grants: Mapping[str, Permission], reads_workspace: bool) -> Listing:
    """A reader of the workspace sees every item but those an explicit grant denies it (the
    explicit grant comes first in `decide`); anyone else sees only the items an explicit grant
    lets them read."""
    readable = frozenset(key for key, level in grants.items() if level.allows(Capability.READ))
    if reads_workspace:
        return Listing(hidden=frozenset(grants) - readable)
    return Listing(only=readable)


def visible_workspaces(grants: Mapping[str, Permission], grant_default_workspace_access: bool) -> frozenset[str]:
    """The workspaces a user lists (and may fetch): those they may read, and 'default' for everyone
    when grant_default_workspace_access is on."""
    visible = {name for name, level in grants.items() if level.allows(Capability.READ)}
    if grant_default_workspace_access:
        visible.add(DEFAULT_WORKSPACE)
    return frozenset(visible)


def delegation_refusal(level: Permission | None, their_grant: Permission | None, is_self: bool) -> str | None:
    """Why a workspace manager who is not an admin may not set a user's workspace grant to
    `level` (None: remove it) when the user holds `their_grant` there; None when they may.
    Managers delegate below MANAGE and leave other managers alone (MLflow's W21)."""
    if level is Permission.MANAGE:
        return "Only admins may grant MANAGE on a workspace."
    if their_grant is Permission.MANAGE and not is_self:
        return "Only admins may change or remove another user's MANAGE grant."
    return None


def creation_needs_no_workspace_grant(workspaces_enabled: bool) -> bool:
    """Without workspaces any signed-in user may create experiments and models (and then manages
    what they created); with workspaces, creating needs 'update' on the workspace."""
    return not workspaces_enabled
