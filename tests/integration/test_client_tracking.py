"""Tracking through the real mlflow client, as a data scientist uses it (issue 2, items 3, 4, 6, 8):
experiments, runs, logging, search with filters and pages, metric history, lifecycle, artifact
locations. Each test works in a fresh workspace of the shared server; the search tests share one
workspace, filled once per module."""

from __future__ import annotations

import uuid

import pytest
import requests
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException
from mlflow.utils.workspace_context import WorkspaceContext

pytestmark = pytest.mark.integration


@pytest.fixture
def workspace(ws_server, mlflow, new_workspace) -> str:
    """A fresh workspace, active in the client."""
    name = new_workspace(ws_server)
    mlflow.set_tracking_uri(ws_server.url)
    mlflow.set_workspace(name)
    return name


@pytest.fixture
def client(workspace) -> MlflowClient:
    """An MlflowClient on the shared server, in the test's workspace."""
    return MlflowClient()


SEARCH_RUNS = [
    # run name, lr, team, accuracy, loss; started one second apart, run-0 first
    ("run-0", "0.1", "red", 0.5, 1.0),
    ("run-1", "0.01", "blue", 0.6, 0.9),
    ("run-2", "0.1", "blue", 0.7, 0.8),
    ("run-3", "0.001", "red", 0.8, 0.7),
    ("run-4", "0.01", "green", 0.9, 0.6),
]


@pytest.fixture(scope="module")
def search_data(ws_server):
    """SEARCH_RUNS, finished, in a workspace of their own, made once for the module's search tests:
    (workspace, experiment_id, {run_name: run_id}). run-2 alone has the tag 'note', run-4 alone
    the param 'momentum'."""
    workspace = f"search-{uuid.uuid4().hex[:10]}"
    assert requests.post(f"{ws_server.url}/api/3.0/mlflow/workspaces", json={"name": workspace},
                         timeout=10).status_code == 201
    with pytest.MonkeyPatch.context() as patch, WorkspaceContext(workspace):
        patch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # share the tests' HTTP session
        client = MlflowClient(ws_server.url)
        experiment_id = client.create_experiment("search-runs")
        run_ids = {}
        for i, (name, lr, team, accuracy, loss) in enumerate(SEARCH_RUNS):
            run_id = client.create_run(experiment_id, start_time=1_700_000_000_000 + i * 1000,
                                       run_name=name).info.run_id
            client.log_batch(
                run_id,
                metrics=[Metric("accuracy", accuracy, 0, 0), Metric("loss", loss, 0, 0)],
                params=[Param("lr", lr)] + ([Param("momentum", "0.9")] if name == "run-4" else []),
                tags=[RunTag("team", team)] + ([RunTag("note", "check")] if name == "run-2" else []),
            )
            client.set_terminated(run_id)
            run_ids[name] = run_id
    return workspace, experiment_id, run_ids


@pytest.fixture
def search_experiment(ws_server, mlflow, search_data):
    """The search workspace, active in the client: (experiment_id, {run_name: run_id})."""
    workspace, experiment_id, run_ids = search_data
    mlflow.set_tracking_uri(ws_server.url)
    mlflow.set_workspace(workspace)
    return experiment_id, run_ids


def _names(runs) -> list[str]:
    return [run.info.run_name for run in runs]


# --- logging a run -----------------------------------------------------------------------------


def test_fluent_logging_is_visible_in_get_run(mlflow, client, unique):
    experiment = mlflow.set_experiment(unique("fluent"))
    with mlflow.start_run(run_name="first-try") as active:
        mlflow.log_param("learning_rate", 0.01)
        mlflow.log_params({"epochs": 10, "optimizer": "adam"})
        mlflow.log_metric("accuracy", 0.9, step=1)
        mlflow.log_metrics({"precision": 0.8, "recall": 0.7}, step=2)
        mlflow.set_tag("stage", "dev")
        mlflow.set_tags({"owner": "alice", "purpose": "demo"})
        run_id = active.info.run_id
        assert mlflow.get_run(run_id).info.status == "RUNNING"

    run = client.get_run(run_id)
    assert run.info.experiment_id == experiment.experiment_id
    assert run.info.run_name == "first-try"
    assert run.info.status == "FINISHED"
    assert run.info.end_time >= run.info.start_time > 0
    assert run.info.lifecycle_stage == "active"
    assert run.data.params == {"learning_rate": "0.01", "epochs": "10", "optimizer": "adam"}
    assert run.data.metrics == {"accuracy": 0.9, "precision": 0.8, "recall": 0.7}
    tags = run.data.tags
    assert (tags["stage"], tags["owner"], tags["purpose"]) == ("dev", "alice", "demo")
    assert tags["mlflow.runName"] == "first-try"  # the client's own system tags are kept
    assert "mlflow.user" in tags


def test_resumed_run_keeps_logging(mlflow, client, unique):
    mlflow.set_experiment(unique("resume"))
    with mlflow.start_run() as first:
        mlflow.log_metric("loss", 0.9, step=0)
    run_id = first.info.run_id
    with mlflow.start_run(run_id=run_id):
        assert client.get_run(run_id).info.status == "RUNNING"
        mlflow.log_metric("loss", 0.5, step=1)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert [(m.step, m.value) for m in client.get_metric_history(run_id, "loss")] == [(0, 0.9), (1, 0.5)]


def test_failed_run_is_marked_failed(mlflow, client, unique):
    mlflow.set_experiment(unique("failing"))
    with pytest.raises(ZeroDivisionError):
        with mlflow.start_run() as run:
            mlflow.log_metric("before", 1)
            1 / 0
    assert client.get_run(run.info.run_id).info.status == "FAILED"


def test_log_batch(mlflow, client, unique):
    experiment_id = mlflow.create_experiment(unique("batch"))
    run = client.create_run(experiment_id, run_name="batched")
    run_id = run.info.run_id

    client.log_batch(
        run_id,
        metrics=[Metric("loss", 0.5, 1000, 0), Metric("loss", 0.3, 2000, 1), Metric("acc", 0.9, 2000, 1)],
        params=[Param("depth", "6"), Param("model", "tree")],
        tags=[RunTag("note", "batch")],
    )
    client.set_terminated(run_id)

    got = client.get_run(run_id)
    assert got.data.params == {"depth": "6", "model": "tree"}
    assert got.data.metrics == {"loss": 0.3, "acc": 0.9}
    assert got.data.tags["note"] == "batch"
    assert got.info.status == "FINISHED"
    assert [(m.step, m.value) for m in client.get_metric_history(run_id, "loss")] == [(0, 0.5), (1, 0.3)]


def test_changing_a_logged_param_is_refused(mlflow, client, unique):
    mlflow.set_experiment(unique("params"))
    with mlflow.start_run() as run:
        mlflow.log_param("lr", "0.1")
        with pytest.raises(MlflowException) as caught:
            client.log_param(run.info.run_id, "lr", "0.2")
        assert caught.value.error_code == "INVALID_PARAMETER_VALUE"
    assert client.get_run(run.info.run_id).data.params == {"lr": "0.1"}


def test_metric_history_keeps_every_step(mlflow, client, unique):
    mlflow.set_experiment(unique("history"))
    with mlflow.start_run() as run:
        for step, value in enumerate([0.9, 0.7, 0.4, 0.45, 0.2]):
            mlflow.log_metric("loss", value, step=step)
        mlflow.log_metric("loss", 0.3, step=2)  # a second value at an earlier step
    run_id = run.info.run_id

    history = client.get_metric_history(run_id, "loss")

    assert sorted((m.step, m.value) for m in history) == [
        (0, 0.9), (1, 0.7), (2, 0.3), (2, 0.4), (3, 0.45), (4, 0.2)]
    assert all(m.key == "loss" and m.timestamp > 0 for m in history)
    # The run's summary holds the value at the largest step.
    assert client.get_run(run_id).data.metrics["loss"] == 0.2
    assert client.get_metric_history(run_id, "never-logged") == []


# --- searching runs ----------------------------------------------------------------------------


@pytest.mark.parametrize("filter_string, expected", [
    ("metrics.accuracy > 0.7", ["run-3", "run-4"]),
    ("metrics.loss <= 0.8", ["run-2", "run-3", "run-4"]),
    ("params.lr = '0.1'", ["run-0", "run-2"]),
    ("params.lr != '0.1' and metrics.accuracy < 0.85", ["run-1", "run-3"]),
    ("tags.team = 'blue'", ["run-1", "run-2"]),
    ("tags.team LIKE 'gr%'", ["run-4"]),
    ("attributes.run_name = 'run-3'", ["run-3"]),
    ("attributes.status = 'FINISHED'", ["run-0", "run-1", "run-2", "run-3", "run-4"]),
    ("params.lr LIKE '0.0%'", ["run-1", "run-3", "run-4"]),
    ("tags.team != 'red'", ["run-1", "run-2", "run-4"]),
    ("attributes.start_time >= 1700000002000", ["run-2", "run-3", "run-4"]),
    ("", ["run-0", "run-1", "run-2", "run-3", "run-4"]),
    # MLflow 3.11.1 accepts IS NULL / IS NOT NULL on params and tags (SearchUtils, SqlAlchemyStore).
    ("tags.note IS NOT NULL", ["run-2"]),
    ("params.momentum IS NULL", ["run-0", "run-1", "run-2", "run-3"]),
], ids=["metric-gt", "metric-le", "param-eq", "param-and-metric", "tag-eq", "tag-like",
        "run-name", "status", "param-like", "tag-ne", "start-time", "no-filter",
        "tag-is-not-null", "param-is-null"])
def test_search_runs_filters(search_experiment, filter_string, expected):
    experiment_id, _ = search_experiment
    client = MlflowClient()
    found = client.search_runs([experiment_id], filter_string=filter_string)
    assert sorted(_names(found)) == expected


def test_search_runs_order_by(search_experiment):
    experiment_id, _ = search_experiment
    client = MlflowClient()
    newest_first = client.search_runs([experiment_id])
    assert _names(newest_first) == ["run-4", "run-3", "run-2", "run-1", "run-0"]
    by_accuracy = client.search_runs([experiment_id], order_by=["metrics.accuracy DESC"])
    assert _names(by_accuracy) == ["run-4", "run-3", "run-2", "run-1", "run-0"]
    by_param = client.search_runs([experiment_id], order_by=["params.lr ASC", "metrics.loss ASC"])
    assert _names(by_param) == ["run-3", "run-4", "run-1", "run-2", "run-0"]
    by_name = client.search_runs([experiment_id], order_by=["attributes.run_name DESC"])
    assert _names(by_name) == ["run-4", "run-3", "run-2", "run-1", "run-0"]


@pytest.mark.parametrize("order_by, expected", [
    (["params.lr ASC"], ["run-3", "run-4", "run-1", "run-2", "run-0"]),
    (["tags.team ASC"], ["run-2", "run-1", "run-4", "run-3", "run-0"]),
    (["attributes.status DESC"], ["run-4", "run-3", "run-2", "run-1", "run-0"]),
], ids=["param", "tag", "status"])
def test_search_runs_order_by_ties_newest_first(search_experiment, order_by, expected):
    # MLflow breaks ties of every order_by by start_time DESC, then run id (SqlAlchemyStore
    # _get_orderby_clauses), so equal values list the newest run first.
    experiment_id, _ = search_experiment
    assert _names(MlflowClient().search_runs([experiment_id], order_by=order_by)) == expected


def test_search_runs_pages(search_experiment):
    experiment_id, _ = search_experiment
    client = MlflowClient()
    pages, token = [], None
    while True:
        page = client.search_runs([experiment_id], max_results=2, order_by=["metrics.accuracy ASC"],
                                  page_token=token)
        pages.append(_names(page))
        token = page.token
        if not token:
            break
        assert len(pages) < 10, "the page token never runs out"
    assert pages == [["run-0", "run-1"], ["run-2", "run-3"], ["run-4"]]


def test_fluent_search_runs_as_dataframe_and_list(mlflow, search_experiment):
    experiment_id, run_ids = search_experiment
    frame = mlflow.search_runs([experiment_id], filter_string="tags.team = 'red'",
                               order_by=["metrics.accuracy ASC"])
    assert list(frame["run_id"]) == [run_ids["run-0"], run_ids["run-3"]]
    assert list(frame["params.lr"]) == ["0.1", "0.001"]
    assert list(frame["metrics.accuracy"]) == pytest.approx([0.5, 0.8])
    listed = mlflow.search_runs([experiment_id], max_results=3, output_format="list")
    assert len(listed) == 3


def test_search_runs_by_experiment_name(mlflow, search_experiment):
    frame = mlflow.search_runs(experiment_names=["search-runs"], filter_string="params.lr = '0.01'")
    assert sorted(frame["tags.mlflow.runName"]) == ["run-1", "run-4"]


def test_search_runs_with_a_bad_filter_is_refused(search_experiment):
    experiment_id, _ = search_experiment
    client = MlflowClient()
    with pytest.raises(MlflowException) as caught:
        client.search_runs([experiment_id], filter_string="metrics.accuracy >>> 1")
    assert caught.value.error_code == "INVALID_PARAMETER_VALUE"


# --- searching experiments -------------------------------------------------------------------


def test_search_experiments_by_name_and_tags(mlflow, client):
    for name, tags in [("vision-resnet", {"domain": "vision"}), ("vision-vit", {"domain": "vision"}),
                       ("nlp-bert", {"domain": "text", "size": "large"})]:
        client.create_experiment(name, tags=tags)

    def names(**kwargs):
        return sorted(e.name for e in mlflow.search_experiments(**kwargs))

    assert names(filter_string="name LIKE 'vision-%'") == ["vision-resnet", "vision-vit"]
    assert names(filter_string="name = 'nlp-bert'") == ["nlp-bert"]
    assert names(filter_string="tags.domain = 'vision'") == ["vision-resnet", "vision-vit"]
    assert names(filter_string="tags.size = 'large'") == ["nlp-bert"]
    assert names(filter_string="tags.domain = 'text' AND name LIKE '%bert'") == ["nlp-bert"]
    # The workspace holds only these three: no 'Default' experiment outside 'default'.
    assert names() == ["nlp-bert", "vision-resnet", "vision-vit"]
    ordered = mlflow.search_experiments(order_by=["name DESC"])
    assert [e.name for e in ordered] == ["vision-vit", "vision-resnet", "nlp-bert"]
    assert client.get_experiment_by_name("nlp-bert").tags == {"domain": "text", "size": "large"}


def test_search_experiments_pages(client):
    created = [client.create_experiment(f"paged-{i}") for i in range(5)]
    pages, token = [], None
    while True:
        page = client.search_experiments(max_results=2, order_by=["name ASC"], page_token=token)
        pages.append([e.name for e in page])
        token = page.token
        if not token:
            break
        assert len(pages) < 10, "the page token never runs out"
    assert pages == [["paged-0", "paged-1"], ["paged-2", "paged-3"], ["paged-4"]]
    assert len(set(created)) == 5


# --- lifecycle ---------------------------------------------------------------------------------


def test_delete_and_restore_run(mlflow, client, unique):
    experiment_id = mlflow.create_experiment(unique("runs-lifecycle"))
    with mlflow.start_run(experiment_id=experiment_id) as kept:
        pass
    with mlflow.start_run(experiment_id=experiment_id) as removed:
        pass
    run_id = removed.info.run_id

    client.delete_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    active = client.search_runs([experiment_id])
    assert [r.info.run_id for r in active] == [kept.info.run_id]
    deleted = client.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)
    assert [r.info.run_id for r in deleted] == [run_id]
    assert len(client.search_runs([experiment_id], run_view_type=ViewType.ALL)) == 2

    client.restore_run(run_id)
    assert client.get_run(run_id).info.lifecycle_stage == "active"
    assert len(client.search_runs([experiment_id])) == 2


def test_delete_and_restore_experiment(mlflow, client, unique):
    name = unique("exp-lifecycle")
    experiment_id = mlflow.create_experiment(name)
    with mlflow.start_run(experiment_id=experiment_id) as run:
        mlflow.log_metric("m", 1)
    run_id = run.info.run_id

    client.delete_experiment(experiment_id)
    assert client.get_experiment(experiment_id).lifecycle_stage == "deleted"
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"  # its runs go with it
    assert name not in {e.name for e in mlflow.search_experiments()}
    assert name in {e.name for e in mlflow.search_experiments(view_type=ViewType.DELETED_ONLY)}
    assert name in {e.name for e in mlflow.search_experiments(view_type=ViewType.ALL)}
    with pytest.raises(MlflowException, match="deleted experiment"):  # checked by the client
        mlflow.set_experiment(name)
    with pytest.raises(MlflowException) as caught:  # the name stays taken while deleted
        mlflow.create_experiment(name)
    assert caught.value.error_code == "RESOURCE_ALREADY_EXISTS"
    with pytest.raises(MlflowException):  # no new runs in a deleted experiment
        client.create_run(experiment_id)

    client.restore_experiment(experiment_id)
    assert client.get_experiment(experiment_id).lifecycle_stage == "active"
    assert client.get_run(run_id).info.lifecycle_stage == "active"
    assert name in {e.name for e in mlflow.search_experiments()}
    assert client.get_run(run_id).data.metrics == {"m": 1.0}
    assert mlflow.set_experiment(name).experiment_id == experiment_id


def test_rename_experiment(mlflow, client, unique):
    old, new = unique("old-name"), unique("new-name")
    experiment_id = mlflow.create_experiment(old)

    client.rename_experiment(experiment_id, new)

    assert client.get_experiment(experiment_id).name == new
    assert client.get_experiment_by_name(new).experiment_id == experiment_id
    assert client.get_experiment_by_name(old) is None
    other = mlflow.create_experiment(old)  # the old name is free again
    with pytest.raises(MlflowException) as caught:
        client.rename_experiment(other, new)
    assert caught.value.error_code == "RESOURCE_ALREADY_EXISTS"


def test_set_experiment_twice_reuses_the_experiment(mlflow, workspace, unique):
    name = unique("reused")
    first = mlflow.set_experiment(name)
    second = mlflow.set_experiment(name)
    assert first.experiment_id == second.experiment_id
    assert [e.name for e in mlflow.search_experiments(filter_string=f"name = '{name}'")] == [name]


# --- artifact locations ------------------------------------------------------------------------


def test_artifact_location_under_the_server_root(ws_server, mlflow, client, workspace):
    experiment_id = mlflow.create_experiment("located")
    expected = f"{ws_server.artifact_root}/workspaces/{workspace}/{experiment_id}"
    assert client.get_experiment(experiment_id).artifact_location == expected
    with mlflow.start_run(experiment_id=experiment_id) as run:
        pass
    assert client.get_run(run.info.run_id).info.artifact_uri == f"{expected}/{run.info.run_id}/artifacts"


def test_artifact_location_under_the_workspace_root(ws_server, mlflow, client, unique, tmp_path):
    local_root = str(tmp_path / "team-root")
    for root in ("s3://team-bucket/experiments", local_root):
        name = unique("rooted")
        mlflow.create_workspace(name, default_artifact_root=root)
        mlflow.set_workspace(name)
        experiment_id = mlflow.create_experiment("located")
        assert client.get_experiment(experiment_id).artifact_location == f"{root}/{experiment_id}"


def test_default_experiment_location_in_the_default_workspace(ws_server, mlflow):
    mlflow.set_tracking_uri(ws_server.url)
    mlflow.set_workspace("default")
    default = mlflow.get_experiment("0")
    assert default.name == "Default"
    assert default.artifact_location == f"{ws_server.artifact_root}/workspaces/default/0"


def test_artifact_location_on_create_is_refused_with_workspaces(mlflow, client, unique):
    name = unique("custom-location")
    with pytest.raises(MlflowException, match="artifact_location") as caught:
        mlflow.create_experiment(name, artifact_location="s3://elsewhere/mine")
    assert caught.value.error_code == "INVALID_PARAMETER_VALUE"
    assert client.get_experiment_by_name(name) is None


def test_artifact_locations_without_workspaces(plain_server, mlflow, unique):
    mlflow.set_tracking_uri(plain_server.url)
    client = MlflowClient()
    experiment_id = mlflow.create_experiment(unique("plain"))
    assert client.get_experiment(experiment_id).artifact_location == (
        f"{plain_server.artifact_root}/{experiment_id}")
    assert client.get_experiment("0").artifact_location == f"{plain_server.artifact_root}/0"
    # Without workspaces an experiment may choose its own location.
    chosen = mlflow.create_experiment(unique("chosen"), artifact_location="s3://elsewhere/mine")
    assert client.get_experiment(chosen).artifact_location == "s3://elsewhere/mine"
