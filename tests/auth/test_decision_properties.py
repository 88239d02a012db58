"""Property tests of authorization (issue 6, item 5b). Hypothesis draws the server's defaults,
workspaces, experiments with runs, registered models with versions, and grants of every level on
workspaces, experiments and models; then requests as random users in random workspaces (the
resource's own, another one, or one that does not exist). Every status must be the one the
brute-force model of tests/auth/permission_model.py gives, every search must show exactly what
the model lets the user read, and no list may ever show a resource of another workspace.

Each example makes its own workspaces and resources (names start with a fresh prefix) on one of a
few servers that share the module's database; each server has its own users, whose grants the
model follows. Grants change through the REST API in the middle of an example, and the very next
request must see the change."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from tests.auth.permission_model import ADMIN, DEFAULT, LEVELS
from tests.auth.property_world import API, WS_API, Catalog, Example, Experiment, Server, build_example
from tests.conftest import DATABASE_KINDS

# (default_permission, grant_default_workspace_access) of the servers examples run on
CONFIGS = (("READ", False), ("READ", True), ("EDIT", True), ("MANAGE", True), ("NO_PERMISSIONS", True),
           ("USE", False))
MISSING_EXPERIMENT, MISSING_RUN = "987654321", "f" * 32
ERROR_CODES = {400: "RESOURCE_ALREADY_EXISTS", 403: "PERMISSION_DENIED", 404: "RESOURCE_DOES_NOT_EXIST"}
# Examples per property and database kind: fewer each when a database server runs them too, whose
# every statement is a round trip (the file stays under a minute).
ANSWER_EXAMPLES, LIST_EXAMPLES = (30, 8) if DATABASE_KINDS == ["sqlite"] else (20, 6)
# Reproducible in CI: the same examples on every run, none remembered between runs. Shrinking a
# failure takes minutes here (hypothesis gives it up to five), so it is off unless asked for with
# WSAUTH_SHRINK=1; the failing example's draws and the model's reasons are printed either way.
PROPERTIES = settings(
    deadline=None, derandomize=True, database=None,
    phases=tuple(Phase) if os.environ.get("WSAUTH_SHRINK") == "1" else (Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def servers(make_module_auth_app):
    """servers(config) -> the module's Server with those defaults, built on first use."""
    catalog, built = Catalog(), {}

    def server_for(config: tuple[str, bool]) -> Server:
        if config not in built:
            default_permission, grant_default = config
            app = make_module_auth_app(default_permission=default_permission, grant_default=str(grant_default).lower())
            built[config] = Server(app, catalog, default_permission, grant_default, f"s{len(built)}")
            if len(built) == 1:  # what the database held before any example (experiment 0 in default)
                found = built[config].admin(f"{API}/experiments/search", {"view_type": "ALL"}, DEFAULT)
                for e in found.get("experiments", []):
                    catalog.experiments[e["experiment_id"]] = Experiment(e["experiment_id"], e["name"], DEFAULT)
        return built[config]

    return server_for


# drawing a request's parts ------------------------------------------------------------------------

def someone(server: Server, data) -> str:
    """One of the server's users, or the admin."""
    return data.draw(st.sampled_from([*server.users, ADMIN]), label="as")


def where(example: Example, data, home: str | None = None) -> str:
    """The request's workspace: often the resource's own, else any (one that does not exist too)."""
    if home is not None and data.draw(st.booleans(), label="in the resource's workspace"):
        return home
    return data.draw(st.sampled_from(example.places), label="in")


def an_experiment(example: Example, data) -> Experiment | None:
    """One of the example's experiments, or None for a missing one."""
    return data.draw(st.sampled_from([*example.experiments, None]), label="experiment")


def a_model(example: Example, data) -> tuple[str, str] | None:
    """One of the example's models, or None for a missing one."""
    return data.draw(st.sampled_from([*example.models, None]), label="model")


def often(data, preferred: list, anything: list, label: str):
    """One of `preferred` at even odds when there is any (the paths a manager opens are rare
    among random draws), else one of `anything`."""
    if preferred and data.draw(st.booleans(), label=f"{label}: a preferred one"):
        return data.draw(st.sampled_from(preferred), label=label)
    return data.draw(st.sampled_from(anything), label=label)


def expect(response, status: int, why: str) -> None:
    """The response has the model's status, and an error is JSON with the matching code."""
    text = response.get_data(as_text=True)
    # what was tried, for --hypothesis-show-statistics
    event(f"{response.request.method} {re.sub(r'p[0-9a-f]{10}-[a-z0-9]+', '<ws>', response.request.path)} -> {status}")
    assert response.status_code == status, f"{why}: the model says {status}, the server {response.status_code} {text}"
    if status >= 400:
        assert response.json["error_code"] == ERROR_CODES[status] and response.json["message"], text


def explain(server: Server, user: str, workspace: str, what: str) -> str:
    """The facts behind an expected status, for failure messages."""
    grants = server.grants
    return (f"{user} in '{workspace}': {what}; grant on the workspace {grants.workspaces.get((user, workspace))}, "
            f"default_permission {grants.default_permission}, grant_default_workspace_access {grants.grant_default}")


# requests on experiments and runs -----------------------------------------------------------------

def get_experiment(server: Server, example: Example, data) -> None:
    experiment = an_experiment(example, data)
    user, workspace = someone(server, data), where(example, data, experiment and experiment.workspace)
    response = server.send(user, "GET", f"{API}/experiments/get", workspace,
                           query={"experiment_id": experiment.id if experiment else MISSING_EXPERIMENT})
    expect(response, server.on_experiment(user, workspace, "read", experiment),
           explain(server, user, workspace, f"get {experiment}"))


def get_experiment_by_name(server: Server, example: Example, data) -> None:
    experiment = an_experiment(example, data)
    user, workspace = someone(server, data), where(example, data, experiment and experiment.workspace)
    name = experiment.name if experiment else f"{example.prefix}-nowhere"
    response = server.send(user, "GET", f"{API}/experiments/get-by-name", workspace, query={"experiment_name": name})
    # The name decides: an experiment of that name may live in this workspace and in others.
    here = server.catalog.experiment_named(workspace, name)
    expect(response, server.on_experiment(user, workspace, "read", here),
           explain(server, user, workspace, f"get by name {name}"))
    if response.status_code == 200:
        assert response.json["experiment"]["experiment_id"] == here.id


def rename_experiment(server: Server, example: Example, data) -> None:
    experiment = an_experiment(example, data)
    user, workspace = someone(server, data), where(example, data, experiment and experiment.workspace)
    new_name = example.new_name("renamed")
    response = server.send(user, "POST", f"{API}/experiments/update", workspace,
                           body={"experiment_id": experiment.id if experiment else MISSING_EXPERIMENT,
                                 "new_name": new_name})
    if response.status_code == 200:
        experiment.name = new_name
    expect(response, server.on_experiment(user, workspace, "update", experiment),
           explain(server, user, workspace, f"rename {experiment}"))


def delete_experiment(server: Server, example: Example, data) -> None:
    """Only as an example's last request: the host's answers about deleted things are not modelled."""
    experiment = an_experiment(example, data)
    user, workspace = someone(server, data), where(example, data, experiment and experiment.workspace)
    response = server.send(user, "POST", f"{API}/experiments/delete", workspace,
                           body={"experiment_id": experiment.id if experiment else MISSING_EXPERIMENT})
    expect(response, server.on_experiment(user, workspace, "delete", experiment),
           explain(server, user, workspace, f"delete {experiment}"))


def create_run(server: Server, example: Example, data) -> None:
    experiment = an_experiment(example, data)
    user, workspace = someone(server, data), where(example, data, experiment and experiment.workspace)
    response = server.send(user, "POST", f"{API}/runs/create", workspace,
                           body={"experiment_id": experiment.id if experiment else MISSING_EXPERIMENT})
    if response.status_code == 200:
        server.add_run(experiment, response.json["run"]["info"]["run_id"])
    expect(response, server.on_experiment(user, workspace, "update", experiment),
           explain(server, user, workspace, f"create a run in {experiment}"))


def _a_run(example: Example, data) -> tuple[str, Experiment | None]:
    runs = [(run, e) for e in example.experiments for run in e.runs]
    return data.draw(st.sampled_from([*runs, (MISSING_RUN, None)]), label="run")


def get_run(server: Server, example: Example, data) -> None:
    run, experiment = _a_run(example, data)
    user, workspace = someone(server, data), where(example, data, experiment and experiment.workspace)
    response = server.send(user, "GET", f"{API}/runs/get", workspace, query={"run_id": run})
    expect(response, server.on_experiment(user, workspace, "read", experiment),
           explain(server, user, workspace, f"get run {run} of {experiment}"))


def log_metric(server: Server, example: Example, data) -> None:
    run, experiment = _a_run(example, data)
    user, workspace = someone(server, data), where(example, data, experiment and experiment.workspace)
    response = server.send(user, "POST", f"{API}/runs/log-metric", workspace,
                           body={"run_id": run, "key": "loss", "value": 0.5, "timestamp": 1, "step": 0})
    expect(response, server.on_experiment(user, workspace, "update", experiment),
           explain(server, user, workspace, f"log to run {run} of {experiment}"))


# requests on registered models ----------------------------------------------------------------------

def get_model(server: Server, example: Example, data) -> None:
    model = a_model(example, data)
    user, workspace = someone(server, data), where(example, data, model and model[0])
    name = model[1] if model else f"{example.prefix}-nowhere"
    response = server.send(user, "GET", f"{API}/registered-models/get", workspace, query={"name": name})
    # Models are named, not numbered: a model of that name may also live in this workspace.
    here = (workspace, name) if (workspace, name) in server.catalog.models else None
    expect(response, server.on_model(user, workspace, "read", here), explain(server, user, workspace, f"get {model}"))
    if response.status_code == 200:
        assert response.json["registered_model"]["description"] == f"lives in {workspace}"


def update_model(server: Server, example: Example, data) -> None:
    model = a_model(example, data)
    user, workspace = someone(server, data), where(example, data, model and model[0])
    name = model[1] if model else f"{example.prefix}-nowhere"
    response = server.send(user, "PATCH", f"{API}/registered-models/update", workspace,
                           body={"name": name, "description": f"lives in {workspace}"})
    here = (workspace, name) if (workspace, name) in server.catalog.models else None
    expect(response, server.on_model(user, workspace, "update", here),
           explain(server, user, workspace, f"update {model}"))


# creating -----------------------------------------------------------------------------------------

def create_experiment(server: Server, example: Example, data) -> None:
    """A user looks at the list, creates an experiment, and shares it at once (the list leaves their
    grants in the worker's cache, where the creator's new grant must show up)."""
    user, workspace = someone(server, data), where(example, data)
    check_listing(server, example, user, workspace, LISTINGS[0])
    name = example.new_name("made")
    response = server.send(user, "POST", f"{API}/experiments/create", workspace, body={"name": name})
    if response.status_code == 200:
        experiment = server.add_experiment(workspace, response.json["experiment_id"], name, user)
        example.experiments.append(experiment)
    expect(response, server.on_workspace(user, workspace, "update"), explain(server, user, workspace, "create experiment"))
    if response.status_code == 200:  # the creator manages it at once
        grant_request(server, example, user, workspace, "experiment", experiment, "get", user, None)


def create_model(server: Server, example: Example, data) -> None:
    """The same for a registered model."""
    user, workspace = someone(server, data), where(example, data)
    check_listing(server, example, user, workspace, LISTINGS[2])
    name = example.new_name("made")
    response = server.send(user, "POST", f"{API}/registered-models/create", workspace,
                           body={"name": name, "description": f"lives in {workspace}"})
    if response.status_code == 200:
        server.add_model(workspace, name, user)
        example.models.append((workspace, name))
    expect(response, server.on_workspace(user, workspace, "update"), explain(server, user, workspace, "create model"))
    if response.status_code == 200:  # the creator manages it at once
        grant_request(server, example, user, workspace, "model", (workspace, name), "get", user, None)


# managing grants ------------------------------------------------------------------------------------

GRANT_VERBS = {"create": "POST", "get": "GET", "update": "PATCH", "delete": "DELETE"}


def grant_request(server: Server, example: Example, user: str, workspace: str, kind: str, resource,
                  verb: str, target: str, level: str | None) -> None:
    """One experiments/ or registered-models/permissions/<verb> request about the target user's
    grant on the resource (an Experiment, a (workspace, name) model, or None for a missing one)."""
    if kind == "experiment":
        ident = resource.id if resource else MISSING_EXPERIMENT
        route, fields, grants, key = "experiments", {"experiment_id": ident}, server.grants.experiments, (target, ident)
        answer = "experiment_permission"
        status = server.on_experiment(user, workspace, "manage", resource)
    else:
        name = resource[1] if resource else f"{example.prefix}-nowhere"
        here = (workspace, name) if (workspace, name) in server.catalog.models else None
        route, fields, grants, key = "registered-models", {"name": name}, server.grants.models, (target, workspace, name)
        answer = "registered_model_permission"
        status = server.on_model(user, workspace, "manage", here)
    fields.update(username=target, **({"permission": level} if verb in ("create", "update") else {}))
    response = server.send(user, GRANT_VERBS[verb], f"{API}/{route}/permissions/{verb}", workspace,
                           **({"query": fields} if verb == "get" else {"body": fields}))
    if status == 200:
        status = _after_manage(server, verb, user, target, workspace, key in grants)
    _follow(grants, key, verb, level, response)
    expect(response, status, explain(server, user, workspace, f"{verb} {target}'s grant ({level}) on {resource}"))
    if verb == "get" and response.status_code == 200:
        assert response.json[answer]["permission"] == grants[key]


def _after_manage(server: Server, verb: str, user: str, target: str, workspace: str, has_grant: bool) -> int:
    """What the grant handlers answer once the hook let the request through."""
    if verb != "get" and user != ADMIN and target != user and server.grants.manages_workspace(target, workspace):
        return 403  # only admins touch the grants of a fellow workspace manager
    if verb == "create":
        return 400 if has_grant else 200
    return 200 if has_grant else 404


def _follow(grants: dict, key, verb: str, level: str | None, response) -> None:
    """Keep the model in step with what the server did (before judging whether it should have)."""
    if response.status_code // 100 != 2:
        return
    if verb in ("create", "update", "set"):
        grants[key] = level
    elif verb == "delete":
        grants.pop(key, None)


def workspace_grant_request(server: Server, user: str, workspace: str, verb: str, target: str, level: str) -> None:
    """One list / set / delete request on /workspaces/<workspace>/permissions."""
    method, body = {"list": ("GET", None), "set": ("POST", {"username": target, "permission": level}),
                    "delete": ("DELETE", {"username": target})}[verb]
    response = server.send(user, method, f"{WS_API}/workspaces/{workspace}/permissions", None, body=body)
    key = (target, workspace)
    status = server.on_workspace(user, workspace, "manage")
    if status == 200 and user != ADMIN and verb != "list":
        if verb == "set" and level == "MANAGE" or target != user and server.grants.manages_workspace(target, workspace):
            status = 403  # a workspace manager delegates below MANAGE only
    if status == 200 and verb == "delete":
        status = 204 if key in server.grants.workspaces else 404
    _follow(server.grants.workspaces, key, verb, level, response)
    expect(response, status, explain(server, user, workspace, f"{verb} workspace grants, {target} {level}"))
    if verb == "list" and response.status_code == 200:
        shown = {(p["username"], p["permission"]) for p in response.json["permissions"] if p["username"] in server.users}
        wanted = {(u, level) for (u, w), level in server.grants.workspaces.items() if w == workspace and u in server.users}
        assert shown == wanted


def manage_resource_grant(server: Server, example: Example, data) -> None:
    """Anyone tries a grant route on an experiment or model, often one they manage."""
    user, kind = someone(server, data), data.draw(st.sampled_from(("experiment", "model")), label="grant on")
    if kind == "experiment":
        managed = [e for e in example.experiments if server.on_experiment(user, e.workspace, "manage", e) == 200]
        resource = often(data, managed, [*example.experiments, None], "experiment")
        home = resource and resource.workspace
    else:
        managed = [m for m in example.models if server.on_model(user, m[0], "manage", m) == 200]
        resource = often(data, managed, [*example.models, None], "model")
        home = resource and resource[0]
    grant_request(server, example, user, where(example, data, home), kind, resource,
                  data.draw(st.sampled_from(sorted(GRANT_VERBS)), label="verb"), someone(server, data),
                  data.draw(st.sampled_from(LEVELS), label="level"))


def manage_workspace_grants(server: Server, example: Example, data) -> None:
    """Anyone tries the workspace grant routes, often on a workspace they manage."""
    user = someone(server, data)
    managed = [w for w in example.workspaces if server.grants.may(user, w, "manage")]
    workspace = often(data, managed, example.places, "workspace in the path")
    workspace_grant_request(server, user, workspace, data.draw(st.sampled_from(("list", "set", "delete")), label="verb"),
                            someone(server, data), data.draw(st.sampled_from(LEVELS), label="level"))


def delegate(server: Server, example: Example, data) -> None:
    """A non-admin manager (made one by the admin when needed) changes someone's grant, often a
    fellow workspace manager's: the paths the delegation limits guard, rare among random draws."""
    user = data.draw(st.sampled_from(server.users), label="manager")
    target = often(data, [u for u in server.users if u != user], [*server.users, ADMIN], "target")
    kind = data.draw(st.sampled_from(("workspace", "experiment", "model")), label="delegates on")
    resource = None
    if kind == "workspace":
        workspace = data.draw(st.sampled_from(example.workspaces), label="workspace")
        if not server.grants.may(user, workspace, "manage"):
            server.set_workspace_grant(user, workspace, "MANAGE")
    elif kind == "experiment":
        resource = data.draw(st.sampled_from(example.experiments), label="experiment")
        workspace = resource.workspace
        if server.on_experiment(user, workspace, "manage", resource) != 200:
            server.set_explicit_grant(kind, user, workspace, resource.id, "MANAGE")
    else:
        workspace, name = resource = data.draw(st.sampled_from(example.models), label="model")
        if server.on_model(user, workspace, "manage", resource) != 200:
            server.set_explicit_grant(kind, user, workspace, name, "MANAGE")
    if target not in (user, ADMIN) and data.draw(st.booleans(), label="the target manages the workspace"):
        server.set_workspace_grant(target, workspace, "MANAGE")
    level = data.draw(st.sampled_from(LEVELS), label="level")
    if kind == "workspace":
        return workspace_grant_request(server, user, workspace, data.draw(st.sampled_from(("set", "delete")),
                                                                          label="verb"), target, level)
    grant_request(server, example, user, workspace, kind, resource,
                  data.draw(st.sampled_from(("create", "update", "delete")), label="verb"), target, level)


# lists ----------------------------------------------------------------------------------------------

def get_workspace(server: Server, example: Example, data) -> None:
    user, workspace = someone(server, data), data.draw(st.sampled_from(example.places), label="workspace in the path")
    response = server.send(user, "GET", f"{WS_API}/workspaces/{workspace}", None)
    exists = workspace in server.catalog.workspaces
    if user == ADMIN:
        status = 200 if exists else 404
    else:
        status = 200 if exists and server.grants.lists_workspace(user, workspace) else 403
    expect(response, status, explain(server, user, workspace, "get the workspace"))


def list_workspaces(server: Server, user: str) -> None:
    """Exactly the workspaces the model shows the user, across every example so far."""
    response = server.send(user, "GET", f"{WS_API}/workspaces", None)
    expect(response, 200, f"{user} lists workspaces")
    shown = [w["name"] for w in response.json["workspaces"]]
    assert set(shown) <= server.catalog.workspaces, "a workspace that does not exist"
    assert set(shown) == {w for w in server.catalog.workspaces if server.grants.lists_workspace(user, w)}, \
        explain(server, user, "-", f"list workspaces: {sorted(shown)}")


@dataclass(frozen=True)
class Listing:
    """A search route, and how to tell where each item it returns lives."""

    method: str
    path: str
    items: str

    def request(self, server: Server) -> dict:
        if self.items == "runs":  # every experiment id there is, so that a leak could show
            return {"experiment_ids": sorted(server.catalog.experiments), "run_view_type": "ALL", "max_results": 1000}
        return {"experiments": {"view_type": "ALL", "max_results": 1000},
                "registered_models": {"max_results": 1000}, "model_versions": {}}[self.items]

    def home(self, server: Server, item: dict) -> str:
        """The workspace of a listed item."""
        if self.items == "experiments":
            return server.catalog.experiments[item["experiment_id"]].workspace
        if self.items == "runs":
            return server.catalog.experiments[server.catalog.runs[item["info"]["run_id"]]].workspace
        if self.items == "registered_models":
            return item["description"].removeprefix("lives in ")
        return item["source"].split("/")[3]  # s3://bucket/<workspace>/<name>

    def key(self, item: dict) -> str:
        return {"experiments": lambda: item["experiment_id"], "runs": lambda: item["info"]["run_id"]}.get(
            self.items, lambda: item["name"])()

    def candidates(self, server: Server, example: Example, user: str) -> list[tuple[str, str, str | None]]:
        """The example's items of this kind: (key, workspace, the user's explicit grant)."""
        grants = server.grants
        if self.items == "experiments":
            return [(e.id, e.workspace, grants.experiments.get((user, e.id))) for e in example.experiments]
        if self.items == "runs":
            return [(run, e.workspace, grants.experiments.get((user, e.id))) for e in example.experiments for run in e.runs]
        return [(name, ws, grants.models.get((user, ws, name))) for ws, name in example.models
                if self.items == "registered_models" or server.catalog.models[(ws, name)]]


LISTINGS = (Listing("POST", f"{API}/experiments/search", "experiments"),
            Listing("POST", f"{API}/runs/search", "runs"),
            Listing("GET", f"{API}/registered-models/search", "registered_models"),
            Listing("GET", f"{API}/model-versions/search", "model_versions"))


def check_listing(server: Server, example: Example, user: str, workspace: str, listing: Listing) -> None:
    """No item of another workspace, and exactly the example's items the model lets the user read."""
    body = listing.request(server)
    response = server.send(user, listing.method, listing.path, workspace,
                           **({"query": body} if listing.method == "GET" else {"body": body}))
    why = explain(server, user, workspace, listing.path)
    if workspace not in server.catalog.workspaces and user == ADMIN:
        return expect(response, 404, why)  # only admins learn that a workspace does not exist
    expect(response, 200, why)
    items = response.json.get(listing.items, [])
    assert "next_page_token" not in response.json, "the test's lists fit one page"
    strays = [listing.key(item) for item in items if listing.home(server, item) != workspace]
    assert not strays, f"{why}: items of another workspace {strays}"
    candidates = listing.candidates(server, example, user)
    shown = {listing.key(item) for item in items} & {key for key, _, _ in candidates}
    readable = {key for key, home, explicit in candidates
                if home == workspace and server.grants.may(user, workspace, "read", explicit)}
    assert shown == readable, f"{why}: shows {sorted(shown)}, the model {sorted(readable)}"


def search(server: Server, example: Example, data) -> None:
    listing = data.draw(st.sampled_from(LISTINGS), label="listing")
    check_listing(server, example, someone(server, data), where(example, data), listing)


def workspaces_list(server: Server, example: Example, data) -> None:
    list_workspaces(server, someone(server, data))


def regrant(server: Server, example: Example, data) -> None:
    """The admin changes one of a user's grants, and the user's very next request must see it."""
    user = data.draw(st.sampled_from(server.users), label="whose grant")
    level = data.draw(st.sampled_from((None, *LEVELS)), label="new level")
    kind = data.draw(st.sampled_from(("workspace", "experiment", "model")), label="regrant on")
    if kind == "workspace":
        workspace = data.draw(st.sampled_from(example.workspaces), label="workspace")
        server.set_workspace_grant(user, workspace, level)
        return check_listing(server, example, user, workspace, LISTINGS[0])
    if kind == "experiment":
        experiment = data.draw(st.sampled_from(example.experiments), label="experiment")
        server.set_explicit_grant(kind, user, experiment.workspace, experiment.id, level)
        response = server.send(user, "GET", f"{API}/experiments/get", experiment.workspace,
                               query={"experiment_id": experiment.id})
        return expect(response, server.on_experiment(user, experiment.workspace, "read", experiment),
                      explain(server, user, experiment.workspace, f"get {experiment} after its grant became {level}"))
    workspace, name = model = data.draw(st.sampled_from(example.models), label="model")
    server.set_explicit_grant(kind, user, workspace, name, level)
    response = server.send(user, "GET", f"{API}/registered-models/get", workspace, query={"name": name})
    expect(response, server.on_model(user, workspace, "read", model),
           explain(server, user, workspace, f"get {model} after its grant became {level}"))


REQUESTS = (regrant, get_experiment, get_experiment_by_name, rename_experiment, create_run, get_run, log_metric,
            get_model, update_model, create_experiment, create_model, manage_resource_grant,
            manage_workspace_grants, delegate, delegate, get_workspace, search, workspaces_list)


# the properties ---------------------------------------------------------------------------------------

@settings(PROPERTIES, max_examples=ANSWER_EXAMPLES)
@given(data=st.data())
def test_every_answer_is_the_models(servers, data):
    server = servers(data.draw(st.sampled_from(CONFIGS), label="config"))
    example = build_example(server, data)
    for _ in range(data.draw(st.integers(4, 16), label="requests")):
        data.draw(st.sampled_from(REQUESTS), label="request")(server, example, data)
    if data.draw(st.booleans(), label="delete an experiment at the end"):
        delete_experiment(server, example, data)


@settings(PROPERTIES, max_examples=LIST_EXAMPLES)
@given(data=st.data())
def test_no_list_shows_another_workspace(servers, data):
    server = servers(data.draw(st.sampled_from(CONFIGS), label="config"))
    example = build_example(server, data)
    for user in [*server.users, ADMIN]:
        for workspace in example.places:
            for listing in LISTINGS:
                check_listing(server, example, user, workspace, listing)
        list_workspaces(server, user)
