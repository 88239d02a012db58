"""`mlflow server --app-name wsauth` (issue 12): MLflow's own server, started by MLflow's own
command line, with wsauth's auth layer: the same ini, auth database, admin, REST endpoints and
decisions as on wsauth's own server; every route of MLflow without a rule is admin-only, and the
routes FastAPI serves itself too. Real processes on 127.0.0.1, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import uuid

import pytest
import requests

from tests.mlflow_host.conftest import ADMIN, ADMIN_PASSWORD, MLFLOW, PASSWORD, start

API = "/api/2.0/mlflow"
WS = "/api/3.0/mlflow/workspaces"


def new_user(server, name: str) -> str:
    reply = server.api("POST", f"{API}/users/create", json={"username": name, "password": PASSWORD})
    assert reply.status_code == 200, reply.text
    return name


def grant_workspace(server, workspace: str, user: str, level: str) -> None:
    reply = server.api("POST", f"{WS}/{workspace}/permissions", json={"username": user, "permission": level})
    assert reply.status_code == 200, reply.text


def create_experiment(server, name: str, user: str = ADMIN, workspace: str | None = None) -> str:
    reply = server.api("POST", f"{API}/experiments/create", user, json={"name": name}, workspace=workspace)
    assert reply.status_code == 200, reply.text
    return reply.json()["experiment_id"]


def get_experiment(server, experiment: str, user: str, workspace: str | None = None) -> int:
    return server.api("GET", f"{API}/experiments/get", user, params={"experiment_id": experiment},
                      workspace=workspace).status_code


def test_mlflows_command_line_offers_the_app():
    shown = subprocess.run([MLFLOW, "server", "--help"], capture_output=True, text=True, timeout=120).stdout
    assert "wsauth" in shown.split("--app-name", 1)[1].split("\n", 1)[0]


def test_signing_in(mlflow_server):
    anonymous = requests.get(mlflow_server.url + "/", timeout=30)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Basic")
    assert anonymous.json()["error_code"] == "UNAUTHENTICATED"
    assert requests.get(mlflow_server.url + "/health", timeout=30).status_code == 200
    wrong = mlflow_server.api("GET", f"{API}/users/get", ADMIN, "not-the-password", params={"username": ADMIN})
    assert wrong.status_code == 401
    me = mlflow_server.api("GET", f"{API}/users/get", params={"username": ADMIN})
    assert me.status_code == 200 and me.json()["user"]["is_admin"] is True


def test_the_web_ui_needs_a_sign_in_and_no_grant(mlflow_server):
    nobody = new_user(mlflow_server, "ui-visitor")
    assert mlflow_server.api("GET", "/", None).status_code == 401
    page = mlflow_server.api("GET", "/", nobody)
    assert page.status_code == 200 and "<html" in page.text.lower()
    asset = mlflow_server.api("GET", "/static-files/favicon.ico", nobody)
    assert asset.status_code == 200
    assert mlflow_server.api("GET", "/static-files/favicon.ico", None).status_code == 401


def test_auth_service_client_works_unchanged(mlflow_server, monkeypatch):
    from mlflow.server.auth.client import AuthServiceClient

    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", ADMIN)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", ADMIN_PASSWORD)
    client = AuthServiceClient(mlflow_server.url)
    user = client.create_user("asc-user", PASSWORD)
    assert user.username == "asc-user" and not user.is_admin
    experiment = create_experiment(mlflow_server, "asc-experiment")
    client.create_experiment_permission(experiment, "asc-user", "READ")
    assert client.get_experiment_permission(experiment, "asc-user").permission == "READ"
    assert get_experiment(mlflow_server, experiment, "asc-user") == 200
    client.update_experiment_permission(experiment, "asc-user", "NO_PERMISSIONS")
    assert get_experiment(mlflow_server, experiment, "asc-user") == 403
    client.delete_experiment_permission(experiment, "asc-user")
    client.update_user_admin("asc-user", True)
    assert client.get_user("asc-user").is_admin
    client.delete_user("asc-user")


def test_the_decision_order_holds(mlflow_server):
    """Explicit grant, then the workspace grant, then nothing (grant_default_workspace_access is off)."""
    reader = new_user(mlflow_server, "reader")
    experiment = create_experiment(mlflow_server, "decided")
    assert get_experiment(mlflow_server, experiment, reader) == 403
    grant_workspace(mlflow_server, "default", reader, "READ")
    assert get_experiment(mlflow_server, experiment, reader) == 200
    run = mlflow_server.api("POST", f"{API}/runs/create", json={"experiment_id": experiment}).json()["run"]["info"]
    metric = {"run_id": run["run_id"], "key": "m", "value": 1.0, "timestamp": 0, "step": 0}
    assert mlflow_server.api("POST", f"{API}/runs/log-metric", reader, json=metric).status_code == 403
    assert mlflow_server.api("GET", f"{API}/runs/get", reader, params={"run_id": run["run_id"]}).status_code == 200
    mlflow_server.api("POST", f"{API}/experiments/permissions/create",
                      json={"experiment_id": experiment, "username": reader, "permission": "NO_PERMISSIONS"})
    assert get_experiment(mlflow_server, experiment, reader) == 403  # the explicit grant comes first
    assert mlflow_server.api("GET", f"{API}/runs/get", reader, params={"run_id": run["run_id"]}).status_code == 403


def test_creators_manage_what_they_create_and_others_see_none_of_it(mlflow_server):
    editor, outsider = new_user(mlflow_server, "editor"), new_user(mlflow_server, "outsider")
    grant_workspace(mlflow_server, "default", editor, "EDIT")
    mine = create_experiment(mlflow_server, "editors-own", editor)
    held = mlflow_server.api("GET", f"{API}/experiments/permissions/get", editor,
                             params={"experiment_id": mine, "username": editor})
    assert held.status_code == 200 and held.json()["experiment_permission"]["permission"] == "MANAGE"
    share = {"experiment_id": mine, "username": outsider, "permission": "READ"}
    assert get_experiment(mlflow_server, mine, outsider) == 403
    assert mlflow_server.api("POST", f"{API}/experiments/permissions/create", editor, json=share).status_code == 200
    assert get_experiment(mlflow_server, mine, outsider) == 200
    assert mlflow_server.api("POST", f"{API}/experiments/delete", outsider, json={"experiment_id": mine}).status_code == 403


def test_another_workspace_stays_out_of_reach(mlflow_server):
    assert mlflow_server.api("POST", WS, json={"name": "team-b"}).status_code == 201  # as MLflow answers
    theirs = create_experiment(mlflow_server, "team-b-only", workspace="team-b")
    member = new_user(mlflow_server, "default-editor")
    grant_workspace(mlflow_server, "default", member, "EDIT")
    assert get_experiment(mlflow_server, theirs, member, workspace="team-b") == 403
    assert get_experiment(mlflow_server, theirs, member) == 404  # not in the member's workspace
    write = {"experiment_id": theirs, "key": "k", "value": "v"}
    for workspace in (None, "team-b"):
        reply = mlflow_server.api("POST", f"{API}/experiments/set-experiment-tag", member, json=write,
                                  workspace=workspace)
        assert reply.status_code in (403, 404)
    assert mlflow_server.api("POST", f"{API}/runs/create", member, json={"experiment_id": theirs},
                             workspace="team-b").status_code == 403
    assert mlflow_server.api("POST", WS, member, json={"name": "mine-now"}).status_code == 403


@pytest.mark.parametrize("method, path, body", [
    ("POST", "/graphql", {"query": "{ mlflowSomethingNew { x } }"}),  # a field graphql_parts does not know
    ("POST", "/ajax-api/3.0/mlflow/prompt-optimization/jobs/search", {}),
    ("POST", "/api/2.0/mlflow/webhooks", {}),
    ("GET", "/api/3.0/mlflow/gateway/budgets/list", None),
    ("POST", "/ajax-api/3.0/jobs/search", {}),  # served by FastAPI itself
])
def test_a_route_without_a_rule_is_for_admins_only(mlflow_server, method, path, body):
    user = "plain-user"
    if mlflow_server.api("GET", f"{API}/users/get", params={"username": user}).status_code != 200:
        new_user(mlflow_server, user)
        grant_workspace(mlflow_server, "default", user, "MANAGE")
    refused = mlflow_server.api(method, path, user, json=body)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error_code"] == "PERMISSION_DENIED" and "admins only" in refused.json()["message"]
    assert mlflow_server.api(method, path, json=body).status_code not in (401, 403)


def test_gunicorn_with_two_workers(tmp_path):
    """The Flask app itself served by gunicorn, without workspaces: each worker installs the
    layer, anyone signed in may create an experiment (default_permission READ lets them read the
    rest), and the creator's grant holds on the other worker at once."""
    server, stack = start(tmp_path, "sqlite", "--gunicorn-opts", "--timeout 120", "--workers", "2")
    with stack:
        editor, other = new_user(server, "g-editor"), new_user(server, "g-other")
        theirs = create_experiment(server, "g-theirs", other)
        assert get_experiment(server, theirs, editor) == 200  # default_permission = READ
        assert server.api("POST", f"{API}/experiments/update", editor,
                          json={"experiment_id": theirs, "new_name": "taken-over"}).status_code == 403
        experiments = [create_experiment(server, f"g-{i}", editor) for i in range(6)]
        for experiment in experiments:  # the creator's grant, whichever worker answers
            assert server.api("POST", f"{API}/experiments/update", editor,
                              json={"experiment_id": experiment, "new_name": f"renamed-{experiment}"}).status_code == 200
        assert server.api("GET", "/", None).status_code == 401
        assert "gunicorn" in server.log.read_text().lower()


def test_the_mlflow_client_as_a_workspace_editor(mlflow_server, mlflow_client_env, monkeypatch, tmp_path):
    """The stock client, unchanged: an experiment by name, a run with params, metrics, tags and
    an artifact, read back; a user without grants gets none of it."""
    mlflow = mlflow_client_env
    editor, stranger = new_user(mlflow_server, "client-editor"), new_user(mlflow_server, "client-stranger")
    grant_workspace(mlflow_server, "default", editor, "EDIT")
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", editor)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", PASSWORD)
    mlflow.set_tracking_uri(mlflow_server.url)
    experiment = mlflow.set_experiment("client-flow")
    (tmp_path / "notes.txt").write_text("hello")
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", 0.5)
        mlflow.log_metrics({"loss": 0.25, "accuracy": 0.9}, step=1)
        mlflow.set_tag("team", "default")
        mlflow.log_dict({"k": "v"}, "config.json")
        mlflow.log_artifact(str(tmp_path / "notes.txt"))
    client = mlflow.MlflowClient()
    fetched = client.get_run(run.info.run_id)
    assert fetched.data.params == {"alpha": "0.5"} and fetched.data.metrics["loss"] == 0.25
    assert fetched.data.tags["team"] == "default"
    assert [m.value for m in client.get_metric_history(run.info.run_id, "accuracy")] == [0.9]
    assert client.get_experiment(experiment.experiment_id).name == "client-flow"
    client.delete_run(run.info.run_id)
    client.restore_run(run.info.run_id)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", stranger)
    with pytest.raises(mlflow.exceptions.MlflowException, match="PERMISSION_DENIED|Permission denied"):
        mlflow.MlflowClient().get_run(run.info.run_id)
    with pytest.raises(mlflow.exceptions.MlflowException, match="PERMISSION_DENIED|Permission denied"):
        mlflow.MlflowClient().get_experiment(experiment.experiment_id)


def all_pages(server, path, user, body, key, workspace):
    """Every item of a search, page by page (two at a time), and the sizes of the pages."""
    items, sizes, token = [], [], None
    while True:
        reply = server.api("POST", path, user, json={**body, "max_results": 2, **({"page_token": token} if token else {})},
                           workspace=workspace)
        assert reply.status_code == 200, reply.text
        page = reply.json().get(key, [])
        items += page
        sizes.append(len(page))
        token = reply.json().get("next_page_token")
        if not token:
            return items, sizes


def test_searches_show_only_what_the_user_may_read_in_full_pages(mlflow_server):
    """Visibility goes into MLflow's own queries: full pages, valid tokens, nothing hidden."""
    assert mlflow_server.api("POST", WS, json={"name": "team-s"}).status_code == 201
    ids = [create_experiment(mlflow_server, f"s-{i}", workspace="team-s") for i in range(5)]
    runs = {experiment: mlflow_server.api("POST", f"{API}/runs/create", json={"experiment_id": experiment},
                                          workspace="team-s").json()["run"]["info"]["run_id"] for experiment in ids}
    reader, single = new_user(mlflow_server, "s-reader"), new_user(mlflow_server, "s-single")
    grant_workspace(mlflow_server, "team-s", reader, "READ")
    for user, experiment, level in ((reader, ids[1], "NO_PERMISSIONS"), (single, ids[3], "READ")):
        reply = mlflow_server.api("POST", f"{API}/experiments/permissions/create", workspace="team-s",
                                  json={"experiment_id": experiment, "username": user, "permission": level})
        assert reply.status_code == 200, reply.text
    search = f"{API}/experiments/search"
    seen, sizes = all_pages(mlflow_server, search, reader, {}, "experiments", "team-s")
    assert sorted(e["experiment_id"] for e in seen) == sorted(set(ids) - {ids[1]})
    assert sizes[:-1] == [2] * (len(sizes) - 1)  # every page but the last is full
    seen, _ = all_pages(mlflow_server, search, single, {}, "experiments", "team-s")
    assert [e["experiment_id"] for e in seen] == [ids[3]]
    admin_sees, _ = all_pages(mlflow_server, search, ADMIN, {}, "experiments", "team-s")
    assert set(ids) <= {e["experiment_id"] for e in admin_sees}
    found, _ = all_pages(mlflow_server, f"{API}/runs/search", reader, {"experiment_ids": ids}, "runs", "team-s")
    assert sorted(r["info"]["run_id"] for r in found) == sorted(runs[e] for e in ids if e != ids[1])
    found, _ = all_pages(mlflow_server, f"{API}/runs/search", single, {"experiment_ids": ids}, "runs", "team-s")
    assert [r["info"]["run_id"] for r in found] == [runs[ids[3]]]
    outsider = new_user(mlflow_server, "s-outsider")
    assert all_pages(mlflow_server, search, outsider, {}, "experiments", "team-s")[0] == []


def test_workspaces_list_as_the_user_sees_them_and_take_their_grants_along(mlflow_server):
    member = new_user(mlflow_server, "w-member")
    assert mlflow_server.api("POST", WS, json={"name": "team-w"}).status_code == 201
    assert mlflow_server.api("POST", WS, json={"name": "team-v"}).status_code == 201
    grant_workspace(mlflow_server, "team-w", member, "READ")
    listed = mlflow_server.api("GET", WS, member, workspace="team-w")
    assert listed.status_code == 200 and [w["name"] for w in listed.json()["workspaces"]] == ["team-w"]
    assert mlflow_server.api("GET", f"{WS}/team-w", member, workspace="team-w").status_code == 200
    assert mlflow_server.api("GET", f"{WS}/team-v", member, workspace="team-w").status_code == 403
    assert mlflow_server.api("DELETE", f"{WS}/team-w", member, workspace="team-w").status_code == 403
    assert mlflow_server.api("DELETE", f"{WS}/team-w").status_code in (200, 204)
    held = mlflow_server.api("GET", "/api/3.0/mlflow/workspace-permissions", params={"username": member})
    assert held.status_code == 200 and held.json()["permissions"] == []  # dropped with the workspace
    events = mlflow_server.api("GET", "/api/3.0/mlflow/audit-events", params={"target": "workspace team-w"})
    assert {"workspace.created", "workspace.deleted"} <= {e["action"] for e in events.json()["events"]}


@pytest.fixture(scope="module")
def guarded(mlflow_server):
    """A member with EDIT on team-g and an explicit NO_PERMISSIONS on one of its experiments;
    an experiment and a run in 'default', where the member holds nothing."""
    assert mlflow_server.api("POST", WS, json={"name": "team-g"}).status_code == 201
    member = new_user(mlflow_server, "g-member")
    grant_workspace(mlflow_server, "team-g", member, "EDIT")
    hidden = create_experiment(mlflow_server, "g-hidden", workspace="team-g")
    reply = mlflow_server.api("POST", f"{API}/experiments/permissions/create", workspace="team-g",
                              json={"experiment_id": hidden, "username": member, "permission": "NO_PERMISSIONS"})
    assert reply.status_code == 200, reply.text
    elsewhere = create_experiment(mlflow_server, "g-in-default")
    run = mlflow_server.api("POST", f"{API}/runs/create", json={"experiment_id": elsewhere}).json()["run"]["info"]["run_id"]
    return member, hidden, elsewhere, run


def test_a_look_alike_workspace_header_is_read_as_mlflow_reads_it(mlflow_server, guarded):
    """Under uvicorn MLflow takes the workspace from the real header only; a header spelt
    X_MLflow_Workspace reaches Flask under the same name as the real one. The layer must decide
    on MLflow's workspace ('default' here), not on the look-alike."""
    member, _, elsewhere, run = guarded
    look_alike = {"X_MLflow_Workspace": "team-g"}
    auth = (member, PASSWORD)
    search = requests.post(f"{mlflow_server.url}{API}/experiments/search", json={"max_results": 100},
                           auth=auth, headers=look_alike, timeout=30)
    assert search.status_code in (200, 403)
    assert elsewhere not in {e["experiment_id"] for e in (search.json().get("experiments") or [])}
    got = requests.get(f"{mlflow_server.url}{API}/runs/get", params={"run_id": run}, auth=auth,
                       headers=look_alike, timeout=30)
    assert got.status_code == 403
    renamed = requests.post(f"{mlflow_server.url}{API}/experiments/update", auth=auth, headers=look_alike,
                            json={"experiment_id": elsewhere, "new_name": "taken"}, timeout=30)
    assert renamed.status_code == 403
    created = requests.post(f"{mlflow_server.url}{API}/experiments/create", auth=auth, headers=look_alike,
                            json={"name": "g-smuggled"}, timeout=30)
    assert created.status_code == 403


def test_the_layer_reads_the_fields_mlflow_reads(mlflow_server, guarded):
    """A GET with a JSON body and no query, a JSON body sent as a JSON string, ids that Python's
    int() reads: each names the experiment MLflow acts on, and is decided on it."""
    member, hidden, _, _ = guarded
    url, auth, ws = mlflow_server.url + API, (member, PASSWORD), {"X-MLflow-Workspace": "team-g"}
    get_with_body = requests.get(f"{url}/experiments/get", data=json.dumps({"experiment_id": hidden}),
                                 headers={**ws, "Content-Type": "application/json"}, auth=auth, timeout=30)
    assert get_with_body.status_code == 403
    double = json.dumps(json.dumps({"experiment_id": hidden, "key": "k", "value": "v"}))
    tagged = requests.post(f"{url}/experiments/set-experiment-tag", data=double, auth=auth,
                           headers={**ws, "Content-Type": "application/json"}, timeout=30)
    assert tagged.status_code == 403
    for spelling in (f" {hidden}", f"+{hidden}", f"{hidden}\n", f"0{hidden}"):
        assert mlflow_server.api("GET", f"{API}/experiments/get", member, params={"experiment_id": spelling},
                                 workspace="team-g").status_code == 403, repr(spelling)
        assert mlflow_server.api("POST", f"{API}/experiments/set-experiment-tag", member, workspace="team-g",
                                 json={"experiment_id": spelling, "key": "k", "value": "v"}).status_code == 403
    for hostile in ("9" * 5000, "9" * 23, "-1", "1e3"):
        reply = mlflow_server.api("GET", f"{API}/experiments/get", member, params={"experiment_id": hostile},
                                  workspace="team-g")
        assert reply.status_code == 400 and reply.json()["error_code"] == "INVALID_PARAMETER_VALUE", hostile[:30]
    for body in ("[1, 2]", "3", '"not json"'):
        reply = requests.post(f"{url}/experiments/update", data=body, auth=auth, timeout=30,
                              headers={**ws, "Content-Type": "application/json"})
        assert reply.status_code == 400 and reply.json()["error_code"] == "INVALID_PARAMETER_VALUE", body


def test_registered_models_follow_their_grants(mlflow_server):
    """The creator manages the model; others see nothing of it, in gets and in searches; a
    rename moves the grants along, a delete drops them."""
    assert mlflow_server.api("POST", WS, json={"name": "team-m"}).status_code == 201
    maker, outsider = new_user(mlflow_server, "m-maker"), new_user(mlflow_server, "m-outsider")
    grant_workspace(mlflow_server, "team-m", maker, "EDIT")
    reply = mlflow_server.api("POST", f"{API}/registered-models/create", maker, json={"name": "churn"}, workspace="team-m")
    assert reply.status_code == 200, reply.text
    mlflow_server.api("POST", f"{API}/registered-models/create", json={"name": "admins-model"}, workspace="team-m")
    held = mlflow_server.api("GET", f"{API}/registered-models/permissions/get", maker, workspace="team-m",
                             params={"name": "churn", "username": maker})
    assert held.status_code == 200 and held.json()["registered_model_permission"]["permission"] == "MANAGE"
    get = lambda user, name: mlflow_server.api("GET", f"{API}/registered-models/get", user, params={"name": name},
                                               workspace="team-m").status_code
    assert get(outsider, "churn") == 403 and get(maker, "churn") == 200
    found = mlflow_server.api("GET", f"{API}/registered-models/search", outsider, workspace="team-m")
    assert found.status_code == 200 and found.json().get("registered_models", []) == []
    mlflow_server.api("POST", f"{API}/registered-models/permissions/create", maker, workspace="team-m",
                      json={"name": "churn", "username": outsider, "permission": "READ"})
    found = mlflow_server.api("GET", f"{API}/registered-models/search", outsider, workspace="team-m")
    assert [m["name"] for m in found.json()["registered_models"]] == ["churn"]
    for model in ("churn", "admins-model"):  # versions: made by an admin (their sources are not checked yet)
        made = mlflow_server.api("POST", f"{API}/model-versions/create", workspace="team-m",
                                 json={"name": model, "source": "s3://bucket/models/one"})
        assert made.status_code == 200, made.text
    versions = mlflow_server.api("GET", f"{API}/model-versions/search", outsider, workspace="team-m")
    assert versions.status_code == 200 and {v["name"] for v in versions.json()["model_versions"]} == {"churn"}
    renamed = mlflow_server.api("POST", f"{API}/registered-models/rename", maker, workspace="team-m",
                                json={"name": "churn", "new_name": "churn-v2"})
    assert renamed.status_code == 200, renamed.text
    assert get(outsider, "churn-v2") == 200  # the READ grant moved with the name
    assert mlflow_server.api("DELETE", f"{API}/registered-models/delete", outsider, workspace="team-m",
                             json={"name": "churn-v2"}).status_code == 403
    assert mlflow_server.api("DELETE", f"{API}/registered-models/delete", maker, workspace="team-m",
                             json={"name": "churn-v2"}).status_code == 200
    # a model made again under the old name starts without the old grants
    mlflow_server.api("POST", f"{API}/registered-models/create", json={"name": "churn-v2"}, workspace="team-m")
    assert get(outsider, "churn-v2") == 403


def test_camel_case_field_names_cannot_name_another_resource(mlflow_server, guarded):
    """MLflow's protobuf parser takes experimentId as experiment_id (and, given both, the later
    one): a body naming one resource to the layer and another to MLflow is refused, admins'
    included (the layer follows their renames)."""
    member, hidden, _, _ = guarded
    mine = create_experiment(mlflow_server, "g-mine", member, workspace="team-g")
    tricks = [
        ("POST", f"{API}/runs/create", {"experimentId": hidden}),
        ("POST", f"{API}/runs/create", {"experiment_id": mine, "experimentId": hidden}),
        ("POST", f"{API}/experiments/update", {"experiment_id": mine, "experimentId": hidden, "new_name": "x"}),
        ("GET", f"{API}/experiments/get", {"experiment_id": mine, "experimentId": hidden}),
    ]
    for method, path, body in tricks:
        reply = requests.request(method, mlflow_server.url + path, data=json.dumps(body), auth=(member, PASSWORD),
                                 headers={"X-MLflow-Workspace": "team-g", "Content-Type": "application/json"},
                                 timeout=30)
        assert reply.status_code == 400 and "snake_case" in reply.json()["message"], (path, reply.text)
    reply = mlflow_server.api("POST", f"{API}/registered-models/create", member, json={"name": "g-own"},
                              workspace="team-g")
    assert reply.status_code == 200
    mlflow_server.api("POST", f"{API}/registered-models/create", json={"name": "g-secret"}, workspace="team-g")
    for user in (member, ADMIN):
        renamed = mlflow_server.api("POST", f"{API}/registered-models/rename", user, workspace="team-g",
                                    json={"name": "g-own", "new_name": "g-secret", "newName": "g-own-2"})
        assert renamed.status_code == 400, renamed.text
    held = mlflow_server.api("GET", f"{API}/registered-models/permissions/get", workspace="team-g",
                             params={"name": "g-secret", "username": member})
    assert held.status_code == 404  # no grant of the member's moved onto the admin's model


def test_model_searches_show_no_versions_of_another_workspaces_model(mlflow_server):
    """A model of the same name in another workspace is another model: its versions must not
    appear among a search's latest versions."""
    for workspace in ("team-x", "team-y"):
        assert mlflow_server.api("POST", WS, json={"name": workspace}).status_code == 201
        assert mlflow_server.api("POST", f"{API}/registered-models/create", json={"name": "same-name"},
                                 workspace=workspace).status_code == 200
        made = mlflow_server.api("POST", f"{API}/model-versions/create", workspace=workspace,
                                 json={"name": "same-name", "source": f"s3://bucket/{workspace}/model"})
        assert made.status_code == 200, made.text
    reader = new_user(mlflow_server, "x-reader")
    grant_workspace(mlflow_server, "team-x", reader, "READ")
    found = mlflow_server.api("GET", f"{API}/registered-models/search", reader, workspace="team-x")
    assert found.status_code == 200
    sources = {v["source"] for m in found.json()["registered_models"] for v in m.get("latest_versions", [])}
    assert sources == {"s3://bucket/team-x/model"}


def probe_missing_workspaces(server) -> None:
    """A workspace that does not exist answers a non-admin like one they hold nothing in, and a
    search there shows nothing of the workspace MLflow runs it in; an admin keeps MLflow's 404."""
    if server.api("GET", f"{WS}/probe-team").status_code != 200:
        assert server.api("POST", WS, json={"name": "probe-team"}).status_code == 201
    reader = "probe-reader"
    if server.api("GET", f"{API}/users/get", params={"username": reader}).status_code != 200:
        new_user(server, reader)
        grant_workspace(server, "default", reader, "READ")
    visible = create_experiment(server, f"probe-visible-{uuid.uuid4().hex[:6]}")  # in default
    searches = [("POST", f"{API}/experiments/search", {"json": {"max_results": 10}}),
                ("GET", f"{API}/experiments/search", {"params": {"max_results": 10}}),
                ("GET", f"{API}/experiments/search", {}),  # MLflow's own 400 (no max_results)
                ("GET", f"{API}/registered-models/search", {}),
                ("GET", f"{API}/experiments/get", {"params": {"experiment_id": visible}}),
                ("POST", f"{API}/experiments/create", {"json": {"name": "probe"}}),
                ("POST", f"{API}/runs/search", {"json": {"experiment_ids": [visible]}}),
                ("GET", WS, {}), ("GET", f"{WS}/default", {}), ("GET", f"{WS}/probe-team", {})]
    for method, path, kwargs in searches:
        answers = [server.api(method, path, reader, workspace=workspace, **kwargs)
                   for workspace in ("probe-team", "no-such-team")]
        texts = [(answer.status_code, answer.text.replace("no-such-team", "probe-team")) for answer in answers]
        assert texts[0] == texts[1], (method, path, texts)
        assert "probe-visible" not in answers[1].text
    assert "probe-visible" in server.api("POST", f"{API}/experiments/search", reader,
                                         json={"max_results": 100}).text  # the reader's own workspace
    anonymous = [server.api("GET", f"{API}/experiments/get", None, workspace=workspace,
                            params={"experiment_id": visible}).status_code for workspace in ("probe-team", "nowhere")]
    assert anonymous == [401, 401]
    admin = server.api("GET", f"{API}/experiments/get", workspace="no-such-team", params={"experiment_id": visible})
    assert admin.status_code == 404 and "Workspace 'no-such-team' not found" in admin.text


def test_a_missing_workspace_answers_like_an_empty_one(mlflow_server):
    probe_missing_workspaces(mlflow_server)


def test_a_missing_workspace_answers_like_an_empty_one_under_gunicorn(tmp_path):
    server, stack = start(tmp_path, "sqlite", "--enable-workspaces", "--gunicorn-opts", "--timeout 120",
                          "--workers", "1")
    with stack:
        probe_missing_workspaces(server)
        assert "gunicorn" in server.log.read_text().lower()


def test_uvicorn_with_two_workers_and_workspaces(tmp_path):
    """MLflow's default server (uvicorn) with two workers: a creator's grant and a new workspace
    grant hold on either worker at once, a revoked one within the layer's bound, and MLflow's
    answer to a missing workspace is taken back on both."""
    server, stack = start(tmp_path, "sqlite", "--enable-workspaces", "--workers", "2")
    with stack:
        assert server.api("POST", WS, json={"name": "two-workers"}).status_code == 201
        editor, reader = new_user(server, "u-editor"), new_user(server, "u-reader")
        grant_workspace(server, "two-workers", editor, "EDIT")
        experiments = [create_experiment(server, f"u-{i}", editor, workspace="two-workers") for i in range(6)]
        for experiment in experiments:  # the creator's MANAGE, whichever worker answers
            reply = server.api("POST", f"{API}/experiments/delete", editor, workspace="two-workers",
                               json={"experiment_id": experiment})
            assert reply.status_code == 200, reply.text
        kept = create_experiment(server, "u-kept", workspace="two-workers")
        assert get_experiment(server, kept, reader, workspace="two-workers") == 403
        grant_workspace(server, "two-workers", reader, "READ")
        assert [get_experiment(server, kept, reader, workspace="two-workers") for _ in range(6)] == [200] * 6
        for _ in range(4):
            answer = server.api("GET", f"{API}/experiments/get", reader, workspace="nowhere-here",
                                params={"experiment_id": kept})
            assert answer.status_code == 403 and "nowhere-here" in answer.json()["message"], answer.text
