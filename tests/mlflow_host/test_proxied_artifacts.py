"""MLflow's artifact proxy under `--app-name wsauth` (`--artifacts-destination`, MLflow's default
for proxied artifacts): the client logs and loads a workspace editor's files through it; every
path is decided by the experiment whose folder holds it, so outsiders read, list, write and
delete none of them. Real server processes on 127.0.0.1."""

from __future__ import annotations

import numpy as np
import pytest

from tests.mlflow_host.conftest import PASSWORD, start
from tests.mlflow_host.test_plugin import API, WS, grant_workspace, new_user

PROXY = "/api/2.0/mlflow-artifacts/artifacts"
TEAM = "team-proxied"


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    server, stack = start(tmp_path_factory.mktemp("proxied"), "sqlite", "proxied", "--enable-workspaces",
                          "--workers", "1")
    with stack:
        yield server


@pytest.fixture(scope="module")
def logged(proxied, tmp_path_factory):
    """An editor of the workspace logs a file and a model through the proxy, and loads it back."""
    import mlflow
    from mlflow.utils.workspace_context import set_workspace
    from sklearn.linear_model import LogisticRegression

    assert proxied.api("POST", WS, json={"name": TEAM}).status_code == 201
    editor = new_user(proxied, "p-editor")
    grant_workspace(proxied, TEAM, editor, "EDIT")
    notes = tmp_path_factory.mktemp("notes") / "notes.txt"
    notes.write_text("proxied hello")
    features = np.random.default_rng(0).random((20, 2))
    labels = (features[:, 0] > 0.5).astype(int)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (("MLFLOW_TRACKING_USERNAME", editor), ("MLFLOW_TRACKING_PASSWORD", PASSWORD),
                            ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0"), ("MLFLOW_WORKSPACE", TEAM)):
            patch.setenv(name, value)
        mlflow.set_tracking_uri(proxied.url)
        set_workspace(TEAM)
        try:
            experiment = mlflow.set_experiment("proxied").experiment_id
            with mlflow.start_run() as run:
                mlflow.log_artifact(str(notes))
                info = mlflow.sklearn.log_model(LogisticRegression().fit(features, labels), name="model")
            predicted = mlflow.pyfunc.load_model(info.model_uri).predict(features)
            listed = [f.path for f in mlflow.MlflowClient().list_artifacts(run.info.run_id)]
            downloaded = mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/notes.txt")
        finally:
            set_workspace(None)
            mlflow.set_tracking_uri(None)
    folder = run.info.artifact_uri.split("mlflow-artifacts:", 1)[1].lstrip("/")
    return editor, experiment, folder, predicted, listed, downloaded


def test_the_editor_logs_and_loads_through_the_proxy(logged):
    _, _, folder, predicted, listed, downloaded = logged
    assert folder.startswith(f"workspaces/{TEAM}/") and "notes.txt" in listed and downloaded == "proxied hello"
    assert len(predicted) == 20


def test_outsiders_reach_none_of_the_proxied_files(proxied, logged):
    editor, experiment, folder, _, _, _ = logged
    stranger, neighbour, denied = (new_user(proxied, name) for name in ("p-stranger", "p-neighbour", "p-denied"))
    assert proxied.api("POST", WS, json={"name": "team-elsewhere"}).status_code == 201
    grant_workspace(proxied, "team-elsewhere", neighbour, "EDIT")
    grant_workspace(proxied, TEAM, denied, "EDIT")
    assert proxied.api("POST", f"{API}/experiments/permissions/create", workspace=TEAM, json={
        "experiment_id": experiment, "username": denied, "permission": "NO_PERMISSIONS"}).status_code == 200
    relative = folder.split("/", 2)[2]  # without workspaces/<name>/: MLflow puts it under the request's
    for user, workspace in ((stranger, TEAM), (neighbour, "team-elsewhere"), (neighbour, TEAM), (denied, TEAM)):
        # a relative path lands in the request's workspace: the neighbour's own, there
        for path in (folder,) if workspace == "team-elsewhere" else (folder, relative):
            for method, url, arguments in (("GET", f"{PROXY}/{path}/notes.txt", {}),
                                           ("GET", PROXY, {"params": {"path": path}}),
                                           ("PUT", f"{PROXY}/{path}/planted.txt", {"data": b"planted"}),
                                           ("DELETE", f"{PROXY}/{path}/notes.txt", {})):
                reply = proxied.api(method, url, user, workspace=workspace, **arguments)
                assert reply.status_code in (400, 403, 404), (user, workspace, method, url, reply.text[:400])
                assert "No such file" not in reply.text  # MLflow's 500 naming the server's folders
                assert "proxied hello" not in reply.text
        for path in ("", f"workspaces/{TEAM}", f"workspaces/{TEAM}/{experiment}/../{experiment}"):
            reply = proxied.api("GET", PROXY, user, workspace=workspace, params={"path": path})
            assert reply.status_code in (400, 403), (user, path, reply.text[:200])
    landed = proxied.api("GET", f"{PROXY}/{relative}/notes.txt", neighbour, workspace="team-elsewhere")
    assert landed.status_code == 404 and "No such file" not in landed.text  # not MLflow's 500 with its folders
    read = proxied.api("GET", f"{PROXY}/{folder}/notes.txt", editor, workspace=TEAM)
    assert read.status_code == 200 and read.text == "proxied hello"
    listed = proxied.api("GET", PROXY, editor, workspace=TEAM, params={"path": folder}).json()["files"]
    assert "planted.txt" not in {f["path"] for f in listed} and "notes.txt" in {f["path"] for f in listed}
    own = proxied.api("POST", f"{API}/experiments/create", denied, workspace=TEAM, json={"name": "p-own"}).json()
    run = proxied.api("POST", f"{API}/runs/create", denied, workspace=TEAM,
                      json={"experiment_id": own["experiment_id"]}).json()["run"]["info"]
    mine = run["artifact_uri"].split("mlflow-artifacts:", 1)[1].lstrip("/")
    assert proxied.api("PUT", f"{PROXY}/{mine}/mine.txt", denied, workspace=TEAM, data=b"mine").status_code == 200
    assert proxied.api("GET", f"{PROXY}/{mine}/mine.txt", denied, workspace=TEAM).text == "mine"
