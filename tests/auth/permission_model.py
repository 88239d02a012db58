"""An independent model of who may do what, written from docs/permissions.md and DESIGN.md rather
than from auth/: the grants of one server's users as plain dicts, and, by brute force, the answer
each request should get. The property tests compare the real server with it."""

from __future__ import annotations

from dataclasses import dataclass, field

ADMIN = "admin"  # the configured admin of tests/auth/conftest.py
DEFAULT = "default"
LEVELS = ("READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS")

# docs/permissions.md, "Levels": what each level allows.
CAPABILITIES = {
    "READ": {"read"},
    "USE": {"read", "use"},
    "EDIT": {"read", "use", "update"},
    "MANAGE": {"read", "use", "update", "delete", "manage"},
    "NO_PERMISSIONS": set(),
}


@dataclass
class Grants:
    """Every grant the users of one server hold, and the server's two defaults."""

    default_permission: str
    grant_default: bool
    workspaces: dict[tuple[str, str], str] = field(default_factory=dict)        # (user, workspace)
    experiments: dict[tuple[str, str], str] = field(default_factory=dict)       # (user, experiment id)
    models: dict[tuple[str, str, str], str] = field(default_factory=dict)       # (user, workspace, name)

    def holds(self, user: str, workspace: str, explicit: str | None = None) -> str:
        """The user's effective level on a resource of the workspace that carries the `explicit`
        grant (None: no explicit grant, or no resource at all). The first step that applies:"""
        if user == ADMIN:
            return "MANAGE"                                 # 1. admins hold everything
        if explicit is not None:
            return explicit                                 # 2. the explicit grant, both ways
        if (user, workspace) in self.workspaces:
            return self.workspaces[(user, workspace)]       # 4. the grant on the workspace
        if workspace == DEFAULT and self.grant_default:
            return self.default_permission                  # 5. grant_default_workspace_access
        return "NO_PERMISSIONS"                             # 6. workspace isolation

    def may(self, user: str, workspace: str, capability: str, explicit: str | None = None) -> bool:
        """Whether the effective level grants the capability."""
        return capability in CAPABILITIES[self.holds(user, workspace, explicit)]

    def status(self, user: str, workspace: str, capability: str, found: bool, explicit: str | None = None) -> int:
        """The status of a request that needs `capability` on a resource. A resource that is not
        `found` in the request's workspace has no explicit grant: a user allowed on the workspace
        is told it does not exist (404), anyone else gets the same 403 as for an existing one."""
        if found:
            return 200 if self.may(user, workspace, capability, explicit) else 403
        if user == ADMIN:
            return 404
        return 404 if self.may(user, workspace, capability) else 403

    def lists_workspace(self, user: str, workspace: str) -> bool:
        """Whether list_workspaces shows the (existing) workspace to the user: a workspace grant
        other than NO_PERMISSIONS, or 'default' for everyone with grant_default_workspace_access."""
        if user == ADMIN:
            return True
        if self.workspaces.get((user, workspace), "NO_PERMISSIONS") != "NO_PERMISSIONS":
            return True
        return workspace == DEFAULT and self.grant_default

    def manages_workspace(self, user: str, workspace: str) -> bool:
        """Whether the user holds a MANAGE grant on the workspace itself (the delegation limits
        look at the grant, not at default_permission)."""
        return self.workspaces.get((user, workspace)) == "MANAGE"
