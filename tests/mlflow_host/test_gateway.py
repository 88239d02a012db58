"""The AI Gateway's secrets, model definitions and endpoints on `mlflow server --app-name wsauth`:
the seeds' workspace levels decide (READ to see, USE to invoke, EDIT to change, MANAGE to
delete), and another workspace's gateway stays out of sight. Real server processes, SQLite and
PostgreSQL; the model provider the gateway calls is a stand-in OpenAI on 127.0.0.1 (the tests
send no traffic elsewhere), which counts the calls that reach it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.mlflow_host.test_plugin import WS, grant_workspace, new_user

GATEWAY = "/api/3.0/mlflow/gateway"
TEAM, ELSEWHERE = "team-gateway", "team-gateway-b"


@pytest.fixture(scope="module")
def members(mlflow_server):
    for name in (TEAM, ELSEWHERE):
        assert mlflow_server.api("POST", WS, json={"name": name}).status_code == 201
    users = {}
    for level in ("READ", "USE", "EDIT", "MANAGE"):
        users[level] = new_user(mlflow_server, f"gw-{level.lower()}")
        grant_workspace(mlflow_server, TEAM, users[level], level)
    users["outsider"] = new_user(mlflow_server, "gw-outsider")
    grant_workspace(mlflow_server, ELSEWHERE, users["outsider"], "MANAGE")
    return users


def call(server, user, method, path, workspace=TEAM, **fields):
    arguments = {"params": fields} if method == "GET" else {"json": fields}
    return server.api(method, f"{GATEWAY}{path}", user, workspace=workspace, **arguments)


def test_the_workspace_levels_decide_the_gateway(mlflow_server, members):
    editor, reader, user, manager = members["EDIT"], members["READ"], members["USE"], members["MANAGE"]
    refused = call(mlflow_server, reader, "POST", "/secrets/create", secret_name="k0",
                   secret_value={"api_key": "sk-reader"}, provider="openai")
    assert refused.status_code == 403, refused.text
    secret = call(mlflow_server, editor, "POST", "/secrets/create", secret_name="k1",
                  secret_value={"api_key": "sk-editor"}, provider="openai")
    assert secret.status_code == 200, secret.text
    secret_id = secret.json()["secret"]["secret_id"]
    model = call(mlflow_server, editor, "POST", "/model-definitions/create", name="md", secret_id=secret_id,
                 provider="openai", model_name="gpt-4o")
    assert model.status_code == 200, model.text
    endpoint = call(mlflow_server, editor, "POST", "/endpoints/create", name="ep", model_configs=[
        {"model_definition_id": model.json()["model_definition"]["model_definition_id"], "linkage_type": "PRIMARY",
         "weight": 1.0}])
    assert endpoint.status_code == 200, endpoint.text
    endpoint_id = endpoint.json()["endpoint"]["endpoint_id"]
    for who in (reader, user, editor, manager):
        listed = call(mlflow_server, who, "GET", "/endpoints/list")
        assert listed.status_code == 200 and endpoint_id in listed.text
        assert call(mlflow_server, who, "GET", "/endpoints/get", endpoint_id=endpoint_id).status_code == 200
        secrets = call(mlflow_server, who, "GET", "/secrets/list")
        assert secrets.status_code == 200 and secret_id in secrets.text and "sk-editor" not in secrets.text
    for who in (reader, user):
        assert call(mlflow_server, who, "POST", "/endpoints/update", endpoint_id=endpoint_id,
                    name="renamed").status_code == 403
    assert call(mlflow_server, editor, "DELETE", "/endpoints/delete", endpoint_id=endpoint_id).status_code == 403
    assert call(mlflow_server, manager, "DELETE", "/endpoints/delete", endpoint_id=endpoint_id).status_code == 200


def test_another_workspaces_gateway_stays_out_of_sight(mlflow_server, members):
    editor, outsider = members["EDIT"], members["outsider"]
    secret = call(mlflow_server, editor, "POST", "/secrets/create", secret_name="k2",
                  secret_value={"api_key": "sk-hidden"}, provider="openai")
    secret_id = secret.json()["secret"]["secret_id"]
    own = call(mlflow_server, outsider, "GET", "/secrets/list", workspace=ELSEWHERE)
    assert own.status_code == 200 and secret_id not in own.text
    for workspace in (ELSEWHERE, TEAM):
        got = call(mlflow_server, outsider, "GET", "/secrets/get", workspace=workspace, secret_id=secret_id)
        assert got.status_code in (403, 404) and "k2" not in got.text, got.text
        changed = call(mlflow_server, outsider, "POST", "/secrets/update", workspace=workspace, secret_id=secret_id,
                       secret_value={"api_key": "sk-mine"})
        assert changed.status_code in (403, 404), changed.text
        gone = call(mlflow_server, outsider, "DELETE", "/secrets/delete", workspace=workspace, secret_id=secret_id)
        assert gone.status_code in (403, 404), gone.text
    assert secret_id in call(mlflow_server, editor, "GET", "/secrets/list").text


class StandInProvider(BaseHTTPRequestHandler):
    """An OpenAI-compatible chat completion, the same answer every time."""

    calls: list[str] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        StandInProvider.calls.append(self.path)
        body = json.dumps({"id": "c1", "object": "chat.completion", "created": 1, "model": "gpt-4o",
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": "hello from the stand-in"}}],
                           "usage": {"prompt_tokens": 1, "completion_tokens": 4, "total_tokens": 5}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def provider():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandInProvider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


@pytest.fixture(scope="module")
def invocable(mlflow_server, members, provider):
    """An endpoint 'chat' of TEAM, served by the stand-in provider."""
    secret = call(mlflow_server, "admin", "POST", "/secrets/create", secret_name="k-chat", provider="openai",
                  secret_value={"api_key": "sk-chat"}, auth_config={"api_base": provider})
    assert secret.status_code == 200, secret.text
    model = call(mlflow_server, "admin", "POST", "/model-definitions/create", name="md-chat", provider="openai",
                 secret_id=secret.json()["secret"]["secret_id"], model_name="gpt-4o")
    assert model.status_code == 200, model.text
    endpoint = call(mlflow_server, "admin", "POST", "/endpoints/create", name="chat", model_configs=[
        {"model_definition_id": model.json()["model_definition"]["model_definition_id"], "linkage_type": "PRIMARY",
         "weight": 1.0}])
    assert endpoint.status_code == 200, endpoint.text
    return "chat"


MESSAGES = [{"role": "user", "content": "hi"}]


def invoke(server, user, route, workspace=TEAM):
    """One invocation of the endpoint 'chat': MLflow's own route, or its OpenAI-compatible one."""
    if route == "mlflow":
        return server.api("POST", "/gateway/chat/mlflow/invocations", user, workspace=workspace,
                          json={"messages": MESSAGES})
    return server.api("POST", "/gateway/openai/v1/chat/completions", user, workspace=workspace,
                      json={"model": "chat", "messages": MESSAGES})


@pytest.mark.parametrize("route", ["mlflow", "openai"])
def test_invoking_an_endpoint_takes_use_on_its_workspace(mlflow_server, members, invocable, route):
    for level in ("USE", "EDIT", "MANAGE"):
        before = len(StandInProvider.calls)
        answer = invoke(mlflow_server, members[level], route)
        assert answer.status_code == 200 and "hello from the stand-in" in answer.text, (level, answer.text)
        assert len(StandInProvider.calls) == before + 1
    before = len(StandInProvider.calls)
    refused = invoke(mlflow_server, members["READ"], route)
    assert refused.status_code == 403 and "'use' on workspace" in refused.json()["message"], refused.text
    assert invoke(mlflow_server, members["outsider"], route).status_code == 403  # asking in TEAM
    elsewhere = invoke(mlflow_server, members["outsider"], route, workspace=ELSEWHERE)
    assert elsewhere.status_code == 404 and "stand-in" not in elsewhere.text, elsewhere.text  # not there
    assert set(elsewhere.json()) == {"error_code", "message"}  # MLflow's FastAPI answer, in MLflow's shape
    assert invoke(mlflow_server, None, route).status_code == 401
    forged = mlflow_server.api("POST", "/gateway/chat/mlflow/invocations", members["outsider"],
                               headers={"X_MLflow_Workspace": ELSEWHERE, "X-MLflow-Workspace": TEAM},
                               json={"messages": MESSAGES})
    assert forged.status_code == 403, forged.text
    assert len(StandInProvider.calls) == before  # none of the refused reached the provider
    denials = mlflow_server.api("GET", "/api/3.0/mlflow/audit-events",
                                params={"actor": members["READ"], "action": "request.denied"})
    assert any("/gateway/" in event["target"] for event in denials.json()["events"]), denials.text
