"""Authorization, route family by route family: each permission level granted on the workspace,
explicit grants overriding it both ways, creation, grant_default_workspace_access, and a server
without workspaces. 403 bodies are JSON PERMISSION_DENIED naming the missing capability."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Callable

import pytest

from tests.auth.conftest import admin_headers, admin_post, as_user, new_user

API = "/api/2.0/mlflow"
WS_API = "/api/3.0/mlflow"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
TEAM = "team-a"
LEVELS = ("READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS", None)  # None: no grant at all
CAPABILITIES = {
    "READ": {"read"}, "USE": {"read", "use"}, "EDIT": {"read", "use", "update"},
    "MANAGE": {"read", "use", "update", "delete", "manage"}, "NO_PERMISSIONS": set(), None: set(),
}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Team:
    """Resources an admin creates in one workspace, fresh for every case."""

    def __init__(self, client, workspace: str = TEAM):
        self.client, self.workspace = client, workspace

    def admin(self, path: str, body: dict, method: str = "post") -> dict:
        return admin_post(self.client, path, body, self.workspace, method)

    def experiment(self) -> str:
        return self.admin(f"{API}/experiments/create", {"name": unique("exp")})["experiment_id"]

    def run(self, experiment_id: str | None = None) -> str:
        experiment_id = experiment_id or self.experiment()
        return self.admin(f"{API}/runs/create", {"experiment_id": experiment_id})["run"]["info"]["run_id"]

    def model(self, prompt: bool = False) -> str:
        name = unique("prompt" if prompt else "model")
        tags = [{"key": "mlflow.prompt.is_prompt", "value": "true"}] if prompt else []
        self.admin(f"{API}/registered-models/create", {"name": name, "tags": tags})
        version_tags = [{"key": "mlflow.prompt.text", "value": "Hello {{name}}"}] if prompt else []
        self.admin(f"{API}/model-versions/create", {"name": name, "source": "s3://bucket/model", "tags": version_tags})
        return name

    def artifact(self) -> str:
        path = f"workspaces/{self.workspace}/{self.experiment()}/notes.txt"
        response = self.client.put(f"{PROXY}/{path}", data=b"hello", headers=as_user(None, self.workspace))
        assert response.status_code == 200, response.json
        return path


@dataclass(frozen=True)
class Case:
    """A request needing `capability` on a fresh resource; `act(team, headers)` sends it."""

    name: str
    capability: str
    act: Callable
    status: int = 200

    def __repr__(self):
        return self.name


def get(path, **query):
    return lambda t, h: t.client.get(path, query_string=query, headers=h)


def _run_then(method, path, body, setup=None):
    def act(t, h):
        run_id = t.run()
        if setup:
            setup(t, run_id)
        return t.client.open(f"{API}/{path}", method=method, json={"run_id": run_id, **body}, headers=h)
    return act


def _experiment_then(method, path, body, setup=None):
    def act(t, h):
        experiment_id = t.experiment()
        if setup:
            setup(t, experiment_id)
        payload = {"experiment_id": experiment_id, **(body() if callable(body) else body)}
        return t.client.open(f"{API}/{path}", method=method, json=payload, headers=h)
    return act


def _model_then(method, path, body, prompt=False, setup=None):
    def act(t, h):
        name = t.model(prompt)
        if setup:
            setup(t, name)
        payload = {"name": name, **(body() if callable(body) else body)}
        if method == "GET":
            return t.client.get(f"{API}/{path}", query_string=payload, headers=h)
        return t.client.open(f"{API}/{path}", method=method, json=payload, headers=h)
    return act


def _artifact_then(method, data=None):
    def act(t, h):
        path = t.artifact()
        return t.client.open(f"{PROXY}/{path}", method=method, data=data, headers=h)
    return act


def _list_artifacts(t, h):
    path = t.artifact()
    return t.client.get(PROXY, query_string={"path": path.rsplit("/", 1)[0]}, headers=h)


def _get_experiment_by_name(t, h):
    experiment_id = t.experiment()
    name = t.client.get(f"{API}/experiments/get", query_string={"experiment_id": experiment_id},
                        headers=as_user(None, t.workspace)).json["experiment"]["name"]
    return t.client.get(f"{API}/experiments/get-by-name", query_string={"experiment_name": name}, headers=h)


def _metric_history(t, h):
    run_id = t.run()
    t.admin(f"{API}/runs/log-metric", {"run_id": run_id, "key": "loss", "value": 0.5})
    return t.client.get(f"{API}/metrics/get-history", query_string={"run_id": run_id, "metric_key": "loss"}, headers=h)


def _set_experiment_tag(t, experiment_id):
    t.admin(f"{API}/experiments/set-experiment-tag", {"experiment_id": experiment_id, "key": "k", "value": "v"})


def _set_run_tag(t, run_id):
    t.admin(f"{API}/runs/set-tag", {"run_id": run_id, "key": "k", "value": "v"})


def _delete_run(t, run_id):
    t.admin(f"{API}/runs/delete", {"run_id": run_id})


def _delete_experiment(t, experiment_id):
    t.admin(f"{API}/experiments/delete", {"experiment_id": experiment_id})


def _set_model_tag(t, name):
    t.admin(f"{API}/registered-models/set-tag", {"name": name, "key": "k", "value": "v"})


def _set_version_tag(t, name):
    t.admin(f"{API}/model-versions/set-tag", {"name": name, "version": "1", "key": "k", "value": "v"})


def _set_alias(t, name):
    t.admin(f"{API}/registered-models/alias", {"name": name, "alias": "champion", "version": "1"})


CASES = [
    # experiments
    Case("experiments/get", "read", lambda t, h: t.client.get(f"{API}/experiments/get",
         query_string={"experiment_id": t.experiment()}, headers=h)),
    Case("experiments/get-by-name", "read", _get_experiment_by_name),
    Case("experiments/update", "update", _experiment_then("POST", "experiments/update", lambda: {"new_name": unique("renamed")})),
    Case("experiments/set-experiment-tag", "update",
         _experiment_then("POST", "experiments/set-experiment-tag", {"key": "k", "value": "v"})),
    Case("experiments/delete-experiment-tag", "update",
         _experiment_then("POST", "experiments/delete-experiment-tag", {"key": "k"}, _set_experiment_tag)),
    Case("experiments/delete", "delete", _experiment_then("POST", "experiments/delete", {})),
    Case("experiments/restore", "delete", _experiment_then("POST", "experiments/restore", {}, _delete_experiment)),
    # runs, through their experiment
    Case("runs/create", "update", _experiment_then("POST", "runs/create", {})),
    Case("runs/get", "read", lambda t, h: t.client.get(f"{API}/runs/get", query_string={"run_id": t.run()}, headers=h)),
    Case("runs/get by run_uuid", "read",
         lambda t, h: t.client.get(f"{API}/runs/get", query_string={"run_uuid": t.run()}, headers=h)),
    Case("metrics/get-history", "read", _metric_history),
    Case("runs/update", "update", _run_then("POST", "runs/update", {"status": "FINISHED"})),
    Case("runs/log-metric", "update", _run_then("POST", "runs/log-metric", {"key": "m", "value": 1.0})),
    Case("runs/log-parameter", "update", _run_then("POST", "runs/log-parameter", {"key": "p", "value": "1"})),
    Case("runs/log-batch", "update", _run_then("POST", "runs/log-batch", {"metrics": [{"key": "m", "value": 1}]})),
    Case("runs/set-tag", "update", _run_then("POST", "runs/set-tag", {"key": "k", "value": "v"})),
    Case("runs/delete-tag", "update", _run_then("POST", "runs/delete-tag", {"key": "k"}, _set_run_tag)),
    Case("runs/delete", "delete", _run_then("POST", "runs/delete", {})),
    Case("runs/restore", "delete", _run_then("POST", "runs/restore", {}, _delete_run)),
    # registered models
    Case("registered-models/get", "read", _model_then("GET", "registered-models/get", {})),
    Case("registered-models/get-latest-versions", "read", _model_then("GET", "registered-models/get-latest-versions", {})),
    Case("registered-models/update", "update", _model_then("PATCH", "registered-models/update", {"description": "d"})),
    Case("registered-models/rename", "update", _model_then("POST", "registered-models/rename", lambda: {"new_name": unique("new")})),
    Case("registered-models/set-tag", "update", _model_then("POST", "registered-models/set-tag", {"key": "k", "value": "v"})),
    Case("registered-models/delete-tag", "update",
         _model_then("DELETE", "registered-models/delete-tag", {"key": "k"}, setup=_set_model_tag)),
    Case("registered-models/delete", "delete", _model_then("DELETE", "registered-models/delete", {})),
    # model versions, through their model
    Case("model-versions/create", "update", _model_then("POST", "model-versions/create", {"source": "s3://b/m2"})),
    Case("model-versions/get", "read", _model_then("GET", "model-versions/get", {"version": "1"})),
    Case("model-versions/get-download-uri", "read", _model_then("GET", "model-versions/get-download-uri", {"version": "1"})),
    Case("model-versions/update", "update", _model_then("PATCH", "model-versions/update", {"version": "1", "description": "d"})),
    Case("model-versions/transition-stage", "update",
         _model_then("POST", "model-versions/transition-stage", {"version": "1", "stage": "Staging"})),
    Case("model-versions/set-tag", "update",
         _model_then("POST", "model-versions/set-tag", {"version": "1", "key": "k", "value": "v"})),
    Case("model-versions/delete-tag", "update",
         _model_then("DELETE", "model-versions/delete-tag", {"version": "1", "key": "k"}, setup=_set_version_tag)),
    Case("model-versions/delete", "delete", _model_then("DELETE", "model-versions/delete", {"version": "1"})),
    # prompts are registered models
    Case("prompt get", "read", _model_then("GET", "registered-models/get", {}, prompt=True)),
    Case("prompt version get", "read", _model_then("GET", "model-versions/get", {"version": "1"}, prompt=True)),
    Case("prompt new version", "update", _model_then("POST", "model-versions/create", {
        "source": "dummy-source", "tags": [{"key": "mlflow.prompt.text", "value": "Hi"}]}, prompt=True)),
    Case("prompt set-tag", "update", _model_then("POST", "registered-models/set-tag", {"key": "k", "value": "v"}, prompt=True)),
    Case("prompt delete", "delete", _model_then("DELETE", "registered-models/delete", {}, prompt=True)),
    # aliases
    Case("alias set", "update", _model_then("POST", "registered-models/alias", {"alias": "champion", "version": "1"})),
    Case("alias get", "read", _model_then("GET", "registered-models/alias", {"alias": "champion"}, setup=_set_alias)),
    Case("alias delete", "delete", _model_then("DELETE", "registered-models/alias", {"alias": "champion"}, setup=_set_alias)),
    Case("prompt alias set", "update",
         _model_then("POST", "registered-models/alias", {"alias": "production", "version": "1"}, prompt=True)),
    # the artifact proxy, through the experiment in the path
    Case("artifacts list", "read", _list_artifacts),
    Case("artifacts download", "read", _artifact_then("GET")),
    Case("artifacts upload", "update", _artifact_then("PUT", b"changed")),
    Case("artifacts delete", "delete", _artifact_then("DELETE")),
    # workspaces
    Case("workspaces/get", "read", lambda t, h: t.client.get(f"{WS_API}/workspaces/{t.workspace}", headers=h)),
    Case("workspace permissions list", "manage",
         lambda t, h: t.client.get(f"{WS_API}/workspaces/{t.workspace}/permissions", headers=h)),
]


@pytest.fixture(scope="module")
def world(make_module_auth_app):
    """team-a and one user per level granted on it. default_permission is MANAGE, to show that it
    plays no part in a workspace without grant_default_workspace_access."""
    app = make_module_auth_app(default_permission="MANAGE")
    client = app.test_client()
    admin_post(client, f"{WS_API}/workspaces", {"name": TEAM})
    users = {}
    for level in LEVELS:
        users[level] = new_user(client, f"level-{level or 'none'}".lower().replace("_", "-"))
        if level:
            admin_post(client, f"{WS_API}/workspaces/{TEAM}/permissions",
                       {"username": users[level], "permission": level})
    return client, users


def assert_denied(response, capability: str):
    assert response.status_code == 403, (response.status_code, response.json)
    assert response.json["error_code"] == "PERMISSION_DENIED"
    assert set(response.json) == {"error_code", "message"}
    assert f"needs '{capability}'" in response.json["message"], response.json["message"]


def assert_allowed(response, case: Case):
    assert response.status_code == case.status, (case.name, response.status_code, response.get_data(as_text=True)[:300])


@pytest.mark.parametrize("level", LEVELS, ids=lambda level: str(level))
@pytest.mark.parametrize("case", CASES, ids=repr)
def test_each_level_granted_on_the_workspace(world, case, level):
    client, users = world
    response = case.act(Team(client), as_user(users[level], TEAM))
    if case.capability in CAPABILITIES[level]:
        assert_allowed(response, case)
    else:
        assert_denied(response, case.capability)


CREATIONS = {
    "experiment": (f"{API}/experiments/create", lambda name: {"name": name}, "experiment_id"),
    "registered model": (f"{API}/registered-models/create", lambda name: {"name": name}, None),
    "prompt": (f"{API}/registered-models/create",
               lambda name: {"name": name, "tags": [{"key": "mlflow.prompt.is_prompt", "value": "true"}]}, None),
}


def _delete_created(client, kind, key, headers):
    if kind == "experiment":
        return client.post(f"{API}/experiments/delete", json={"experiment_id": key}, headers=headers)
    return client.delete(f"{API}/registered-models/delete", json={"name": key}, headers=headers)


@pytest.mark.parametrize("level", LEVELS, ids=lambda level: str(level))
@pytest.mark.parametrize("kind", CREATIONS)
def test_creating_needs_edit_on_the_workspace_and_gives_the_creator_manage(world, kind, level):
    client, users = world
    path, body, id_field = CREATIONS[kind]
    name = unique(kind.replace(" ", "-"))
    response = client.post(path, json=body(name), headers=as_user(users[level], TEAM))
    if "update" not in CAPABILITIES[level]:
        assert_denied(response, "update")
        assert "workspace 'team-a'" in response.json["message"]
        return
    assert response.status_code == 200, response.json
    key = response.json[id_field] if id_field else name
    granted = client.get(f"{API}/users/get", query_string={"username": users[level]}, headers=admin_headers()).json["user"]
    if kind == "experiment":
        assert {"experiment_id": key, "user_id": granted["id"], "permission": "MANAGE"} in granted["experiment_permissions"]
    else:
        assert {"name": key, "user_id": granted["id"], "permission": "MANAGE", "workspace": TEAM} in \
            granted["registered_model_permissions"]
    # MANAGE on what they created: even an EDIT user may delete it
    assert _delete_created(client, kind, key, as_user(users[level], TEAM)).status_code == 200


@pytest.mark.parametrize("level", LEVELS, ids=lambda level: str(level))
@pytest.mark.parametrize("method, path, body", [
    ("POST", f"{WS_API}/workspaces", {"name": "made-by-user"}),
    ("PATCH", f"{WS_API}/workspaces/{TEAM}", {"description": "changed"}),
    ("DELETE", f"{WS_API}/workspaces/{TEAM}", None),
])
def test_workspace_create_update_delete_are_admin_only(world, level, method, path, body):
    client, users = world
    response = client.open(path, method=method, json=body, headers=as_user(users[level]))
    assert response.status_code == 403 and response.json["error_code"] == "PERMISSION_DENIED"
    assert "is for admins only" in response.json["message"]
    assert client.get(f"{WS_API}/workspaces/{TEAM}", headers=admin_headers()).json["workspace"] == {"name": TEAM}


@pytest.mark.parametrize("level", LEVELS, ids=lambda level: str(level))
def test_list_workspaces_shows_readable_workspaces(world, level):
    client, users = world
    listed = client.get(f"{WS_API}/workspaces", headers=as_user(users[level])).json["workspaces"]
    assert [ws["name"] for ws in listed] == ([TEAM] if "read" in CAPABILITIES[level] else [])


def test_a_members_upload_keeps_its_bytes(world):
    """The authorization check must leave the request body (the file) to the proxy."""
    client, users = world
    path = Team(client).artifact()
    content = b"member's bytes " * 70_000  # about 1 MB
    for headers in (as_user(users["EDIT"], TEAM), as_user(users["EDIT"], TEAM) | {"Content-Type": "application/json"}):
        assert client.put(f"{PROXY}/{path}", data=content, headers=headers).status_code == 200
        assert client.get(f"{PROXY}/{path}", headers=as_user(users["READ"], TEAM)).get_data() == content


# explicit grants override the workspace grant, both ways ------------------------------------------

def _grant(client, kind: str, key: str, username: str, level: str):
    if kind == "experiment":
        admin_post(client, f"{API}/experiments/permissions/create",
                   {"experiment_id": key, "username": username, "permission": level}, TEAM)
    else:
        admin_post(client, f"{API}/registered-models/permissions/create",
                   {"name": key, "username": username, "permission": level}, TEAM)


@dataclass(frozen=True)
class Probe:
    """A read, an update and a delete of one kind of resource, with how to grant on it."""

    name: str
    make: Callable  # team -> (grant kind, grant key, context)
    read: Callable  # (team, context, headers) -> response
    update: Callable
    delete: Callable

    def __repr__(self):
        return self.name


def _experiment_probe():
    def make(t):
        experiment_id = t.experiment()
        return "experiment", experiment_id, experiment_id
    return Probe(
        "experiment", make,
        lambda t, e, h: t.client.get(f"{API}/experiments/get", query_string={"experiment_id": e}, headers=h),
        lambda t, e, h: t.client.post(f"{API}/experiments/set-experiment-tag",
                                      json={"experiment_id": e, "key": "k", "value": "v"}, headers=h),
        lambda t, e, h: t.client.post(f"{API}/experiments/delete", json={"experiment_id": e}, headers=h),
    )


def _run_probe():
    def make(t):
        experiment_id = t.experiment()
        return "experiment", experiment_id, t.run(experiment_id)
    return Probe(
        "run", make,
        lambda t, r, h: t.client.get(f"{API}/runs/get", query_string={"run_id": r}, headers=h),
        lambda t, r, h: t.client.post(f"{API}/runs/log-metric", json={"run_id": r, "key": "m", "value": 1}, headers=h),
        lambda t, r, h: t.client.post(f"{API}/runs/delete", json={"run_id": r}, headers=h),
    )


def _model_probe(prompt: bool, versions: bool = False, aliases: bool = False):
    def make(t):
        name = t.model(prompt)
        if aliases:
            _set_alias(t, name)
        return "registered_model", name, name
    if versions:
        return Probe(
            "prompt version" if prompt else "model version", make,
            lambda t, n, h: t.client.get(f"{API}/model-versions/get", query_string={"name": n, "version": "1"}, headers=h),
            lambda t, n, h: t.client.patch(f"{API}/model-versions/update", json={"name": n, "version": "1",
                                                                                  "description": "d"}, headers=h),
            lambda t, n, h: t.client.delete(f"{API}/model-versions/delete", json={"name": n, "version": "1"}, headers=h),
        )
    if aliases:
        return Probe(
            "alias", make,
            lambda t, n, h: t.client.get(f"{API}/registered-models/alias", query_string={"name": n, "alias": "champion"},
                                         headers=h),
            lambda t, n, h: t.client.post(f"{API}/registered-models/alias",
                                          json={"name": n, "alias": "other", "version": "1"}, headers=h),
            lambda t, n, h: t.client.delete(f"{API}/registered-models/alias", json={"name": n, "alias": "champion"},
                                            headers=h),
        )
    return Probe(
        "prompt" if prompt else "registered model", make,
        lambda t, n, h: t.client.get(f"{API}/registered-models/get", query_string={"name": n}, headers=h),
        lambda t, n, h: t.client.post(f"{API}/registered-models/set-tag", json={"name": n, "key": "k", "value": "v"},
                                      headers=h),
        lambda t, n, h: t.client.delete(f"{API}/registered-models/delete", json={"name": n}, headers=h),
    )


def _artifact_probe():
    def make(t):
        path = t.artifact()
        return "experiment", path.split("/")[2], path
    return Probe(
        "artifact", make,
        lambda t, p, h: t.client.get(f"{PROXY}/{p}", headers=h),
        lambda t, p, h: t.client.put(f"{PROXY}/{p}", data=b"x", headers=h),
        lambda t, p, h: t.client.delete(f"{PROXY}/{p}", headers=h),
    )


PROBES = [_experiment_probe(), _run_probe(), _model_probe(False), _model_probe(False, versions=True),
          _model_probe(True), _model_probe(True, versions=True), _model_probe(False, aliases=True), _artifact_probe()]


@pytest.mark.parametrize("workspace_level, explicit, expected", [
    ("MANAGE", "NO_PERMISSIONS", set()),                       # explicit NO_PERMISSIONS beats workspace MANAGE
    ("EDIT", "READ", {"read"}),                                # explicit READ narrows workspace EDIT
    ("NO_PERMISSIONS", "EDIT", {"read", "update"}),            # explicit EDIT widens workspace NO_PERMISSIONS
    (None, "EDIT", {"read", "update"}),                        # ... and no workspace grant at all
    (None, "MANAGE", {"read", "update", "delete"}),
    ("READ", "MANAGE", {"read", "update", "delete"}),
])
@pytest.mark.parametrize("probe", PROBES, ids=repr)
def test_an_explicit_grant_overrides_the_workspace_grant(world, probe, workspace_level, explicit, expected):
    client, users = world
    team = Team(client)
    username = users[workspace_level]
    for capability in ("read", "update", "delete"):
        kind, key, context = probe.make(team)
        _grant(client, kind, key, username, explicit)
        response = getattr(probe, capability)(team, context, as_user(username, TEAM))
        if capability in expected:
            assert response.status_code == 200, (capability, response.json)
        else:
            assert_denied(response, capability)
            assert "(explicit grant on the resource)" in response.json["message"]


def test_an_explicit_grant_applies_in_its_own_workspace_only(world):
    """A grant on a model in team-a says nothing about a model of the same name elsewhere."""
    client, users = world
    name = Team(client).model()
    admin_post(client, f"{WS_API}/workspaces", {"name": "team-other"})
    Team(client, "team-other").admin(f"{API}/registered-models/create", {"name": name})
    _grant(client, "registered_model", name, users[None], "MANAGE")
    assert client.get(f"{API}/registered-models/get", query_string={"name": name},
                      headers=as_user(users[None], TEAM)).status_code == 200
    assert_denied(client.get(f"{API}/registered-models/get", query_string={"name": name},
                             headers=as_user(users[None], "team-other")), "read")


def test_a_run_without_an_experiment_id_is_checked_against_experiment_0(make_auth_app):
    """runs/create without experiment_id creates the run in experiment 0, so it needs EDIT there."""
    client = make_auth_app().test_client()
    bob = new_user(client)
    admin_post(client, f"{WS_API}/workspaces/default/permissions", {"username": bob, "permission": "EDIT"})
    admin_post(client, f"{API}/experiments/permissions/create",
               {"experiment_id": "0", "username": bob, "permission": "READ"})
    for body in ({}, {"experiment_id": ""}, {"experiment_id": "0"}):
        assert_denied(client.post(f"{API}/runs/create", json=body, headers=as_user(bob)), "update")
    admin_post(client, f"{API}/experiments/permissions/update",
               {"experiment_id": "0", "username": bob, "permission": "EDIT"}, method="patch")
    created = client.post(f"{API}/runs/create", json={}, headers=as_user(bob))
    assert created.status_code == 200 and created.json["run"]["info"]["experiment_id"] == "0"


# grant_default_workspace_access -------------------------------------------------------------------

@pytest.mark.parametrize("default_permission", ["READ", "EDIT"])
def test_grant_default_gives_default_permission_in_default_only(make_auth_app, default_permission):
    client = make_auth_app(default_permission=default_permission, grant_default="true").test_client()
    admin_post(client, f"{WS_API}/workspaces", {"name": TEAM})
    in_team = Team(client).experiment()
    carol = new_user(client)
    headers = as_user(carol)
    assert client.get(f"{API}/experiments/get", query_string={"experiment_id": "0"}, headers=headers).status_code == 200
    created = client.post(f"{API}/experiments/create", json={"name": "carols"}, headers=headers)
    update = client.post(f"{API}/experiments/set-experiment-tag", json={"experiment_id": "0", "key": "k", "value": "v"},
                         headers=headers)
    if default_permission == "EDIT":
        assert created.status_code == 200 and update.status_code == 200
    else:
        assert_denied(created, "update")
        assert_denied(update, "update")
    assert_denied(client.post(f"{API}/experiments/delete", json={"experiment_id": "0"}, headers=headers), "delete")
    # other workspaces stay closed
    assert_denied(client.get(f"{API}/experiments/get", query_string={"experiment_id": in_team},
                             headers=as_user(carol, TEAM)), "read")
    assert [w["name"] for w in client.get(f"{WS_API}/workspaces", headers=headers).json["workspaces"]] == ["default"]


def test_without_grant_default_default_is_closed_too(make_auth_app):
    client = make_auth_app(default_permission="MANAGE", grant_default="false").test_client()
    carol = new_user(client)
    denied = client.get(f"{API}/experiments/get", query_string={"experiment_id": "0"}, headers=as_user(carol))
    assert_denied(denied, "read")
    assert "no grant on workspace 'default'" in denied.json["message"]
    assert_denied(client.post(f"{API}/experiments/create", json={"name": "x"}, headers=as_user(carol)), "update")
    assert client.get(f"{WS_API}/workspaces", headers=as_user(carol)).json == {"workspaces": []}
    assert_denied(client.get(f"{WS_API}/workspaces/default", headers=as_user(carol)), "read")


def test_a_no_permissions_row_on_default_beats_grant_default_inside_it(make_auth_app):
    """The seeds: default stays listed for everyone, but the user's own row decides inside it."""
    client = make_auth_app(default_permission="EDIT", grant_default="true").test_client()
    carol = new_user(client)
    admin_post(client, f"{WS_API}/workspaces/default/permissions", {"username": carol, "permission": "NO_PERMISSIONS"})
    headers = as_user(carol)
    assert_denied(client.get(f"{API}/experiments/get", query_string={"experiment_id": "0"}, headers=headers), "read")
    assert_denied(client.post(f"{API}/experiments/create", json={"name": "x"}, headers=headers), "update")
    assert [w["name"] for w in client.get(f"{WS_API}/workspaces", headers=headers).json["workspaces"]] == ["default"]
    shown = client.get(f"{WS_API}/workspaces/default", headers=headers)
    assert shown.status_code == 200 and shown.json["workspace"]["name"] == "default"


# workspaces disabled ------------------------------------------------------------------------------

@pytest.fixture
def plain(make_auth_app):
    """Without workspaces, default_permission READ: the client, a user, experiment and model ids."""
    client = make_auth_app(workspaces_enabled=False, default_permission="READ").test_client()
    experiment_id = admin_post(client, f"{API}/experiments/create", {"name": "shared"})["experiment_id"]
    admin_post(client, f"{API}/registered-models/create", {"name": "shared-model"})
    return client, new_user(client), experiment_id


def test_without_workspaces_default_permission_applies_everywhere(plain):
    client, bob, experiment_id = plain
    headers = as_user(bob)
    assert client.get(f"{API}/experiments/get", query_string={"experiment_id": experiment_id}, headers=headers).status_code == 200
    assert client.get(f"{API}/registered-models/get", query_string={"name": "shared-model"}, headers=headers).status_code == 200
    denied = client.post(f"{API}/experiments/update", json={"experiment_id": experiment_id, "new_name": "x"}, headers=headers)
    assert_denied(denied, "update")
    assert "READ (default_permission (workspaces disabled))" in denied.json["message"]
    # explicit grants still decide, both ways
    _grant_plain(client, experiment_id, bob, "EDIT")
    assert client.post(f"{API}/experiments/update", json={"experiment_id": experiment_id, "new_name": "renamed"},
                       headers=headers).status_code == 200
    admin_post(client, f"{API}/registered-models/permissions/create",
               {"name": "shared-model", "username": bob, "permission": "NO_PERMISSIONS"})
    assert_denied(client.get(f"{API}/registered-models/get", query_string={"name": "shared-model"}, headers=headers),
                  "read")


def _grant_plain(client, experiment_id, username, level):
    admin_post(client, f"{API}/experiments/permissions/create",
               {"experiment_id": experiment_id, "username": username, "permission": level})


@pytest.mark.parametrize("default_permission", ["READ", "NO_PERMISSIONS"])
def test_without_workspaces_any_user_may_create_and_then_manages(make_auth_app, default_permission):
    client = make_auth_app(workspaces_enabled=False, default_permission=default_permission).test_client()
    bob = new_user(client)
    headers = as_user(bob)
    experiment_id = client.post(f"{API}/experiments/create", json={"name": "bobs"}, headers=headers).json["experiment_id"]
    assert client.post(f"{API}/registered-models/create", json={"name": "bobs-model"}, headers=headers).status_code == 200
    assert client.post(f"{API}/experiments/delete", json={"experiment_id": experiment_id}, headers=headers).status_code == 200
    assert client.delete(f"{API}/registered-models/delete", json={"name": "bobs-model"}, headers=headers).status_code == 200
    zero = client.get(f"{API}/experiments/get", query_string={"experiment_id": "0"}, headers=headers)
    assert zero.status_code == (200 if default_permission == "READ" else 403)


WORKSPACE_ROUTES = [
    ("GET", f"{WS_API}/workspaces/default/permissions"),
    ("POST", f"{WS_API}/workspaces/default/permissions"),
    ("DELETE", f"{WS_API}/workspaces/default/permissions"),
    ("GET", f"{WS_API}/workspace-permissions"),
    ("GET", f"{WS_API}/workspaces"),
    ("GET", f"{WS_API}/workspaces/default"),
    ("POST", f"{WS_API}/workspaces"),
]


def test_without_workspaces_workspace_routes_answer_a_clear_404(plain):
    client, bob, _ = plain
    for method, path in WORKSPACE_ROUTES:
        for who in (None, bob):
            response = client.open(path, method=method, headers=as_user(who), query_string={"username": bob},
                                   json={"username": bob, "permission": "READ", "name": "team-x"})
            if who and (path.endswith("workspace-permissions") or method == "POST" and path.endswith("workspaces")):
                assert response.status_code == 403  # admin-only routes refuse non-admins first
                continue
            assert response.status_code == 404, (method, path, who, response.json)
            assert response.json["error_code"] == "ENDPOINT_NOT_FOUND"
            assert "runs without workspaces" in response.json["message"]
            assert "--enable-workspaces" in response.json["message"]


def test_without_workspaces_a_workspace_header_is_refused(plain):
    client, bob, experiment_id = plain
    response = client.get(f"{API}/experiments/get", query_string={"experiment_id": experiment_id},
                          headers=as_user(bob, TEAM))
    assert response.status_code == 400 and "runs without workspaces" in response.json["message"]
