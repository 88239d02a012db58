"""The OpenAPI document against a live server with the auth layer and workspaces on (issue 6).

Schemathesis generates requests from the document the server serves, for every /api operation
(the /ajax-api twins are the same handlers), as the admin, as a plain user and as an anonymous
caller, and checks every answer: no 5xx, a documented status, content type, body and headers.
A second test walks every operation once with real data, so that each success answer (which random
data rarely reaches) is checked against the document too.

WSAUTH_SCHEMATHESIS_EXAMPLES and WSAUTH_SCHEMATHESIS_SEED explore further by hand.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
import schemathesis
from schemathesis import checks

from tests.conftest import ServerProcess, database_of_kind

pytestmark = pytest.mark.integration

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
ADMIN, ADMIN_PASSWORD = "admin", "admin-password-1234"
ALICE, ALICE_PASSWORD = "alice", "alice-password-1234"
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.response_headers_conformance]
ONLY_API = "^/(api/|health|ready|version|openapi)"
V2, V3, PROXY = "/api/2.0/mlflow", "/api/3.0/mlflow", "/api/2.0/mlflow-artifacts"
SEED = os.environ.get("WSAUTH_SCHEMATHESIS_SEED", "20240601")
EXAMPLES = int(os.environ.get("WSAUTH_SCHEMATHESIS_EXAMPLES", "0"))
INI = """[mlflow]
default_permission = READ
database_uri = {uri}
admin_username = {admin}
admin_password = {password}
grant_default_workspace_access = true
"""


@pytest.fixture
def server(tmp_path):
    """A server with --app-name basic-auth and --enable-workspaces on a new SQLite database."""
    with database_of_kind("sqlite", tmp_path) as uri:
        ini = tmp_path / "basic_auth.ini"
        ini.write_text(INI.format(uri=uri, admin=ADMIN, password=ADMIN_PASSWORD))
        env = {"MLFLOW_AUTH_CONFIG_PATH": str(ini), "MLFLOW_AUTH_ADMIN_USERNAME": "", "MLFLOW_AUTH_ADMIN_PASSWORD": ""}
        process = ServerProcess(["--backend-store-uri", uri, "--workers", "1", "--app-name", "basic-auth",
                                 "--enable-workspaces", "--artifacts-destination", str(tmp_path / "artifacts")],
                                tmp_path, env)
        try:
            yield process
        finally:
            process.stop()


def credentials(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def create_alice(server: ServerProcess) -> None:
    response = requests.post(f"{server.url}{V2}/users/create", timeout=10,
                             json={"username": ALICE, "password": ALICE_PASSWORD},
                             headers=credentials(ADMIN, ADMIN_PASSWORD))
    assert response.status_code == 200, response.text


# Each pass: who calls, examples per operation, phases, operations left out. The admin leaves out
# changing passwords: the stateful phase follows users/list to the admin's own name and would lock
# the rest of the run out (a plain user may change only their own password, so their pass keeps it).
# The coverage phase (every boundary and wrong type of every field, not bounded by the examples)
# costs the most; the admin, who gets past authorization to every handler, runs it.
PASSES = {
    "admin": ((ADMIN, ADMIN_PASSWORD), 5, "examples,coverage,fuzzing,stateful", ["updateUserPassword"]),
    "user": ((ALICE, ALICE_PASSWORD), 4, "examples,fuzzing,stateful", []),
    "anonymous": (None, 1, "examples,fuzzing", []),
}
# Requests with methods a route does not take are the `unsupported_method` check's, not run here.
CONFIG = "[phases.coverage]\nunexpected-methods = []\n"


@pytest.mark.parametrize("caller", list(PASSES))
def test_schemathesis_finds_no_server_error_and_no_answer_that_breaks_the_document(server, tmp_path, caller):
    user, examples, phases, excluded = PASSES[caller]
    if caller == "user":
        create_alice(server)
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        SCHEMATHESIS, "--config-file", str(config), "run", f"{server.url}/openapi.json",
        "--checks", ",".join(c.__name__ for c in CHECKS), "--include-path-regex", ONLY_API, "--max-examples", str(EXAMPLES or examples), "--phases", phases,
        "--seed", SEED, "--workers", "1",  # parallel workers race in CPython's ast module (Python 3.11)
        "--generation-database", "none", "--no-color", "--request-timeout", "30",
    ]
    command += [option for name in excluded for option in ("--exclude-operation-id", name)]
    if user:
        command += ["--auth", f"{user[0]}:{user[1]}"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    report = result.stdout[-20_000:] + result.stderr[-5_000:]
    assert result.returncode == 0, report
    assert " generated, " in report, report  # it did test


def test_a_request_line_over_the_limit_gets_a_json_414(server):
    """gunicorn refuses it before Flask sees it; the answer still has the error body."""
    response = requests.get(f"{server.url}{V2}/registered-models/search", params={"filter": "x" * 9000},
                            headers=credentials(ADMIN, ADMIN_PASSWORD), timeout=10)
    assert response.status_code == 414
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert "at most 8190 bytes" in response.json()["message"]
    # a long filter below the limit is served, not refused (gunicorn's default limit is 4094)
    response = requests.get(f"{server.url}{V2}/registered-models/search",
                            params={"filter": "name = '" + "x" * 6000 + "'"},
                            headers=credentials(ADMIN, ADMIN_PASSWORD), timeout=10)
    assert response.status_code == 200, response.text


class Caller:
    """Calls one operation of the served document with given data and checks the answer with
    schemathesis's checks; remembers which operations it called."""

    def __init__(self, server: ServerProcess, schema, headers: dict[str, str]):
        self.url, self.schema, self.headers = server.url, schema, headers
        self.called: set[tuple[str, str]] = set()

    def __call__(self, method: str, path: str, status: int = 200, *, query=None, body=None, path_parameters=None,
                 workspace: str | None = None, media_type: str | None = None):
        case = self.schema[path][method].Case(query=query, path_parameters=path_parameters, media_type=media_type,
                                             **({} if body is None else {"body": body}))
        headers = {**self.headers, **({"X-MLFLOW-WORKSPACE": workspace} if workspace else {})}
        response = case.call(base_url=self.url, headers=headers)
        assert response.status_code == status, (method, path, response.status_code, response.text)
        case.validate_response(response, checks=CHECKS, headers=headers)
        self.called.add((method, path))
        content_type = " ".join(response.headers.get("content-type", []))
        return response.json() if response.content and "json" in content_type else response


def test_every_operation_answers_real_data_as_documented(server):
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    call = Caller(server, schema, credentials(ADMIN, ADMIN_PASSWORD))
    for path in ("/health", "/ready", "/version", f"{V3}/server-info", "/openapi.json", f"{V3}/openapi.json"):
        call("GET", path)
    ws = f"team-{uuid.uuid4().hex[:6]}"
    call("POST", f"{V3}/workspaces", 201, body={"name": ws, "description": "a team"})
    call("GET", f"{V3}/workspaces")
    call("GET", f"{V3}/workspaces/{{workspace_name}}", path_parameters={"workspace_name": ws})
    call("PATCH", f"{V3}/workspaces/{{workspace_name}}", path_parameters={"workspace_name": ws},
         body={"description": "the A team"})
    experiment_id = _experiments(call, ws)
    run_id = _runs(call, ws, experiment_id)
    _artifacts(call, ws, experiment_id)
    _registry(call, ws, run_id)
    _users_and_permissions(call, ws, experiment_id)
    _deletions(call, ws, experiment_id, run_id)
    documented = {(method.upper(), path) for path, item in schema.raw_schema["paths"].items() for method in item
                  if path.startswith(("/api/", "/health", "/ready", "/version"))}
    assert sorted(documented - call.called) == [], "operations this test does not call yet"


def _experiments(call: Caller, ws: str) -> str:
    created = call("POST", f"{V2}/experiments/create", workspace=ws,
                   body={"name": "exp-a", "tags": [{"key": "team", "value": "a"}]})
    experiment_id = created["experiment_id"]
    call("GET", f"{V2}/experiments/get", query={"experiment_id": experiment_id}, workspace=ws)
    call("GET", f"{V2}/experiments/get-by-name", query={"experiment_name": "exp-a"}, workspace=ws)
    for method in ("GET", "POST"):
        call(method, f"{V2}/experiments/search", workspace=ws,
             **({"query": {"max_results": 1}} if method == "GET" else {"body": {"max_results": 1}}))
    call("GET", f"{V2}/experiments/list", workspace=ws)
    call("POST", f"{V2}/experiments/update", body={"experiment_id": experiment_id, "new_name": "exp-b"}, workspace=ws)
    call("POST", f"{V2}/experiments/set-experiment-tag", workspace=ws,
         body={"experiment_id": experiment_id, "key": "k", "value": "v"})
    call("POST", f"{V2}/experiments/delete-experiment-tag", body={"experiment_id": experiment_id, "key": "k"},
         workspace=ws)
    return experiment_id


def _runs(call: Caller, ws: str, experiment_id: str) -> str:
    run = call("POST", f"{V2}/runs/create", workspace=ws,
               body={"experiment_id": experiment_id, "run_name": "r1", "start_time": 1,
                     "tags": [{"key": "t", "value": "v"}]})["run"]
    run_id = run["info"]["run_id"]
    call("POST", f"{V2}/runs/log-metric", body={"run_id": run_id, "key": "loss", "value": "NaN", "step": 1},
         workspace=ws)
    call("POST", f"{V2}/runs/log-parameter", body={"run_id": run_id, "key": "lr", "value": "0.1"}, workspace=ws)
    call("POST", f"{V2}/runs/log-batch", workspace=ws, body={
        "run_id": run_id, "metrics": [{"key": "acc", "value": 0.5, "timestamp": 2, "step": 2}],
        "params": [{"key": "seed", "value": "1"}], "tags": [{"key": "u", "value": "w"}]})
    call("POST", f"{V2}/runs/set-tag", body={"run_id": run_id, "key": "x", "value": "y"}, workspace=ws)
    call("POST", f"{V2}/runs/delete-tag", body={"run_id": run_id, "key": "x"}, workspace=ws)
    call("POST", f"{V2}/runs/update", body={"run_id": run_id, "status": "FINISHED", "end_time": 3}, workspace=ws)
    got = call("GET", f"{V2}/runs/get", query={"run_id": run_id}, workspace=ws)["run"]
    assert {m["key"]: m["value"] for m in got["data"]["metrics"]} == {"acc": 0.5, "loss": "NaN"}
    call("POST", f"{V2}/runs/search", body={"experiment_ids": [experiment_id], "max_results": 1}, workspace=ws)
    call("GET", f"{V2}/metrics/get-history", query={"run_id": run_id, "metric_key": "loss"}, workspace=ws)
    call("POST", f"{V2}/logged-models/search", body={"experiment_ids": [experiment_id]}, workspace=ws)
    return run_id


def _artifacts(call: Caller, ws: str, experiment_id: str) -> None:
    path = f"workspaces/{ws}/{experiment_id}/notes.txt"
    where = {"path_parameters": {"artifact_path": path}, "workspace": ws}
    call("PUT", f"{PROXY}/artifacts/{{artifact_path}}", body=b"hello", media_type="application/octet-stream", **where)
    call("GET", f"{PROXY}/artifacts", query={"path": f"workspaces/{ws}/{experiment_id}"}, workspace=ws)
    assert call("GET", f"{PROXY}/artifacts/{{artifact_path}}", **where).content == b"hello"
    call("DELETE", f"{PROXY}/artifacts/{{artifact_path}}", **where)


def _registry(call: Caller, ws: str, run_id: str) -> None:
    model = {"name": "model-a"}
    version = {**model, "version": "1"}
    call("POST", f"{V2}/registered-models/create", workspace=ws,
         body={**model, "description": "d", "tags": [{"key": "k", "value": "v"}]})
    call("POST", f"{V2}/model-versions/create", workspace=ws,
         body={**model, "source": f"runs:/{run_id}/model", "run_id": run_id, "tags": [{"key": "k", "value": "v"}]})
    call("GET", f"{V2}/registered-models/get", query=model, workspace=ws)
    call("GET", f"{V2}/registered-models/search", query={"max_results": 5}, workspace=ws)
    call("PATCH", f"{V2}/registered-models/update", body={**model, "description": "e"}, workspace=ws)
    call("POST", f"{V2}/registered-models/set-tag", body={**model, "key": "a", "value": "b"}, workspace=ws)
    call("DELETE", f"{V2}/registered-models/delete-tag", body={**model, "key": "a"}, workspace=ws)
    call("GET", f"{V2}/model-versions/get", query=version, workspace=ws)
    call("PATCH", f"{V2}/model-versions/update", body={**version, "description": "v1"}, workspace=ws)
    call("POST", f"{V2}/model-versions/transition-stage", body={**version, "stage": "Staging"}, workspace=ws)
    call("POST", f"{V2}/model-versions/set-tag", body={**version, "key": "a", "value": "b"}, workspace=ws)
    call("DELETE", f"{V2}/model-versions/delete-tag", body={**version, "key": "a"}, workspace=ws)
    call("GET", f"{V2}/model-versions/search", query={"filter": "name = 'model-a'"}, workspace=ws)
    call("GET", f"{V2}/model-versions/get-download-uri", query=version, workspace=ws)
    call("GET", f"{V2}/registered-models/get-latest-versions", query={**model, "stages": ["Staging"]}, workspace=ws)
    call("POST", f"{V2}/registered-models/get-latest-versions", body=model, workspace=ws)
    call("POST", f"{V2}/registered-models/alias", body={**version, "alias": "champion"}, workspace=ws)
    alias = call("GET", f"{V2}/registered-models/alias", query={**model, "alias": "champion"}, workspace=ws)
    assert alias["model_version"]["aliases"] == ["champion"]
    call("DELETE", f"{V2}/registered-models/alias", body={**model, "alias": "champion"}, workspace=ws)
    call("POST", f"{V2}/registered-models/rename", body={**model, "new_name": "model-b"}, workspace=ws)
    call("DELETE", f"{V2}/model-versions/delete", body={"name": "model-b", "version": "1"}, workspace=ws)
    call("DELETE", f"{V2}/registered-models/delete", body={"name": "model-b"}, workspace=ws)
    call("POST", f"{V2}/registered-models/create", body={"name": "model-c"}, workspace=ws)  # for its grants


def _users_and_permissions(call: Caller, ws: str, experiment_id: str) -> None:
    alice = {"username": ALICE}
    call("POST", f"{V2}/users/create", body={**alice, "password": ALICE_PASSWORD})
    call("GET", f"{V2}/users/list")
    call("PATCH", f"{V2}/users/update-password", body={**alice, "password": "another-password-123"})
    call("PATCH", f"{V2}/users/update-admin", body={**alice, "is_admin": False})
    for kind, key in (("experiments", {"experiment_id": experiment_id}), ("registered-models", {"name": "model-c"})):
        grant = {**key, **alice}
        call("POST", f"{V2}/{kind}/permissions/create", body={**grant, "permission": "READ"}, workspace=ws)
        call("GET", f"{V2}/{kind}/permissions/get", query=grant, workspace=ws)
        call("PATCH", f"{V2}/{kind}/permissions/update", body={**grant, "permission": "EDIT"}, workspace=ws)
    user = call("GET", f"{V2}/users/get", query=alice)["user"]
    assert [g["permission"] for g in user["experiment_permissions"]] == ["EDIT"]
    in_ws = {"path_parameters": {"workspace_name": ws}}
    call("POST", f"{V3}/workspaces/{{workspace_name}}/permissions", body={**alice, "permission": "USE"}, **in_ws)
    call("GET", f"{V3}/workspaces/{{workspace_name}}/permissions", **in_ws)
    call("GET", f"{V3}/workspace-permissions", query=alice)
    if f"{V3}/audit-events" in call.schema.raw_schema["paths"]:
        call("GET", f"{V3}/audit-events", query={"max_results": 2})
        call("GET", f"{V2}/users/lockouts")
        call("DELETE", f"{V2}/users/lockouts", body=alice)


def _deletions(call: Caller, ws: str, experiment_id: str, run_id: str) -> None:
    alice = {"username": ALICE}
    in_ws = {"path_parameters": {"workspace_name": ws}}
    call("DELETE", f"{V3}/workspaces/{{workspace_name}}/permissions", 204, query=alice, **in_ws)
    call("DELETE", f"{V2}/experiments/permissions/delete", body={"experiment_id": experiment_id, **alice}, workspace=ws)
    call("DELETE", f"{V2}/registered-models/permissions/delete", body={"name": "model-c", **alice}, workspace=ws)
    call("DELETE", f"{V2}/users/delete", body=alice)
    for verb in ("delete", "restore"):
        call("POST", f"{V2}/runs/{verb}", body={"run_id": run_id}, workspace=ws)
        call("POST", f"{V2}/experiments/{verb}", body={"experiment_id": experiment_id}, workspace=ws)
    # still holding an experiment and a model: 409, with the error body the document promises
    call("DELETE", f"{V3}/workspaces/{{workspace_name}}", 409, **in_ws)
    empty = f"empty-{uuid.uuid4().hex[:6]}"
    call("POST", f"{V3}/workspaces", 201, body={"name": empty})
    call("DELETE", f"{V3}/workspaces/{{workspace_name}}", 204, path_parameters={"workspace_name": empty})
