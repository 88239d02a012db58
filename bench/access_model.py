"""The benchmark's own model of who may do what, written apart from the server's code so that it
can catch the server's mistakes.

Levels and what they allow (the seeds' table, also MLflow 3.11.1's):

| level          | read | use | update | delete | manage |
|----------------|------|-----|--------|--------|--------|
| READ           | yes  |     |        |        |        |
| USE            | yes  | yes |        |        |        |
| EDIT           | yes  | yes | yes    |        |        |
| MANAGE         | yes  | yes | yes    | yes    | yes    |
| NO_PERMISSIONS |      |     |        |        |        |

The routes the workload calls need: experiments/get -> read; experiments/search -> shows the
experiments one may read; runs/create and runs/log-metric -> update (so USE cannot write).

Order of the decision for a non-admin user on an experiment:

1. the user's explicit grant on the experiment, whatever its level;
2. else the user's grant on the experiment's workspace;
3. else, in the workspace named 'default' only, the server's default access
   (grant_default_workspace_access = true gives default_permission), when there is one;
4. else nothing (NO_PERMISSIONS).
"""

from __future__ import annotations

LEVELS = {
    "NO_PERMISSIONS": frozenset(),
    "READ": frozenset({"read"}),
    "USE": frozenset({"read", "use"}),
    "EDIT": frozenset({"read", "use", "update"}),
    "MANAGE": frozenset({"read", "use", "update", "delete", "manage"}),
}
READ, WRITE = "read", "update"  # what experiments/get and runs/create + log-metric need
DEFAULT_WORKSPACE = "default"


def effective_level(experiment_grant: str | None, workspace_grant: str | None, workspace: str,
                    default_access: str | None = None) -> tuple[str, str]:
    """(level, why) for one user on one experiment, by the order in the module docstring."""
    if experiment_grant is not None:
        return experiment_grant, "explicit experiment grant"
    if workspace_grant is not None:
        return workspace_grant, "workspace grant"
    if workspace == DEFAULT_WORKSPACE and default_access is not None:
        return default_access, "default access to the 'default' workspace"
    return "NO_PERMISSIONS", "no grant"


def allows(level: str, capability: str) -> bool:
    """Whether the level includes the capability."""
    return capability in LEVELS[level]


def user_access(user: dict, experiments: dict[str, dict], workspaces: dict[str, list[str]],
                default_access: str | None = None) -> dict:
    """What one user may do: per experiment its level, read and edit; per workspace the exact
    ids a search there must return."""
    per_experiment = {}
    for experiment_id, experiment in experiments.items():
        level, why = effective_level(user["experiment_grants"].get(experiment_id),
                                     user["workspace_grants"].get(experiment["workspace"]),
                                     experiment["workspace"], default_access)
        per_experiment[experiment_id] = {"level": level, "why": why, "read": allows(level, READ),
                                         "edit": allows(level, WRITE)}
    per_workspace = {}
    for workspace, ids in workspaces.items():
        grant = user["workspace_grants"].get(workspace)
        # ids the setup did not create (a workspace's own default experiment, say) have no
        # explicit grant, so only the workspace grant opens them
        readable = [i for i in ids if allows(effective_level(user["experiment_grants"].get(i), grant, workspace,
                                                             default_access)[0], READ)]
        per_workspace[workspace] = {"grant": grant, "search": sorted(readable, key=id_order)}
    return {"experiments": per_experiment, "workspaces": per_workspace}


def id_order(experiment_id: str) -> tuple:
    """Sort key: numeric ids by number, any others after them by text."""
    return (0, int(experiment_id), "") if experiment_id.isdigit() else (1, 0, experiment_id)
