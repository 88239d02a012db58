"""The decision order on MLflow's server, by brute force (issue 12, item 3): every workspace
level (or none) × every explicit level (or none) on one experiment, each held by its own user,
probed on the experiment and on what lives in it (a run, a logged model, a trace) for every
capability, and compared with the independent model of tests/auth/permission_model.py, the one
the property tests of wsauth's own server use. Real server processes, SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from tests.auth.permission_model import LEVELS, Grants
from tests.mlflow_host.test_flows import new_trace
from tests.mlflow_host.test_plugin import API, WS, grant_workspace, new_user

V3 = "/api/3.0/mlflow"
WORKSPACE = "team-matrix"
CASES = [(workspace, explicit) for workspace in (*LEVELS, None) for explicit in (*LEVELS, None)]


@pytest.fixture(scope="module")
def matrix(mlflow_server):
    """One experiment with a run, a logged model and a trace; a user per case; the model."""
    def admin(method, path, **body):
        reply = mlflow_server.api(method, path, json=body, workspace=WORKSPACE)
        assert reply.status_code in (200, 201), reply.text
        return reply.json()

    assert mlflow_server.api("POST", WS, json={"name": WORKSPACE}).status_code == 201
    experiment = admin("POST", f"{API}/experiments/create", name="matrix")["experiment_id"]
    run = admin("POST", f"{API}/runs/create", experiment_id=experiment)["run"]["info"]["run_id"]
    model = admin("POST", f"{API}/logged-models", experiment_id=experiment, name="m")["model"]["info"]["model_id"]
    trace = new_trace(experiment)
    admin("POST", f"{V3}/traces", **trace)
    grants = Grants(default_permission="READ", grant_default=False)
    users = {}
    for workspace_level, explicit in CASES:
        user = new_user(mlflow_server, f"mx-{uuid.uuid4().hex[:8]}")
        users[(workspace_level, explicit)] = user
        if workspace_level:
            grant_workspace(mlflow_server, WORKSPACE, user, workspace_level)
            grants.workspaces[(user, WORKSPACE)] = workspace_level
        if explicit:
            admin("POST", f"{API}/experiments/permissions/create", experiment_id=experiment, username=user,
                  permission=explicit)
            grants.experiments[(user, experiment)] = explicit
    return experiment, run, model, trace["trace"]["trace_info"]["trace_id"], users, grants


def probes(experiment: str, run: str, model: str, trace: str, user: str):
    """(capability, method, path, fields) of every probe; each change is one a repeat leaves as it was."""
    return [
        ("read", "GET", f"{API}/experiments/get", {"experiment_id": experiment}),
        ("read", "GET", f"{API}/runs/get", {"run_id": run}),
        ("read", "GET", f"{API}/logged-models/{model}", {}),
        ("read", "GET", f"{V3}/traces/{trace}", {}),
        ("update", "POST", f"{API}/experiments/set-experiment-tag", {"experiment_id": experiment, "key": "k",
                                                                      "value": "v"}),
        ("update", "POST", f"{API}/runs/set-tag", {"run_id": run, "key": "k", "value": "v"}),
        ("update", "PATCH", f"{API}/logged-models/{model}/tags", {"tags": [{"key": "k", "value": "v"}]}),
        ("update", "PATCH", f"{V3}/traces/{trace}/tags", {"key": "k", "value": "v"}),
        ("delete", "POST", f"{API}/runs/restore", {"run_id": run}),
        ("manage", "GET", f"{API}/experiments/permissions/get", {"experiment_id": experiment, "username": user}),
    ]


@pytest.mark.parametrize("workspace_level, explicit", CASES)
def test_every_level_pair_decides_as_the_model_says(mlflow_server, matrix, workspace_level, explicit):
    experiment, run, model, trace, users, grants = matrix
    user = users[(workspace_level, explicit)]
    for capability, method, path, fields in probes(experiment, run, model, trace, user):
        expected = 200 if grants.may(user, WORKSPACE, capability, grants.experiments.get((user, experiment))) else 403
        arguments = {"params": fields} if method == "GET" else {"json": fields}
        reply = mlflow_server.api(method, path, user, workspace=WORKSPACE, **arguments)
        if capability == "manage" and expected == 200 and explicit is None:
            expected = 404  # allowed, but the user holds no explicit grant to show
        assert reply.status_code == expected, (workspace_level, explicit, capability, path, reply.text[:200])


def test_missing_resources_look_as_the_model_says(mlflow_server, matrix):
    """A resource that does not exist: 404 to whoever may act on the workspace, else the same
    403 as for an existing one."""
    _, _, _, _, users, grants = matrix
    for (workspace_level, explicit), user in users.items():
        for capability, method, path, fields in probes("987654", uuid.uuid4().hex, f"m-{uuid.uuid4().hex}",
                                                       f"tr-{uuid.uuid4().hex}", user)[:8]:
            expected = grants.status(user, WORKSPACE, capability, found=False)
            arguments = {"params": fields} if method == "GET" else {"json": fields}
            reply = mlflow_server.api(method, path, user, workspace=WORKSPACE, **arguments)
            assert reply.status_code == expected, (workspace_level, explicit, path, reply.text[:200])
