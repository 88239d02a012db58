"""The decision order as one truth table: no app, no database."""

import pytest

from auth.permissions import Permission
from auth.policy import Decision, Facts, decide

N, R, U, E, M = (Permission.NO_PERMISSIONS, Permission.READ, Permission.USE, Permission.EDIT,
                 Permission.MANAGE)


def facts(admin=False, resource=None, workspace_grant=None, workspace="team-a", enabled=True,
          default=R, grant_default=False):
    return Facts(admin, resource, workspace_grant, workspace, enabled, default, grant_default)


@pytest.mark.parametrize("case, expected, step", [
    # 1. admins hold everything, whatever else is true
    (facts(admin=True, resource=N, workspace_grant=N), M, "admin"),
    # 2. an explicit grant decides, both ways
    (facts(resource=N, workspace_grant=M), N, "explicit grant on the resource"),   # denies despite MANAGE
    (facts(resource=R, workspace_grant=E), R, "explicit grant on the resource"),   # narrows EDIT
    (facts(resource=E, workspace_grant=N), E, "explicit grant on the resource"),   # widens NO_PERMISSIONS
    (facts(resource=M, workspace_grant=None), M, "explicit grant on the resource"),
    (facts(resource=U, enabled=False, default=M), U, "explicit grant on the resource"),
    # 3. then the workspace grant
    (facts(workspace_grant=U), U, "grant on workspace 'team-a'"),
    (facts(workspace_grant=N, workspace="default", grant_default=True, default=E), N, "grant on workspace 'default'"),
    # 4. default_permission in 'default' only with grant_default_workspace_access
    (facts(workspace="default", grant_default=True, default=E), E, "grant_default_workspace_access"),
    (facts(workspace="default", grant_default=False, default=E), N, "no grant on workspace 'default'"),
    (facts(workspace="team-a", grant_default=True, default=E), N, "no grant on workspace 'team-a'"),
    # 5. otherwise isolation
    (facts(), N, "no grant on workspace 'team-a'"),
    (facts(workspace=None), N, "no grant on workspace"),
    # 6. workspaces disabled: default_permission, workspace grants play no part
    (facts(enabled=False, default=R, workspace_grant=M), R, "workspaces disabled"),
    (facts(enabled=False, default=N), N, "workspaces disabled"),
])
def test_decision_order(case, expected, step):
    decision = decide(case)
    assert decision.permission is expected
    assert step in decision.step


@pytest.mark.parametrize("level, allowed", [
    (N, set()),
    (R, {"read"}),
    (U, {"read", "use"}),
    (E, {"read", "use", "update"}),
    (M, {"read", "use", "update", "delete", "manage"}),
])
def test_capabilities_of_each_level(level, allowed):
    for capability in ("read", "use", "update", "delete", "manage"):
        assert Decision(level, "x").allows(capability) is (capability in allowed)


@pytest.mark.parametrize("name", ["WRITE", "read", "", None, 3, "MANAGE "])
def test_unknown_levels_are_refused_with_the_valid_ones(name):
    with pytest.raises(ValueError, match="Valid permissions are: NO_PERMISSIONS, READ, USE, EDIT, MANAGE"):
        Permission.parse(name)


# The other decisions of the layer, table-tested like the decision order (issue 11).

from auth.policy import Listing, creation_needs_no_workspace_grant, delegation_refusal, listing, visible_workspaces  # noqa: E402

R, N, E, M = Permission.READ, Permission.NO_PERMISSIONS, Permission.EDIT, Permission.MANAGE


@pytest.mark.parametrize("grants, reads_workspace, expected", [
    ({}, True, Listing(hidden=frozenset())),
    ({}, False, Listing(only=frozenset())),
    ({"1": N, "2": R, "3": E}, True, Listing(hidden=frozenset({"1"}))),  # NO_PERMISSIONS hides it from a reader
    ({"1": N, "2": R, "3": E}, False, Listing(only=frozenset({"2", "3"}))),  # only what grants let them read
    ({"1": Permission.USE}, False, Listing(only=frozenset({"1"}))),
])
def test_what_a_list_shows(grants, reads_workspace, expected):
    assert listing(grants, reads_workspace) == expected


@pytest.mark.parametrize("grants, default_access, expected", [
    ({}, False, set()),
    ({}, True, {"default"}),
    ({"a": R, "b": N, "c": M}, False, {"a", "c"}),
    ({"default": N}, True, {"default"}),  # grant_default_workspace_access lists 'default' for everyone
])
def test_which_workspaces_a_user_sees(grants, default_access, expected):
    assert visible_workspaces(grants, default_access) == expected


@pytest.mark.parametrize("level, theirs, is_self, refused", [
    (R, None, False, None), (E, R, False, None), (None, E, False, None),
    (M, None, False, "Only admins may grant MANAGE on a workspace."),
    (M, M, True, "Only admins may grant MANAGE on a workspace."),
    (R, M, False, "Only admins may change or remove another user's MANAGE grant."),
    (None, M, False, "Only admins may change or remove another user's MANAGE grant."),
    (R, M, True, None),  # a manager may step themselves down
])
def test_who_may_delegate_what(level, theirs, is_self, refused):
    assert delegation_refusal(level, theirs, is_self) == refused


def test_creating_without_workspaces_needs_no_workspace_grant():
    assert creation_needs_no_workspace_grant(False) is True
    assert creation_needs_no_workspace_grant(True) is False
