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

from auth.permissions import Permission

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
