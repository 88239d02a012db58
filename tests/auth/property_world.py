"""The world the property tests of test_decision_properties.py draw: servers that share one
database, each with its own defaults and users; every example's own workspaces, experiments with
runs, registered models with versions, and grants, all made through the REST API by the admin and
noted in the model of tests/auth/permission_model.py as they are made."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field

from hypothesis import strategies as st

from tests.auth.conftest import admin_post, as_user, new_user
from tests.auth.permission_model import ADMIN, DEFAULT, LEVELS, Grants

API = "/api/2.0/mlflow"
WS_API = "/api/3.0/mlflow"
USERS_PER_SERVER = 3


@dataclass
class Experiment:
    """An experiment as the tests know it (the name changes when it is renamed)."""

    id: str
    name: str
    workspace: str
    runs: list[str] = field(default_factory=list)


@dataclass
class Catalog:
    """What exists in the module's database and where it lives (every server adds to it)."""

    workspaces: set[str] = field(default_factory=lambda: {DEFAULT})
    experiments: dict[str, Experiment] = field(default_factory=dict)
    runs: dict[str, str] = field(default_factory=dict)                 # run id -> experiment id
    models: dict[tuple[str, str], int] = field(default_factory=dict)    # (workspace, model name) -> versions

    def experiment_named(self, workspace: str, name: str) -> Experiment | None:
        """The experiment of that name in the workspace."""
        return next((e for e in self.experiments.values() if e.workspace == workspace and e.name == name), None)


class Server:
    """One app of the module, with its own defaults and users, and the model of their grants."""

    def __init__(self, app, catalog: Catalog, default_permission: str, grant_default: bool, tag: str):
        self.client, self.catalog = app.test_client(), catalog
        self.grants = Grants(default_permission, grant_default)
        self.users = [new_user(self.client, f"{tag}-u{i}") for i in range(USERS_PER_SERVER)]

    def send(self, user: str, method: str, path: str, workspace: str | None, body=None, query=None):
        """A request as that user (the admin for ADMIN), in that workspace."""
        headers = as_user(None if user == ADMIN else user, workspace)
        return self.client.open(path, method=method, json=body, query_string=query, headers=headers)

    def admin(self, path: str, body: dict, workspace: str | None = None, method: str = "post") -> dict:
        """An admin request that must succeed."""
        return admin_post(self.client, path, body, workspace, method)

    # what the admin builds ------------------------------------------------------------------------

    def set_workspace_grant(self, user: str, workspace: str, level: str | None) -> None:
        """Give the user that grant on the workspace (None: no grant)."""
        if level is not None:
            self.admin(f"{WS_API}/workspaces/{workspace}/permissions", {"username": user, "permission": level})
            self.grants.workspaces[(user, workspace)] = level
        elif self.grants.workspaces.pop((user, workspace), None) is not None:
            self.admin(f"{WS_API}/workspaces/{workspace}/permissions", {"username": user}, method="delete")

    def set_explicit_grant(self, kind: str, user: str, workspace: str, ident: str, level: str | None) -> None:
        """Create, change or remove (None) the user's explicit grant on an experiment (ident: its
        id) or a registered model (ident: its name) of the workspace."""
        if kind == "experiment":
            path, named_by, grants, key = "experiments", "experiment_id", self.grants.experiments, (user, ident)
        else:
            path, named_by, grants, key = "registered-models", "name", self.grants.models, (user, workspace, ident)
        fields = {named_by: ident, "username": user}
        if level is None:
            if grants.pop(key, None) is not None:
                self.admin(f"{API}/{path}/permissions/delete", fields, workspace, "delete")
            return
        verb, method = ("update", "patch") if key in grants else ("create", "post")
        self.admin(f"{API}/{path}/permissions/{verb}", {**fields, "permission": level}, workspace, method)
        grants[key] = level

    def add_experiment(self, workspace: str, experiment_id: str, name: str, creator: str) -> Experiment:
        """Note a new experiment; its creator holds MANAGE on it."""
        experiment = self.catalog.experiments[experiment_id] = Experiment(experiment_id, name, workspace)
        self.grants.experiments[(creator, experiment_id)] = "MANAGE"
        return experiment

    def add_run(self, experiment: Experiment, run_id: str) -> None:
        """Note a new run of the experiment."""
        experiment.runs.append(run_id)
        self.catalog.runs[run_id] = experiment.id

    def add_model(self, workspace: str, name: str, creator: str) -> None:
        """Note a new registered model; its creator holds MANAGE on it."""
        self.catalog.models[(workspace, name)] = 0
        self.grants.models[(creator, workspace, name)] = "MANAGE"

    # what the model expects ---------------------------------------------------------------------

    def on_experiment(self, user: str, workspace: str, capability: str, experiment: Experiment | None) -> int:
        """The status of a request needing `capability` on the experiment (None: a missing one)."""
        found = experiment is not None and experiment.workspace == workspace
        explicit = self.grants.experiments.get((user, experiment.id)) if found else None
        return self.grants.status(user, workspace, capability, found, explicit)

    def on_model(self, user: str, workspace: str, capability: str, model: tuple[str, str] | None) -> int:
        """The status of a request needing `capability` on the model (None: a missing one)."""
        found = model is not None and model[0] == workspace
        explicit = self.grants.models.get((user, *model)) if found else None
        return self.grants.status(user, workspace, capability, found, explicit)

    def on_workspace(self, user: str, workspace: str, capability: str) -> int:
        """The status of a request needing `capability` on the workspace as a whole."""
        return self.grants.status(user, workspace, capability, workspace in self.catalog.workspaces)


@dataclass
class Example:
    """One example's own workspaces (then 'default') and resources."""

    prefix: str
    workspaces: list[str]
    experiments: list[Experiment] = field(default_factory=list)
    models: list[tuple[str, str]] = field(default_factory=list)  # (workspace, name)
    counter: itertools.count = field(default_factory=lambda: itertools.count())

    @property
    def ghost(self) -> str:
        """A well-formed name of a workspace that does not exist."""
        return f"{self.prefix}-ghost"

    @property
    def places(self) -> list[str]:
        """Where requests are sent: every workspace of the example, and one that does not exist."""
        return [*self.workspaces, self.ghost]

    def new_name(self, kind: str) -> str:
        """A name no resource of the example has had."""
        return f"{self.prefix}-{kind}{next(self.counter)}"


def build_example(server: Server, data) -> Example:
    """Workspaces, grants on them, experiments with runs, models with versions and explicit
    grants, all drawn, all made by the admin."""
    prefix = f"p{uuid.uuid4().hex[:10]}"
    own = [f"{prefix}-w{i}" for i in range(data.draw(st.integers(1, 3), label="new workspaces"))]
    for name in own:
        server.admin(f"{WS_API}/workspaces", {"name": name})
        server.catalog.workspaces.add(name)
    example = Example(prefix, [*own, DEFAULT])
    for user in server.users:
        for workspace in example.workspaces:
            server.set_workspace_grant(user, workspace, data.draw(st.sampled_from((None, *LEVELS)),
                                                                  label=f"{user} on {workspace}"))
    homes = st.sampled_from(example.workspaces)
    for workspace, n in data.draw(st.lists(st.tuples(homes, st.integers(0, 1)), min_size=1, max_size=4, unique=True),
                                  label="experiments (workspace, name)"):
        example.experiments.append(_experiment(server, workspace, f"{prefix}-e{n}",
                                               data.draw(st.integers(0, 2), label="runs")))
    for workspace, n in data.draw(st.lists(st.tuples(homes, st.integers(0, 1)), min_size=1, max_size=3, unique=True),
                                  label="models (workspace, name)"):
        example.models.append(_model(server, workspace, f"{prefix}-m{n}"))
    _explicit_grants(server, example, data)
    return example


def _experiment(server: Server, workspace: str, name: str, runs: int) -> Experiment:
    experiment_id = server.admin(f"{API}/experiments/create", {"name": name}, workspace)["experiment_id"]
    experiment = server.add_experiment(workspace, experiment_id, name, ADMIN)
    for _ in range(runs):
        run = server.admin(f"{API}/runs/create", {"experiment_id": experiment_id}, workspace)["run"]
        server.add_run(experiment, run["info"]["run_id"])
    return experiment


def _model(server: Server, workspace: str, name: str) -> tuple[str, str]:
    # The description and the version's source name the workspace, so that a list shows where
    # each item lives.
    server.admin(f"{API}/registered-models/create", {"name": name, "description": f"lives in {workspace}"}, workspace)
    server.add_model(workspace, name, ADMIN)
    server.admin(f"{API}/model-versions/create", {"name": name, "source": f"s3://bucket/{workspace}/{name}"}, workspace)
    server.catalog.models[(workspace, name)] = 1
    return workspace, name


def _explicit_grants(server: Server, example: Example, data) -> None:
    users, levels = st.sampled_from(server.users), st.sampled_from(LEVELS)
    for user, experiment, level in data.draw(
            st.lists(st.tuples(users, st.sampled_from(example.experiments), levels), max_size=6,
                     unique_by=lambda t: (t[0], t[1].id)), label="experiment grants"):
        server.set_explicit_grant("experiment", user, experiment.workspace, experiment.id, level)
    for user, (workspace, name), level in data.draw(
            st.lists(st.tuples(users, st.sampled_from(example.models), levels), max_size=5,
                     unique_by=lambda t: t[:2]), label="model grants"):
        server.set_explicit_grant("model", user, workspace, name, level)
