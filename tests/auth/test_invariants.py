"""DESIGN.md's security invariants, each tried as an attack: another workspace, another user, a
forged header, a missing grant; existing and missing resources look the same to an outsider;
failures deny; no raw SQL or hashes in any error."""

from __future__ import annotations

import base64
import logging
import uuid

import pytest
from sqlalchemy.exc import OperationalError

from auth import rules
from tests.auth.conftest import PASSWORD, admin_headers, admin_post, as_user, basic_auth, new_user


API = "/api/2.0/mlflow"
WS_API = "/api/3.0/mlflow"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
SQL_WORDS = ("SELECT", "INSERT", "UPDATE ", "DELETE FROM", "sqlalchemy", "sqlite3", "psycopg", "IntegrityError",
             "$argon2", "Traceback", "[SQL")


class Team:
    """What the admin created in one workspace."""

    def __init__(self, client, name: str):
        self.client, self.name = client, name
        admin_post(client, f"{WS_API}/workspaces", {"name": name})
        self.experiment = self.post("experiments/create", {"name": "secret-experiment"})["experiment_id"]
        self.run = self.post("runs/create", {"experiment_id": self.experiment})["run"]["info"]["run_id"]
        self.post("runs/log-metric", {"run_id": self.run, "key": "loss", "value": 1.0})
        self.post("registered-models/create", {"name": "shared-name", "description": f"of {name}"})
        self.post("model-versions/create", {"name": "shared-name", "source": "s3://bucket/m"})
        self.post("registered-models/alias", {"name": "shared-name", "alias": "champion", "version": "1"})
        self.post("registered-models/create", {"name": "secret-prompt",
                                               "tags": [{"key": "mlflow.prompt.is_prompt", "value": "true"}]})
        self.artifact = f"workspaces/{name}/{self.experiment}/secret.txt"
        response = client.put(f"{PROXY}/{self.artifact}", data=b"secret", headers=as_user(None, name))
        assert response.status_code == 200

    def post(self, path, body):
        return admin_post(self.client, f"{API}/{path}", body, self.name)


@pytest.fixture(scope="module")
def world(make_module_auth_app):
    """team-a (alice may EDIT) and team-b (bob MANAGEs it); carol has no grant anywhere."""
    app = make_module_auth_app()
    client = app.test_client()
    a, b = Team(client, "team-a"), Team(client, "team-b")
    users = {name: new_user(client, name) for name in ("alice", "bob", "carol")}
    admin_post(client, f"{WS_API}/workspaces/team-a/permissions", {"username": "alice", "permission": "EDIT"})
    admin_post(client, f"{WS_API}/workspaces/team-b/permissions", {"username": "bob", "permission": "MANAGE"})
    return app, client, a, b, users


def assert_no_leak(response):
    text = response.get_data(as_text=True)
    assert not any(word in text for word in SQL_WORDS), text


# no route answers a non-admin without a rule that allowed it --------------------------------------

def test_a_route_without_a_rule_is_admin_only(make_auth_app):
    app = make_auth_app()
    app.add_url_rule("/api/2.0/mlflow/brand-new-route", "brandNewRoute", lambda: {"secret": 42})
    client = app.test_client()
    carol = new_user(client)
    admin_post(client, f"{WS_API}/workspaces/default/permissions", {"username": carol, "permission": "MANAGE"})
    denied = client.get(f"{API}/brand-new-route", headers=as_user(carol))
    assert denied.status_code == 403 and denied.json == {
        "error_code": "PERMISSION_DENIED", "message": f"GET {API}/brand-new-route is for admins only."}
    assert client.get(f"{API}/brand-new-route", headers=admin_headers()).json == {"secret": 42}


def test_admin_routes_refuse_every_non_admin(world):
    app, client, _, _, users = world
    # bob MANAGEs team-b and is in no doubt the most powerful non-admin here
    checked = 0
    for rule in app.url_map.iter_rules():
        if rules.rule_for(rule.endpoint) != rules.ADMIN:
            continue
        path = rule.rule.replace("<workspace_name>", "team-b")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(path, method=method, headers=as_user("bob", "team-b"),
                                   query_string={"username": "bob"}, json={"username": "bob", "is_admin": True,
                                                                          "name": "team-z", "password": PASSWORD})
            assert response.status_code == 403, (method, path, response.json)
            assert response.json["message"].endswith("is for admins only.")
            checked += 1
    assert checked >= 10
    assert client.get(f"{API}/users/get", query_string={"username": "bob"}, headers=admin_headers()).json["user"][
        "is_admin"] is False


# another workspace ---------------------------------------------------------------------------------

def test_switching_the_header_to_another_workspace_is_denied(world):
    _, client, a, _, _ = world
    bob = as_user("bob", "team-a")
    for response in (
        client.get(f"{API}/experiments/get", query_string={"experiment_id": a.experiment}, headers=bob),
        client.get(f"{API}/runs/get", query_string={"run_id": a.run}, headers=bob),
        client.get(f"{API}/registered-models/get", query_string={"name": "shared-name"}, headers=bob),
        client.post(f"{API}/runs/log-metric", json={"run_id": a.run, "key": "loss", "value": 9}, headers=bob),
        client.post(f"{API}/experiments/create", json={"name": "planted"}, headers=bob),
        client.post(f"{API}/registered-models/create", json={"name": "planted"}, headers=bob),
        client.post(f"{API}/experiments/permissions/create",
                    json={"experiment_id": a.experiment, "username": "bob", "permission": "MANAGE"}, headers=bob),
        client.post(f"{WS_API}/workspaces/team-a/permissions", json={"username": "bob", "permission": "READ"},
                    headers=bob),
        client.get(f"{WS_API}/workspaces/team-a", headers=bob),
    ):
        assert response.status_code == 403, response.json
        assert response.json["error_code"] == "PERMISSION_DENIED"
    # searches in team-a show bob nothing
    assert client.post(f"{API}/experiments/search", json={}, headers=bob).json == {"experiments": []}
    assert client.post(f"{API}/runs/search", json={"experiment_ids": [a.experiment]}, headers=bob).json == {"runs": []}
    assert client.get(f"{API}/registered-models/search", headers=bob).json == {"registered_models": []}
    history = client.get(f"{API}/metrics/get-history", query_string={"run_id": a.run, "metric_key": "loss"},
                         headers=admin_headers(**{"X-MLFLOW-WORKSPACE": "team-a"}))
    assert [m["value"] for m in history.json["metrics"]] == [1.0]


def test_ids_of_another_workspace_are_missing_here(world):
    """From bob's own workspace, team-a's ids look exactly like ids that do not exist."""
    _, client, a, _, _ = world
    bob = as_user("bob", "team-b")
    pairs = [
        ("GET", "experiments/get", {"experiment_id": a.experiment}, {"experiment_id": "99999"}),
        ("POST", "experiments/update", {"experiment_id": a.experiment, "new_name": "x"},
         {"experiment_id": "99999", "new_name": "x"}),
        ("POST", "experiments/delete", {"experiment_id": a.experiment}, {"experiment_id": "99999"}),
        ("GET", "runs/get", {"run_id": a.run}, {"run_id": uuid.uuid4().hex}),
        ("POST", "runs/log-metric", {"run_id": a.run, "key": "m", "value": 1}, {"run_id": uuid.uuid4().hex, "key": "m",
                                                                                 "value": 1}),
        ("POST", "runs/delete", {"run_id": a.run}, {"run_id": uuid.uuid4().hex}),
        ("POST", "runs/create", {"experiment_id": a.experiment}, {"experiment_id": "99999"}),
        ("GET", "metrics/get-history", {"run_id": a.run, "metric_key": "loss"},
         {"run_id": uuid.uuid4().hex, "metric_key": "loss"}),
        ("POST", "experiments/permissions/create", {"experiment_id": a.experiment, "username": "bob",
                                                    "permission": "MANAGE"},
         {"experiment_id": "99999", "username": "bob", "permission": "MANAGE"}),
    ]
    for method, path, existing, missing in pairs:
        send = (lambda body: client.get(f"{API}/{path}", query_string=body, headers=bob)) if method == "GET" else \
            (lambda body: client.open(f"{API}/{path}", method=method, json=body, headers=bob))
        there, nowhere = send(existing), send(missing)
        assert there.status_code == nowhere.status_code == 404, (path, there.json, nowhere.json)
        assert there.json["error_code"] == nowhere.json["error_code"] == "RESOURCE_DOES_NOT_EXIST"
        ids = [str(body[k]) for body in (existing, missing) for k in ("run_id", "experiment_id", "experiment_ids")
               if k in body]
        assert _without(there.json["message"], ids) == _without(nowhere.json["message"], ids), (path, there.json,
                                                                                                nowhere.json)
    # nothing happened to team-a's experiment and run
    experiment = client.get(f"{API}/experiments/get", query_string={"experiment_id": a.experiment},
                            headers=as_user(None, "team-a")).json["experiment"]
    assert (experiment["name"], experiment["lifecycle_stage"]) == ("secret-experiment", "active")
    run = client.get(f"{API}/runs/get", query_string={"run_id": a.run}, headers=as_user(None, "team-a")).json["run"]
    assert run["info"]["lifecycle_stage"] == "active" and run["data"]["metrics"][0]["value"] == 1.0


def _without(message: str, ids: list[str]) -> str:
    for key in ids:
        message = message.replace(key.strip("[]'"), "ID")
    return message


def test_logged_model_search_says_nothing_about_other_experiments(world):
    _, client, a, _, _ = world
    for headers in (as_user("carol", "team-a"), as_user("bob", "team-b")):
        for ids in ([a.experiment], ["99999"]):
            response = client.post(f"{API}/logged-models/search", json={"experiment_ids": ids}, headers=headers)
            assert (response.status_code, response.json) == (200, {"models": []})


@pytest.mark.parametrize("scheme", ["runs:/", "RUNS:/", "Runs:/", "  runs:/"])
def test_a_run_of_another_workspace_cannot_become_a_model_version(world, scheme):
    _, client, a, _, _ = world
    name = f"bobs-model-{uuid.uuid4().hex[:8]}"
    admin_post(client, f"{API}/registered-models/create", {"name": name}, "team-b")
    response = client.post(f"{API}/model-versions/create", json={"name": name, "source": f"{scheme}{a.run}/model"},
                           headers=as_user("bob", "team-b"))
    assert response.status_code == 404 and response.json["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    listed = client.get(f"{API}/model-versions/search", query_string={"filter": f"name = '{name}'"},
                        headers=as_user("bob", "team-b"))
    assert listed.json.get("model_versions", []) == []  # nothing was stored


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_artifact_paths_of_another_workspace_are_refused(world, method):
    app, client, a, _, _ = world
    data = b"overwritten" if method == "PUT" else None
    from_own = client.open(f"{PROXY}/{a.artifact}", method=method, data=data, headers=as_user("bob", "team-b"))
    assert from_own.status_code == 400 and "targets workspace 'team-a'" in from_own.json["message"]
    unprefixed = client.open(f"{PROXY}/{a.experiment}/secret.txt", method=method, data=data,
                             headers=as_user("bob", "team-b"))
    assert unprefixed.status_code == 400 and "outside workspace 'team-b'" in unprefixed.json["message"]
    from_theirs = client.open(f"{PROXY}/{a.artifact}", method=method, data=data, headers=as_user("bob", "team-a"))
    assert from_theirs.status_code == 403
    listing = client.get(PROXY, query_string={"path": f"workspaces/team-a/{a.experiment}"},
                         headers=as_user("bob", "team-a"))
    assert listing.status_code == 403
    content = client.get(f"{PROXY}/{a.artifact}", headers=as_user(None, "team-a"))
    assert content.get_data() == b"secret"


def test_model_names_resolve_in_the_request_workspace_only(world):
    _, client, _, _, _ = world
    bob = as_user("bob", "team-b")
    shown = client.get(f"{API}/registered-models/get", query_string={"name": "shared-name"}, headers=bob)
    assert shown.json["registered_model"]["description"] == "of team-b"
    # a grant bob gives on 'shared-name' from team-b is a grant on team-b's model only
    granted = client.post(f"{API}/registered-models/permissions/create",
                          json={"name": "shared-name", "username": "carol", "permission": "READ"}, headers=bob)
    assert granted.json["registered_model_permission"]["workspace"] == "team-b"
    assert client.get(f"{API}/registered-models/get", query_string={"name": "shared-name"},
                      headers=as_user("carol", "team-a")).status_code == 403
    assert client.get(f"{API}/registered-models/get", query_string={"name": "shared-name"},
                      headers=as_user("carol", "team-b")).status_code == 200
    # prompts likewise: team-a's prompt is missing in team-b
    assert client.get(f"{API}/registered-models/get", query_string={"name": "secret-prompt"},
                      headers=as_user("bob", "team-b")).status_code == 200  # team-b has one too
    assert client.delete(f"{API}/registered-models/delete", json={"name": "secret-prompt"}, headers=bob).status_code == 200
    assert client.get(f"{API}/registered-models/get", query_string={"name": "secret-prompt"},
                      headers=as_user(None, "team-a")).status_code == 200


# another user -------------------------------------------------------------------------------------

def test_users_cannot_read_or_change_each_other(world):
    _, client, _, _, _ = world
    bob = basic_auth("bob")
    assert client.get(f"{API}/users/get", query_string={"username": "alice"}, headers=bob).status_code == 403
    assert client.get(f"{API}/users/get", query_string={"username": "nobody-at-all"}, headers=bob).status_code == 403
    changed = client.patch(f"{API}/users/update-password", json={"username": "alice", "password": "bobs-choice-1234"},
                           headers=bob)
    assert changed.status_code == 403
    assert client.get(f"{API}/users/get", query_string={"username": "alice"}, headers=basic_auth("alice")).status_code == 200
    assert client.get(f"{API}/users/get", query_string={"username": "alice"},
                      headers=basic_auth("alice", "bobs-choice-1234")).status_code == 401
    # a username in the query does not override the one in the body
    sneaky = client.patch(f"{API}/users/update-password", query_string={"username": "bob"},
                          json={"username": "alice", "password": "bobs-choice-1234"}, headers=bob)
    assert sneaky.status_code == 403


def test_nobody_promotes_themselves(world):
    _, client, _, _, _ = world
    for body in ({"username": "bob", "is_admin": True}, {"username": "bob", "is_admin": "true"}):
        response = client.patch(f"{API}/users/update-admin", json=body, headers=basic_auth("bob"))
        assert response.status_code == 403
    assert client.get(f"{API}/users/list", headers=basic_auth("bob")).status_code == 403
    assert client.delete(f"{API}/users/delete", json={"username": "alice"}, headers=basic_auth("bob")).status_code == 403


# forged headers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("workspace, status, code", [
    ("no-such-team", 403, "PERMISSION_DENIED"),
    ("Team-A", 400, "INVALID_PARAMETER_VALUE"),
    ("team-a/../team-b", 400, "INVALID_PARAMETER_VALUE"),
    ("w" * 65_536, 400, "INVALID_PARAMETER_VALUE"),
    ("team-a", 403, "PERMISSION_DENIED"),
])
def test_a_forged_workspace_header(world, workspace, status, code):
    _, client, _, _, _ = world
    response = client.get(f"{API}/experiments/get", query_string={"experiment_id": "1"},
                          headers=as_user("bob", workspace))
    assert (response.status_code, response.json["error_code"]) == (status, code)
    assert len(response.get_data()) < 1000  # a huge header is not echoed back


def test_the_header_does_not_tell_which_workspaces_exist(world):
    """Naming team-a (bob may not read it) or a workspace that does not exist: the same answers."""
    _, client, a, _, _ = world
    attempts = [
        ("GET", "experiments/get", {"experiment_id": a.experiment}),
        ("GET", "experiments/get-by-name", {"experiment_name": "secret-experiment"}),
        ("GET", "registered-models/get", {"name": "shared-name"}),
        ("POST", "experiments/create", {"name": "probe"}),
        ("POST", "registered-models/create", {"name": "probe"}),
        ("POST", "runs/create", {"experiment_id": a.experiment}),
        ("POST", "experiments/search", {}),
        ("GET", "experiments/search", {}),
        ("GET", "experiments/list", {}),
        ("POST", "runs/search", {"experiment_ids": [a.experiment]}),
        ("GET", "registered-models/search", {}),
        ("GET", "model-versions/search", {}),
        ("POST", "logged-models/search", {"experiment_ids": [a.experiment]}),
        ("POST", "experiments/permissions/create", {"experiment_id": a.experiment, "username": "bob",
                                                    "permission": "READ"}),
    ]
    for method, path, data in attempts:
        answers = []
        for workspace in ("team-a", "no-such-team"):
            headers = as_user("bob", workspace)
            response = client.get(f"{API}/{path}", query_string=data, headers=headers) if method == "GET" else \
                client.open(f"{API}/{path}", method=method, json=data, headers=headers)
            answers.append((response.status_code, response.get_data(as_text=True).replace("no-such-team", "team-a")))
        assert answers[0] == answers[1], (method, path, answers)
        assert answers[0][0] in (200, 403), (method, path, answers)
    listing = client.get(PROXY, query_string={"path": "workspaces/no-such-team"}, headers=as_user("bob", "no-such-team"))
    assert listing.status_code == 403
    # nothing was created in the workspace that is not there, and an admin is told it is not there
    missing = client.get(f"{API}/experiments/search", headers=as_user(None, "no-such-team"))
    assert (missing.status_code, missing.json["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    assert "no-such-team" not in [w["name"] for w in client.get(f"{WS_API}/workspaces",
                                                                headers=admin_headers()).json["workspaces"]]


def test_a_colon_cannot_smuggle_a_username(world):
    _, client, _, _, _ = world
    created = client.post(f"{API}/users/create", json={"username": "alice:bob", "password": PASSWORD},
                          headers=admin_headers())
    assert created.status_code == 400 and "without ':'" in created.json["message"]
    for payload in (b"alice:bob:" + PASSWORD.encode(), b"alice:" + b":" + PASSWORD.encode()):
        header = {"Authorization": "Basic " + base64.b64encode(payload).decode()}
        assert client.get(f"{API}/users/get", query_string={"username": "alice"}, headers=header).status_code == 401


def test_a_huge_authorization_header_is_refused_cleanly(world):
    _, client, _, _, _ = world
    header = {"Authorization": "Basic " + base64.b64encode(b"alice:" + b"p" * 1_000_000).decode()}
    assert client.get(f"{API}/users/list", headers=header).status_code == 401


# a missing grant ---------------------------------------------------------------------------------

def test_a_user_without_grants_sees_and_changes_nothing(world):
    _, client, a, b, _ = world
    dave = new_user(client)
    for team in (a, b):
        carol = as_user(dave, team.name)
        assert client.post(f"{API}/experiments/search", json={}, headers=carol).json == {"experiments": []}
        assert client.get(f"{API}/registered-models/search", headers=carol).json == {"registered_models": []}
        assert client.get(f"{API}/model-versions/search", headers=carol).json == {"model_versions": []}
        assert client.post(f"{API}/runs/search", json={"experiment_ids": [team.experiment]}, headers=carol).json == {
            "runs": []}
        for response in (
            client.post(f"{API}/runs/create", json={"experiment_id": team.experiment}, headers=carol),
            client.post(f"{API}/experiments/create", json={"name": "x"}, headers=carol),
            client.put(f"{PROXY}/{team.artifact}", data=b"x", headers=carol),
        ):
            assert response.status_code == 403
    assert client.get(f"{WS_API}/workspaces", headers=basic_auth(dave)).json == {"workspaces": []}


# an outsider cannot tell what exists --------------------------------------------------------------

def _outsider_pairs(a: Team):
    missing_run = uuid.uuid4().hex
    return [
        ("GET", "experiments/get", {"experiment_id": a.experiment}, {"experiment_id": "99999"}),
        ("GET", "experiments/get", {"experiment_id": "0" + a.experiment}, {"experiment_id": "not-a-number"}),
        ("GET", "experiments/get-by-name", {"experiment_name": "secret-experiment"}, {"experiment_name": "nothing"}),
        ("POST", "experiments/delete", {"experiment_id": a.experiment}, {"experiment_id": "99999"}),
        ("GET", "runs/get", {"run_id": a.run}, {"run_id": missing_run}),
        ("POST", "runs/log-batch", {"run_id": a.run}, {"run_id": missing_run}),
        ("GET", "metrics/get-history", {"run_id": a.run, "metric_key": "loss"}, {"run_id": missing_run,
                                                                                 "metric_key": "loss"}),
        ("POST", "runs/create", {"experiment_id": a.experiment}, {"experiment_id": "99999"}),
        ("GET", "registered-models/get", {"name": "shared-name"}, {"name": "no-such-model"}),
        ("GET", "registered-models/get", {"name": "secret-prompt"}, {"name": "no-such-prompt"}),
        ("GET", "model-versions/get", {"name": "shared-name", "version": "1"}, {"name": "no-such-model", "version": "1"}),
        ("GET", "registered-models/alias", {"name": "shared-name", "alias": "champion"},
         {"name": "no-such-model", "alias": "champion"}),
        ("DELETE", "registered-models/delete", {"name": "shared-name"}, {"name": "no-such-model"}),
        ("GET", "experiments/permissions/get", {"experiment_id": a.experiment, "username": "carol"},
         {"experiment_id": "99999", "username": "carol"}),
        ("GET", "registered-models/permissions/get", {"name": "shared-name", "username": "carol"},
         {"name": "no-such-model", "username": "carol"}),
    ]


def test_existing_and_missing_resources_get_the_same_403(world):
    _, client, a, _, _ = world
    carol = as_user("carol", "team-a")
    for method, path, existing, missing in _outsider_pairs(a):
        if method == "GET":
            there = client.get(f"{API}/{path}", query_string=existing, headers=carol)
            nowhere = client.get(f"{API}/{path}", query_string=missing, headers=carol)
        else:
            there = client.open(f"{API}/{path}", method=method, json=existing, headers=carol)
            nowhere = client.open(f"{API}/{path}", method=method, json=missing, headers=carol)
        assert there.status_code == 403, (path, there.json)
        assert (there.status_code, there.json) == (nowhere.status_code, nowhere.json), path
    for existing, missing in ((a.artifact, f"workspaces/team-a/{a.experiment}/nothing.txt"),
                              (a.artifact, "workspaces/team-a/99999/secret.txt")):
        there, nowhere = client.get(f"{PROXY}/{existing}", headers=carol), client.get(f"{PROXY}/{missing}", headers=carol)
        assert there.status_code == nowhere.status_code == 403  # the messages differ only by the path asked for
        assert there.json["message"].replace(existing, "P") == nowhere.json["message"].replace(missing, "P")
    there = client.get(f"{WS_API}/workspaces/team-a", headers=carol)
    nowhere = client.get(f"{WS_API}/workspaces/no-such-team", headers=carol)
    assert there.status_code == nowhere.status_code == 403
    assert there.json["message"].replace("team-a", "X") == nowhere.json["message"].replace("no-such-team", "X")


# an explicit grant cannot be side-stepped by spelling an id differently ---------------------------

def test_an_experiment_id_with_leading_zeros_is_the_same_experiment(world):
    _, client, a, _, _ = world
    admin_post(client, f"{API}/experiments/permissions/create",
               {"experiment_id": a.experiment, "username": "alice", "permission": "NO_PERMISSIONS"}, "team-a")
    alice = as_user("alice", "team-a")
    try:
        for spelled in (a.experiment, "0" + a.experiment, "000" + a.experiment):
            for response in (
                client.get(f"{API}/experiments/get", query_string={"experiment_id": spelled}, headers=alice),
                client.post(f"{API}/runs/create", json={"experiment_id": spelled}, headers=alice),
                client.post(f"{API}/experiments/set-experiment-tag",
                            json={"experiment_id": spelled, "key": "k", "value": "v"}, headers=alice),
            ):
                assert response.status_code == 403, (spelled, response.json)
        # a grant made through a padded id is stored under the experiment's own id
        padded = client.post(f"{API}/experiments/permissions/create", headers=as_user(None, "team-a"),
                             json={"experiment_id": "00" + a.experiment, "username": "carol", "permission": "READ"})
        assert padded.json["experiment_permission"]["experiment_id"] == a.experiment
        assert client.get(f"{API}/experiments/get", query_string={"experiment_id": a.experiment},
                          headers=as_user("carol", "team-a")).status_code == 200
    finally:
        for username in ("alice", "carol"):
            client.delete(f"{API}/experiments/permissions/delete", headers=as_user(None, "team-a"),
                          json={"experiment_id": a.experiment, "username": username})


# failures deny -----------------------------------------------------------------------------------

def test_a_failing_grant_lookup_denies_and_is_logged(world, monkeypatch, caplog):
    app, client, a, _, _ = world
    layer = app.extensions["wsauth.auth"]
    layer.grants.clear()

    def broken(*args, **kwargs):
        raise OperationalError("SELECT permission FROM workspace_permissions", {}, Exception("server closed"))

    monkeypatch.setattr(layer.store, "workspace_grants_of_user", broken)
    response = client.post(f"{API}/experiments/create", json={"name": "while-broken"}, headers=as_user("alice", "team-a"))
    assert response.status_code == 503 and response.json["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert_no_leak(response)
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
    monkeypatch.undo()
    names = [e["name"] for e in client.post(f"{API}/experiments/search", json={},
                                            headers=as_user(None, "team-a")).json["experiments"]]
    assert "while-broken" not in names


def test_a_failing_workspace_lookup_denies(world, monkeypatch, caplog):
    app, client, a, _, _ = world
    app.extensions["wsauth.auth"].places.clear()

    def broken(kind, key):
        raise RuntimeError("lookup failed")

    monkeypatch.setattr(app.extensions["wsauth.auth"].host, "workspace_of", broken)
    response = client.post(f"{API}/experiments/update", json={"experiment_id": a.experiment, "new_name": "hijacked"},
                           headers=as_user("alice", "team-a"))
    assert response.status_code == 500 and response.json["error_code"] == "INTERNAL_ERROR"
    assert any("unhandled error" in r.getMessage() and r.exc_info for r in caplog.records)
    monkeypatch.undo()
    name = client.get(f"{API}/experiments/get", query_string={"experiment_id": a.experiment},
                      headers=as_user(None, "team-a")).json["experiment"]["name"]
    assert name == "secret-experiment"


# no raw SQL or hashes in errors -------------------------------------------------------------------

def test_errors_hold_no_sql_and_no_hashes(world, caplog):
    caplog.set_level(logging.INFO)
    _, client, a, _, _ = world
    admin = as_user(None, "team-a")
    attempts = [
        client.post(f"{API}/users/create", json={"username": "alice", "password": PASSWORD}, headers=admin),
        client.post(f"{API}/users/create", json={"username": "x" * 300, "password": PASSWORD}, headers=admin),
        client.post(f"{API}/users/create", json={"username": "nul\x00name", "password": PASSWORD}, headers=admin),
        client.post(f"{API}/experiments/permissions/create", headers=admin,
                    json={"experiment_id": a.experiment, "username": "admin", "permission": "MANAGE"}),
        client.post(f"{API}/registered-models/permissions/create", headers=admin,
                    json={"name": "shared-name", "username": "admin", "permission": "MANAGE"}),
        client.post(f"{API}/experiments/permissions/create", headers=admin,
                    json={"experiment_id": "9" * 40, "username": "alice", "permission": "READ"}),
        client.post(f"{API}/registered-models/permissions/create", headers=admin,
                    json={"name": "n\x00", "username": "alice", "permission": "READ"}),
        client.post(f"{WS_API}/workspaces/team-a/permissions", headers=admin,
                    json={"username": "alice\x00", "permission": "READ"}),
        client.get(f"{WS_API}/workspaces/%00/permissions", headers=admin),
        client.get(f"{WS_API}/workspaces/%00/permissions", headers=as_user("bob")),
        client.post(f"{WS_API}/workspaces", json={"name": "team-a"}, headers=admin),
        client.patch(f"{API}/users/update-admin", json={"username": "alice", "is_admin": "maybe"}, headers=admin),
        client.get(f"{API}/users/get", query_string={"username": "x\x00"}, headers=admin),
        client.get(f"{API}/users/list", headers={"Authorization": "Basic " + base64.b64encode(b"a\x00:b").decode()}),
    ]
    for response in attempts:
        assert 400 <= response.status_code < 500, response.get_data(as_text=True)  # never a 500
        assert_no_leak(response)
    assert not any(word in r.getMessage() for r in caplog.records for word in ("$argon2", PASSWORD))
