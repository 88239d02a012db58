"""The registry, prompts and the artifact proxy with the real mlflow client, in a non-default
workspace, invisible from another one (issue 3's "done when")."""

import os
import uuid

import pytest
import requests
from mlflow.exceptions import MlflowException

from tests.conftest import DATABASE_KINDS, ServerProcess, database_of_kind

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def server(request, tmp_path_factory):
    """A proxying server with workspaces (the defaults: mlflow-artifacts:/ and ./mlartifacts)."""
    folder = tmp_path_factory.mktemp(f"registry-{request.param}")
    with database_of_kind(request.param, folder) as uri:
        process = ServerProcess(["--backend-store-uri", uri, "--workers", "1", "--enable-workspaces"], folder)
        process.folder = folder
        yield process
        process.stop()


@pytest.fixture
def team(server, mlflow_client_env):
    """A fresh workspace, active in the client; returns (mlflow, workspace name)."""
    mlflow = mlflow_client_env
    mlflow.set_tracking_uri(server.url)
    name = f"team-{uuid.uuid4().hex[:8]}"
    mlflow.create_workspace(name=name)
    mlflow.set_workspace(name)
    return mlflow, name


def _log_model_run(mlflow, tmp_path):
    mlflow.set_experiment(f"exp-{uuid.uuid4().hex[:6]}")
    with mlflow.start_run() as run:
        mlflow.log_text("artifact_path: model\nflavors: {}\n", "model/MLmodel")
        mlflow.log_text("weights", "model/weights.bin")
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "a.csv").write_text("x,y\n1,2\n")
        mlflow.log_artifact(str(tmp_path / "data" / "a.csv"), "data")
        mlflow.log_artifacts(str(tmp_path / "data"), "copy")
    return run.info.run_id


def test_artifacts_round_trip_through_the_proxy_into_the_workspace_folder(team, server, tmp_path):
    mlflow, workspace = team
    run_id = _log_model_run(mlflow, tmp_path)
    client = mlflow.MlflowClient()
    assert sorted(f.path for f in client.list_artifacts(run_id)) == ["copy", "data", "model"]
    assert sorted(f.path for f in client.list_artifacts(run_id, "model")) == ["model/MLmodel", "model/weights.bin"]
    local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="copy", dst_path=str(tmp_path / "dl"))
    assert open(os.path.join(local, "a.csv")).read() == "x,y\n1,2\n"
    experiment_id = client.get_run(run_id).info.experiment_id
    on_disk = server.folder / "mlartifacts" / "workspaces" / workspace / experiment_id / run_id / "artifacts"
    assert (on_disk / "model" / "weights.bin").read_text() == "weights"


def test_register_a_model_from_a_run_and_use_aliases(team, tmp_path):
    mlflow, _ = team
    run_id = _log_model_run(mlflow, tmp_path)
    client = mlflow.MlflowClient()
    client.create_registered_model("classifier", tags={"team": "a"}, description="first")
    version = mlflow.register_model(f"runs:/{run_id}/model", "classifier")
    assert version.version == "1" and version.run_id == run_id
    assert client.get_model_version_download_uri("classifier", "1").endswith(f"/{run_id}/artifacts/model")
    second = client.create_model_version("classifier", f"runs:/{run_id}/model", run_id=run_id)
    assert second.version == "2"
    client.set_registered_model_alias("classifier", "champion", "1")
    assert client.get_model_version_by_alias("classifier", "champion").version == "1"
    model = client.get_registered_model("classifier")
    assert model.description == "first" and model.tags == {"team": "a"} and model.aliases == {"champion": "1"}
    local = mlflow.artifacts.download_artifacts("models:/classifier@champion", dst_path=str(tmp_path / "m"))
    assert open(os.path.join(local, "weights.bin")).read() == "weights"

    client.rename_registered_model("classifier", "classifier-v2")
    assert client.get_model_version_by_alias("classifier-v2", "champion").version == "1"
    assert [m.name for m in client.search_registered_models()] == ["classifier-v2"]
    client.delete_registered_model("classifier-v2")
    assert client.search_registered_models() == []


def test_prompts_register_load_alias_and_search(team):
    mlflow, _ = team
    mlflow.genai.register_prompt(name="greeting", template="Hello {{name}}")
    mlflow.genai.register_prompt(name="greeting", template="Hi {{name}}!")
    mlflow.genai.set_prompt_alias("greeting", alias="production", version=1)
    assert mlflow.genai.load_prompt("prompts:/greeting@production").template == "Hello {{name}}"
    assert mlflow.genai.load_prompt("prompts:/greeting/2").format(name="Ada") == "Hi Ada!"
    mlflow.MlflowClient().create_registered_model("plain-model")
    assert [p.name for p in mlflow.genai.search_prompts()] == ["greeting"]
    assert [m.name for m in mlflow.MlflowClient().search_registered_models()] == ["plain-model"]


def test_nothing_is_visible_from_another_workspace(team, server, tmp_path):
    mlflow, workspace = team
    run_id = _log_model_run(mlflow, tmp_path)
    client = mlflow.MlflowClient()
    client.create_registered_model("secret-model")
    client.create_model_version("secret-model", f"runs:/{run_id}/model", run_id=run_id)
    mlflow.genai.register_prompt(name="secret-prompt", template="t")

    other = f"other-{uuid.uuid4().hex[:8]}"
    mlflow.create_workspace(name=other)
    mlflow.set_workspace(other)
    assert client.search_registered_models() == [] and mlflow.genai.search_prompts() == []
    assert client.search_model_versions() == []
    for call in (lambda: client.get_registered_model("secret-model"),
                 lambda: client.get_model_version("secret-model", "1"),
                 lambda: mlflow.genai.load_prompt("prompts:/secret-prompt/1"),
                 lambda: client.list_artifacts(run_id)):
        with pytest.raises(MlflowException):
            call()
    # the same name is free in the other workspace
    assert client.create_registered_model("secret-model").name == "secret-model"
    # and the proxy refuses the first workspace's files to the second
    experiment_id = requests.get(f"{server.url}/api/2.0/mlflow/runs/get", params={"run_id": run_id},
                                 headers={"X-MLFLOW-WORKSPACE": workspace}).json()["run"]["info"]["experiment_id"]
    path = f"workspaces/{workspace}/{experiment_id}/{run_id}/artifacts/model/weights.bin"
    stolen = requests.get(f"{server.url}/api/2.0/mlflow-artifacts/artifacts/{path}",
                          headers={"X-MLFLOW-WORKSPACE": other})
    assert stolen.status_code == 400 and stolen.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_workspace_with_models_or_prompts_cannot_be_deleted(team):
    mlflow, workspace = team
    mlflow.MlflowClient().create_registered_model("keeper")
    mlflow.genai.register_prompt(name="kept-prompt", template="t")
    mlflow.set_workspace(None)
    with pytest.raises(MlflowException, match="1 registered model.*1 prompt"):
        mlflow.delete_workspace(workspace)


def test_direct_artifact_access_without_the_proxy(tmp_path, mlflow_client_env):
    mlflow = mlflow_client_env
    root = tmp_path / "direct-root"
    server = ServerProcess(["--backend-store-uri", f"sqlite:///{tmp_path / 'd.db'}", "--workers", "1",
                            "--enable-workspaces", "--no-serve-artifacts", "--default-artifact-root", str(root)],
                           tmp_path)
    try:
        mlflow.set_tracking_uri(server.url)
        mlflow.create_workspace(name="direct")
        mlflow.set_workspace("direct")
        experiment_id = mlflow.create_experiment("e")
        with mlflow.start_run(experiment_id=experiment_id) as run:
            mlflow.log_text("direct write", "notes.txt")
        written = root / "workspaces" / "direct" / experiment_id / run.info.run_id / "artifacts" / "notes.txt"
        assert written.read_text() == "direct write"
        proxy = requests.get(f"{server.url}/api/2.0/mlflow-artifacts/artifacts/workspaces/direct/x",
                             headers={"X-MLFLOW-WORKSPACE": "direct"})
        assert proxy.status_code == 404 and "--no-serve-artifacts" in proxy.json()["message"]
    finally:
        server.stop()
