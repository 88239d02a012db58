"""The AI Gateway's secrets, model definitions and endpoints on `mlflow server --app-name wsauth`:
the seeds' workspace levels decide (READ to see, EDIT to change, MANAGE to delete), and another
workspace's gateway stays out of sight. Real server processes, SQLite and PostgreSQL."""

from __future__ import annotations

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
