"""The scale measurement's population (bench/scale.py): sizes, and rows for every table drawn from a
seeded generator, with the probe users whose grants are the same at every size. Pure: no I/O."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from tracking.artifacts import experiment_location, run_artifact_uri
from tracking.settings import PROXY_ROOT

START_MS = 1_700_000_000_000


@dataclass(frozen=True)
class Size:
    """How big a population is. `grants` counts workspace grants and experiment grants together."""

    name: str
    workspaces: int
    users: int
    experiments: int
    grants: int

    @property
    def per_workspace(self) -> int:
        return self.experiments // self.workspaces

    @property
    def workspaces_per_user(self) -> float:
        return min(3.0, 0.15 * self.workspaces)


SIZES = {
    # the load harness's default population (bench/population.py): 10 workspaces, 50 users, 200 experiments
    "small": Size("small", 10, 50, 200, 150),
    "tenth": Size("tenth", 100, 1_000, 10_000, 20_000),
    "full": Size("full", 1_000, 10_000, 100_000, 200_000),
}

# Workspace levels of ordinary users, and explicit levels on experiments inside and outside their
# workspaces (inside they mostly narrow or widen the workspace grant; outside they open one experiment).
WORKSPACE_LEVELS = {"READ": 30, "USE": 15, "EDIT": 30, "MANAGE": 10, "NO_PERMISSIONS": 15}
INSIDE_LEVELS = {"NO_PERMISSIONS": 30, "READ": 30, "EDIT": 25, "MANAGE": 15}
OUTSIDE_LEVELS = {"READ": 50, "USE": 15, "EDIT": 25, "MANAGE": 10}
DELETED_SHARE = 0.03  # experiments in the deleted state (with their runs)
PROBE_GRANTS = 20


# --------------------------------------------------------------------------------------------
# the population (pure: rows as dicts, drawn from a seeded generator)


@dataclass
class Population:
    """Rows for every table, and the probe users' targets."""

    tables: dict[str, list[dict]] = field(default_factory=dict)
    probe_workspace: str = ""
    targets: dict[str, list[str]] = field(default_factory=dict)  # kind -> experiment ids to cycle through
    visible: dict[str, int] = field(default_factory=dict)  # probe user -> experiments it may see in the workspace

    def add(self, table: str, row: dict) -> None:
        self.tables.setdefault(table, []).append(row)

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.tables.items()}


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def workspace_name(index: int) -> str:
    return f"team-{index:04d}"


def draw(size: Size, seed: int, password_hash: str) -> Population:
    """The whole population of a size; the same size and seed give the same rows."""
    rng = random.Random(seed)
    population = Population()
    workspaces = [workspace_name(i) for i in range(size.workspaces)]
    experiments = _draw_experiments(population, size, workspaces, rng)
    users = [f"user-{i:05d}" for i in range(size.users - 2)]
    for number, username in enumerate([*users, "probe-member", "probe-explicit"], start=1):
        population.add("users", {"id": number, "username": username, "password_hash": password_hash,
                                 "is_admin": False})
    user_ids = {row["username"]: row["id"] for row in population.tables["users"]}
    grants = Grants(population, user_ids)
    _probe_grants(grants, workspaces, experiments, rng)
    members = _draw_workspace_grants(grants, size, users, workspaces, rng)
    _draw_experiment_grants(grants, size, users, workspaces, experiments, members, rng)
    _draw_runs(population, experiments, members, rng)
    return population


def _draw_experiments(population: Population, size: Size, workspaces: list[str],
                      rng: random.Random) -> dict[str, list[dict]]:
    """size.per_workspace experiments in every workspace, ids from 1 (0 is the migration's Default)."""
    by_workspace: dict[str, list[dict]] = {}
    for w, workspace in enumerate(workspaces):
        population.add("workspaces", {"name": workspace, "description": f"Scale benchmark team {w}",
                                      "default_artifact_root": None})
        for j in range(size.per_workspace):
            experiment_id = 1 + w * size.per_workspace + j
            created = START_MS + experiment_id * 1000 + rng.randrange(1000)
            deleted = rng.random() < DELETED_SHARE
            row = {
                "experiment_id": experiment_id, "workspace": workspace, "name": f"experiment-{j:03d}",
                "artifact_location": experiment_location(PROXY_ROOT, workspace, None, str(experiment_id), True),
                "lifecycle_stage": "deleted" if deleted else "active", "creation_time": created,
                "last_update_time": created + 5000 if deleted else created,
                "deleted_time": created + 5000 if deleted else None,
            }
            population.add("experiments", row)
            population.add("experiment_tags", {"experiment_id": experiment_id, "key": "mlflow.note.content",
                                               "value": f"Experiment {j} of {workspace}"})
            by_workspace.setdefault(workspace, []).append(row)
    return by_workspace


class Grants:
    """Adds grant rows, at most one per (user, workspace) and per (user, experiment)."""

    def __init__(self, population: Population, user_ids: dict[str, int]):
        self.population, self.user_ids = population, user_ids
        self.on_workspaces: dict[str, dict[str, str]] = {}
        self.on_experiments: set[tuple[str, int]] = set()
        self.workspace_grants = 0

    def workspace(self, user: str, workspace: str, level: str) -> None:
        mine = self.on_workspaces.setdefault(user, {})
        if workspace not in mine:
            mine[workspace] = level
            self.workspace_grants += 1
            self.population.add("workspace_permissions", {"workspace": workspace, "user_id": self.user_ids[user],
                                                          "permission": level})

    def experiment(self, user: str, experiment_id: int, level: str) -> bool:
        if (user, experiment_id) in self.on_experiments:
            return False
        self.on_experiments.add((user, experiment_id))
        self.population.add("experiment_permissions", {
            "id": len(self.on_experiments), "experiment_id": str(experiment_id),
            "user_id": self.user_ids[user], "permission": level})
        return True

    def count(self) -> int:
        return self.workspace_grants + len(self.on_experiments)


def _probe_grants(grants: Grants, workspaces: list[str], experiments: dict[str, list[dict]],
                  rng: random.Random) -> None:
    """The two measured users have the same profile at every size: a workspace reader with
    PROBE_GRANTS explicit grants (a few inside the workspace, hiding or widening), and a user who
    sees the workspace only through PROBE_GRANTS explicit READ grants (half of them inside)."""
    probe = workspaces[len(workspaces) // 2]
    population = grants.population
    population.probe_workspace = probe
    active = [row["experiment_id"] for row in experiments[probe] if row["lifecycle_stage"] == "active"]
    rng.shuffle(active)
    elsewhere = [row["experiment_id"] for w in workspaces if w != probe for row in experiments[w]
                 if row["lifecycle_stage"] == "active"]
    others = rng.sample([w for w in workspaces if w != probe], 2)
    for workspace, level in ((probe, "READ"), (others[0], "USE"), (others[1], "EDIT")):
        grants.workspace("probe-member", workspace, level)
    hidden, widened, plain = active[:2], active[2:4], active[4:]
    for experiment_id in hidden:
        grants.experiment("probe-member", experiment_id, "NO_PERMISSIONS")
    for experiment_id in widened:
        grants.experiment("probe-member", experiment_id, "EDIT")
    for n, experiment_id in enumerate(rng.sample(elsewhere, PROBE_GRANTS - 4)):
        grants.experiment("probe-member", experiment_id, ("READ", "USE", "EDIT", "MANAGE")[n % 4])
    half = PROBE_GRANTS // 2
    grants.workspace("probe-explicit", others[0], "READ")
    granted = plain[:half]
    for experiment_id in granted + rng.sample(elsewhere, PROBE_GRANTS - half):
        grants.experiment("probe-explicit", experiment_id, "READ")
    # get: readable through the workspace grant alone; get_explicit: through an explicit grant;
    # denied: in a workspace the user has no grant on, without an explicit grant
    population.targets = {"get": [str(i) for i in plain[:20]],
                          "get_explicit": [str(i) for i in granted],
                          "denied": [str(i) for i in plain[half:half + 20]]}
    population.visible = {"probe-member": len(active) - len(hidden), "probe-explicit": len(granted)}


def _draw_workspace_grants(grants: Grants, size: Size, users: list[str], workspaces: list[str],
                           rng: random.Random) -> dict[str, list[str]]:
    """Every user is a member of 1 to 2m-1 workspaces (m on average), at any level; returns the
    members of each workspace who may create experiments in it (EDIT, MANAGE)."""
    spread = max(1, round(2 * size.workspaces_per_user - 1))
    creators: dict[str, list[str]] = {}
    for user in users:
        for workspace in rng.sample(workspaces, min(len(workspaces), 1 + rng.randrange(spread))):
            level = _pick(rng, WORKSPACE_LEVELS)
            grants.workspace(user, workspace, level)
            if level in ("EDIT", "MANAGE"):
                creators.setdefault(workspace, []).append(user)
    return creators


def _draw_experiment_grants(grants: Grants, size: Size, users: list[str], workspaces: list[str],
                            experiments: dict[str, list[dict]], creators: dict[str, list[str]],
                            rng: random.Random) -> None:
    """Fill the grant budget: first creators' MANAGE (about half the explicit grants, at most one per
    experiment), then explicit grants of users inside and outside their workspaces."""
    budget = max(0, size.grants - grants.count())
    wanted_creators = min(size.experiments, budget // 2)
    pool = [row for rows in experiments.values() for row in rows]
    for row in rng.sample(pool, wanted_creators):
        candidates = creators.get(row["workspace"])
        if candidates:
            grants.experiment(rng.choice(candidates), row["experiment_id"], "MANAGE")
    while grants.count() < size.grants:
        user = rng.choice(users)
        if rng.random() < 0.5:
            workspace, levels = rng.choice(list(grants.on_workspaces[user])), INSIDE_LEVELS
        else:
            workspace, levels = rng.choice(workspaces), OUTSIDE_LEVELS
        grants.experiment(user, rng.choice(experiments[workspace])["experiment_id"], _pick(rng, levels))


def _draw_runs(population: Population, experiments: dict[str, list[dict]], creators: dict[str, list[str]],
               rng: random.Random) -> None:
    """One finished run per experiment, with its name and user tags, two params and one metric."""
    for workspace, rows in experiments.items():
        for row in rows:
            run_id = f"{rng.getrandbits(128):032x}"
            user = rng.choice(creators.get(workspace) or ["user-00000"])
            start = row["creation_time"] + 1000
            population.add("runs", {
                "run_uuid": run_id, "experiment_id": row["experiment_id"], "name": f"run-{row['experiment_id']}",
                "user_id": user, "status": "FINISHED", "start_time": start, "end_time": start + 60_000,
                "lifecycle_stage": row["lifecycle_stage"], "deleted_time": row["deleted_time"],
                "artifact_uri": run_artifact_uri(row["artifact_location"], run_id)})
            for key, value in (("mlflow.runName", f"run-{row['experiment_id']}"), ("mlflow.user", user)):
                population.add("tags", {"run_uuid": run_id, "key": key, "value": value})
            for key, value in (("learning_rate", f"{rng.choice([0.1, 0.01, 0.001])}"),
                               ("batch_size", str(rng.choice([32, 64, 128])))):
                population.add("params", {"run_uuid": run_id, "key": key, "value": value})
            point = {"run_uuid": run_id, "key": "loss", "value": round(rng.random(), 6),
                     "timestamp": start + 30_000, "step": 0, "is_nan": False}
            population.add("metrics", dict(point))
            population.add("latest_metrics", point)
