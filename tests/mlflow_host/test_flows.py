"""The everyday flows of issue 12 on `mlflow server --app-name wsauth`, with the real mlflow
client, as a user with EDIT on a workspace: runs and their artifacts, logged models and
`load_model`, autolog, datasets, the registry with aliases, traces and feedback, prompts,
evaluation, async logging, nested runs. Then everything those flows made is tried by users who
may not see it: one without any grant, one who edits another workspace, one who only reads the
workspace and is denied one experiment. Real server processes on 127.0.0.1, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.mlflow_host.conftest import PASSWORD
from tests.mlflow_host.test_plugin import API, WS, grant_workspace, new_user

V3 = "/api/3.0/mlflow"
TEAM, OTHER = "team-flows", "team-other"


class Made:
    """What the editor's flows made, by id."""


@pytest.fixture(scope="module")
def made(mlflow_server, tmp_path_factory):
    """Run every flow once as the editor of team-flows, and keep what they made."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mlflow
    from mlflow.utils.workspace_context import set_workspace
    from sklearn.linear_model import LogisticRegression

    for name in (TEAM, OTHER):
        assert mlflow_server.api("POST", WS, json={"name": name}).status_code == 201
    editor = new_user(mlflow_server, "f-editor")
    grant_workspace(mlflow_server, TEAM, editor, "EDIT")
    out, rng = Made(), np.random.default_rng(0)
    features = rng.random((40, 3))
    labels = (features[:, 0] > 0.5).astype(int)
    folder = tmp_path_factory.mktemp("flows")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (("MLFLOW_TRACKING_USERNAME", editor), ("MLFLOW_TRACKING_PASSWORD", PASSWORD),
                            ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0"), ("MLFLOW_WORKSPACE", TEAM)):
            patch.setenv(name, value)
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        mlflow.set_tracking_uri(mlflow_server.url)
        set_workspace(TEAM)
        try:
            out.experiment = mlflow.set_experiment("flows").experiment_id
            with mlflow.start_run() as run:  # params, metrics, tags, dicts, figures, tables, folders
                mlflow.log_param("alpha", 0.5)
                mlflow.log_metric("loss", 0.25, step=1)
                mlflow.set_tag("team", TEAM)
                mlflow.log_dict({"k": "v"}, "config.json")
                mlflow.log_table({"x": [1, 2]}, "table.json")
                figure = plt.figure()
                plt.plot([1, 2])
                mlflow.log_figure(figure, "figure.png")
                (folder / "notes").mkdir()
                (folder / "notes" / "a.txt").write_text("hello")
                mlflow.log_artifacts(str(folder / "notes"), "notes")
                for step in range(5):
                    mlflow.log_metric("async", step, step=step, synchronous=False)
                with mlflow.start_run(nested=True) as child:
                    pass
            mlflow.flush_async_logging()
            out.run, out.child = run.info.run_id, child.info.run_id
            with mlflow.start_run() as run:  # a logged model, registered, with an alias
                info = mlflow.sklearn.log_model(LogisticRegression().fit(features, labels), name="model",
                                                registered_model_name="flows-model")
                dataset = mlflow.data.from_pandas(pd.DataFrame(features, columns=list("abc")), name="flows-data")
                mlflow.log_input(dataset, context="training")
            out.model_run, out.logged_model, out.model_uri = run.info.run_id, info.model_id, info.model_uri
            client = mlflow.MlflowClient()
            client.set_registered_model_alias("flows-model", "champion", 1)
            out.predicted = mlflow.pyfunc.load_model("models:/flows-model@champion").predict(features)
            out.loaded = mlflow.pyfunc.load_model(info.model_uri).predict(features)
            mlflow.sklearn.autolog()
            with mlflow.start_run() as run:
                LogisticRegression().fit(features, labels)
            mlflow.sklearn.autolog(disable=True)
            out.autolog_run = run.info.run_id
            out.autolog = client.get_run(run.info.run_id)

            @mlflow.trace
            def add_one(x):
                return x + 1

            add_one(1)
            out.trace = mlflow.get_last_active_trace_id()
            out.feedback = mlflow.log_feedback(trace_id=out.trace, name="good", value=True).assessment_id
            out.fetched_trace = mlflow.get_trace(out.trace)
            out.traces = mlflow.search_traces(locations=[out.experiment], return_type="list")
            mlflow.genai.register_prompt(name="flows-prompt", template="Hello {{name}}")
            out.prompt = mlflow.genai.load_prompt("prompts:/flows-prompt/1").format(name="you")
            with mlflow.start_run() as run:
                data = pd.DataFrame(features, columns=list("abc"))
                data["label"] = labels
                evaluated = mlflow.sklearn.log_model(LogisticRegression().fit(features, labels), name="evaluated")
                out.evaluation = mlflow.models.evaluate(evaluated.model_uri, data, targets="label",
                                                        model_type="classifier", evaluators=["default"])
            out.found_runs = mlflow.search_runs([out.experiment], output_format="list")
            client.delete_run(out.child)
            client.restore_run(out.child)
        finally:
            if mlflow.active_run():
                mlflow.end_run()
            set_workspace(None)
            mlflow.set_tracking_uri(None)
    out.editor = editor
    return out


def test_the_everyday_flows_work_as_a_workspace_editor(made):
    assert made.autolog.data.metrics and made.autolog.data.params  # autolog kept what it logged
    assert list(made.predicted) == list(made.loaded)
    assert made.fetched_trace is not None and made.fetched_trace.info.trace_id == made.trace
    assert [t.info.trace_id for t in made.traces] == [made.trace]
    assert made.prompt == "Hello you"
    assert "accuracy_score" in made.evaluation.metrics
    assert {made.run, made.child, made.model_run, made.autolog_run} <= {r.info.run_id for r in made.found_runs}


def test_the_editors_work_reads_back_through_rest(mlflow_server, made):
    def get(path, **params):
        reply = mlflow_server.api("GET", path, made.editor, params=params, workspace=TEAM)
        assert reply.status_code == 200, (path, reply.text)
        return reply.json()

    run = get(f"{API}/runs/get", run_id=made.model_run)["run"]
    assert run["inputs"]["dataset_inputs"][0]["dataset"]["name"] == "flows-data"
    assert get(f"{API}/logged-models/{made.logged_model}")["model"]["info"]["experiment_id"] == made.experiment
    assert {f["path"] for f in get(f"{API}/artifacts/list", run_id=made.run)["files"]} >= {"config.json", "notes"}
    assert mlflow_server.api("GET", "/get-artifact", made.editor, params={"run_id": made.run, "path": "config.json"},
                             workspace=TEAM).json() == {"k": "v"}
    assert get(f"{V3}/traces/{made.trace}/assessments/{made.feedback}")["assessment"]["assessment_name"] == "good"


@pytest.fixture(scope="module")
def outsiders(mlflow_server, made):
    """A user without grants; an editor of another workspace; a reader of the workspace whom
    the flows' experiment is denied."""
    stranger, neighbour, denied = (new_user(mlflow_server, name) for name in ("f-stranger", "f-neighbour", "f-denied"))
    grant_workspace(mlflow_server, OTHER, neighbour, "EDIT")
    grant_workspace(mlflow_server, TEAM, denied, "EDIT")
    reply = mlflow_server.api("POST", f"{API}/experiments/permissions/create", workspace=TEAM,
                              json={"experiment_id": made.experiment, "username": denied,
                                    "permission": "NO_PERMISSIONS"})
    assert reply.status_code == 200, reply.text
    return {"stranger": (stranger, TEAM), "neighbour in its workspace": (neighbour, OTHER),
            "neighbour naming the workspace": (neighbour, TEAM), "denied": (denied, TEAM)}


# In the lists below, what follows REGISTRY is the workspace's registry, not the experiment's:
# the user denied the experiment but editing the workspace may reach it.
REGISTRY = ("registry",)
# What the flows wrote, which no outsider's answer may hold.
SECRETS = ('"alpha"', "flows-data", '"k": "v"', '"good"', "Hello {{name}}", "champion", "a.txt")


def for_user(entries, who: str):
    """The entries a user must be refused: all but the registry's for the denied user."""
    registry = False
    for entry in entries:
        registry = registry or entry is REGISTRY
        if entry is not REGISTRY and not (registry and who == "denied"):
            yield entry


def reads(made):
    """Every read of what the flows made: (method, path, query or body)."""
    model = {"name": "flows-model"}
    return [
        ("GET", f"{API}/runs/get", {"run_id": made.run}),
        ("GET", f"{API}/metrics/get-history", {"run_id": made.run, "metric_key": "loss"}),
        ("GET", f"{API}/artifacts/list", {"run_id": made.run}),
        ("GET", "/get-artifact", {"run_id": made.run, "path": "config.json"}),
        ("GET", "/ajax-api/2.0/mlflow/runs/get", {"run_id": made.run}),
        ("GET", f"{API}/logged-models/{made.logged_model}", {}),
        ("GET", f"{API}/logged-models/{made.logged_model}/artifacts/directories", {}),
        ("GET", f"/ajax-api/2.0/mlflow/logged-models/{made.logged_model}/artifacts/files",
         {"artifact_file_path": "MLmodel"}),
        ("GET", f"{V3}/traces/{made.trace}", {}),
        ("GET", f"{V3}/traces/get", {"trace_id": made.trace}),
        ("GET", f"{API}/traces/{made.trace}/info", {}),
        ("GET", "/ajax-api/3.0/mlflow/get-trace-artifact", {"request_id": made.trace}),
        ("GET", f"{V3}/traces/{made.trace}/assessments/{made.feedback}", {}),
        REGISTRY,
        ("GET", f"{API}/registered-models/get", model),
        ("GET", f"{API}/registered-models/alias", {**model, "alias": "champion"}),
        ("GET", f"{API}/model-versions/get", {**model, "version": "1"}),
        ("GET", f"{API}/model-versions/get-download-uri", {**model, "version": "1"}),
        ("GET", f"{API}/registered-models/get", {"name": "flows-prompt"}),
        ("POST", "/graphql", {"query": "query { mlflowGetRun(input: {runId: \"%s\"}) { run { info { runId } } } }"
                                       % made.run}),
    ]


def searches(made):
    """Every search that could list what the flows made: (path, body, what must not appear)."""
    return [
        (f"{API}/experiments/search", {"max_results": 100}, made.experiment),
        (f"{API}/runs/search", {"experiment_ids": [made.experiment]}, made.run),
        (f"{API}/logged-models/search", {"experiment_ids": [made.experiment]}, made.logged_model),
        (f"{V3}/traces/search", {"locations": [{"type": "MLFLOW_EXPERIMENT",
                                                "mlflow_experiment": {"experiment_id": made.experiment}}]}, made.trace),
        REGISTRY,
        (f"{API}/registered-models/search", {"max_results": "100"}, "flows-model"),
        (f"{API}/model-versions/search", {"max_results": "100"}, "flows-model"),
        (f"{API}/registered-models/search", {"filter": "tags.`mlflow.prompt.is_prompt` = 'true'"}, "flows-prompt"),
    ]


def writes(made):
    """Every change of what the flows made: (method, path, body)."""
    trace, model = made.trace, made.logged_model
    return [
        ("POST", f"{API}/runs/log-metric", {"run_id": made.run, "key": "x", "value": 1, "timestamp": 1, "step": 0}),
        ("POST", f"{API}/runs/log-inputs", {"run_id": made.run, "datasets": []}),
        ("POST", f"{API}/runs/outputs", {"run_id": made.run, "models": [{"model_id": model, "step": 0}]}),
        ("POST", f"{API}/runs/delete", {"run_id": made.child}),
        ("POST", f"{API}/logged-models", {"experiment_id": made.experiment, "name": "smuggled"}),
        ("PATCH", f"{API}/logged-models/{model}/tags", {"tags": [{"key": "k", "value": "v"}]}),
        ("PATCH", f"{API}/logged-models/{model}", {"status": "LOGGED_MODEL_UPLOAD_FAILED"}),
        ("POST", f"{API}/logged-models/{model}/params", {"params": [{"key": "k", "value": "v"}]}),
        ("DELETE", f"{API}/logged-models/{model}", {}),
        ("POST", f"{V3}/traces", new_trace(made.experiment)),
        ("PATCH", f"{V3}/traces/{trace}/tags", {"key": "k", "value": "v"}),
        ("POST", f"{V3}/traces/{trace}/assessments", feedback(trace)),
        ("DELETE", f"{V3}/traces/{trace}/assessments/{made.feedback}", {}),
        ("POST", f"{V3}/traces/delete-traces", {"experiment_id": made.experiment, "request_ids": [trace]}),
        REGISTRY,
        ("POST", f"{API}/registered-models/alias", {"name": "flows-model", "alias": "mine", "version": "1"}),
        ("POST", f"{API}/model-versions/create", {"name": "flows-model", "source": made.model_uri,
                                                   "model_id": model}),
    ]


def new_trace(experiment: str) -> dict:
    return {"trace": {"trace_info": {"trace_id": f"tr-{uuid.uuid4().hex}", "request_time": "2026-01-01T00:00:00Z",
                                     "state": "OK", "trace_location": {"type": "MLFLOW_EXPERIMENT",
                                                                       "mlflow_experiment": {"experiment_id": experiment}}}}}


def feedback(trace: str) -> dict:
    return {"assessment": {"trace_id": trace, "assessment_name": "bad", "source": {"source_type": "HUMAN",
                                                                                    "source_id": "x"},
                           "feedback": {"value": False}}}


@pytest.mark.parametrize("who", ["stranger", "neighbour in its workspace", "neighbour naming the workspace", "denied"])
def test_outsiders_read_none_of_it(mlflow_server, made, outsiders, who):
    user, workspace = outsiders[who]
    for method, path, fields in for_user(reads(made), who):
        arguments = {"params": fields} if method == "GET" else {"json": fields}
        reply = mlflow_server.api(method, path, user, workspace=workspace, **arguments)
        if path == "/graphql" and reply.status_code == 200:  # GraphQL answers MLflow's own errors with 200
            assert reply.json()["data"]["mlflowGetRun"] is None, (who, reply.text[:300])
        else:
            assert reply.status_code in (403, 404), (who, path, reply.status_code, reply.text[:300])
        assert not [secret for secret in SECRETS if secret in reply.text], (who, path, reply.text[:300])
    for path, body, hidden in for_user(searches(made), who):
        if "registered-models" in path or "model-versions" in path:  # the registry's searches are GETs
            reply = mlflow_server.api("GET", path, user, workspace=workspace, params=body)
        else:
            reply = mlflow_server.api("POST", path, user, workspace=workspace, json=body)
        assert reply.status_code in (200, 403, 404), (who, path, reply.text[:300])
        assert hidden not in reply.text, (who, path)


@pytest.mark.parametrize("who", ["stranger", "neighbour in its workspace", "neighbour naming the workspace", "denied"])
def test_outsiders_change_none_of_it(mlflow_server, made, outsiders, who):
    user, workspace = outsiders[who]
    for method, path, body in for_user(writes(made), who):
        reply = mlflow_server.api(method, path, user, workspace=workspace, json=body)
        assert reply.status_code in (400, 403, 404), (who, path, reply.status_code, reply.text[:300])
    run = mlflow_server.api("GET", f"{API}/runs/get", made.editor, params={"run_id": made.run}, workspace=TEAM)
    assert all(metric["key"] != "x" for metric in run.json()["run"]["data"].get("metrics", []))
    assert mlflow_server.api("GET", f"{API}/logged-models/{made.logged_model}", made.editor,
                             workspace=TEAM).status_code == 200
    trace = mlflow_server.api("GET", f"{V3}/traces/{made.trace}", made.editor, workspace=TEAM)
    assert trace.status_code == 200 and "k" not in trace.json()["trace"]["trace_info"].get("tags", {})


def test_a_version_cannot_be_made_from_what_the_user_may_not_read(mlflow_server, made, outsiders):
    """The neighbour owns a model in its own workspace; its versions may not come from the
    flows' run or logged model, nor from files the layer cannot place."""
    user, _ = outsiders["neighbour in its workspace"]
    assert mlflow_server.api("POST", f"{API}/registered-models/create", user, workspace=OTHER,
                             json={"name": "neighbours-model"}).status_code == 200
    for body in ({"source": f"runs:/{made.model_run}/model"},
                 {"source": f"runs:/{made.model_run}/model", "run_id": made.model_run},
                 {"source": made.model_uri, "model_id": made.logged_model},
                 {"source": "s3://bucket/elsewhere"},
                 {"source": "mlflow-artifacts:/1/models"}):
        reply = mlflow_server.api("POST", f"{API}/model-versions/create", user, workspace=OTHER,
                                  json={"name": "neighbours-model", **body})
        assert reply.status_code in (403, 404), (body, reply.text[:300])
    experiment = mlflow_server.api("POST", f"{API}/experiments/create", user, workspace=OTHER,
                                   json={"name": "neighbours-experiment"}).json()["experiment_id"]
    own_run = mlflow_server.api("POST", f"{API}/runs/create", user, workspace=OTHER,
                                json={"experiment_id": experiment}).json()["run"]["info"]["run_id"]
    for body in ({"source": made.model_uri},  # a logged model's source must come with its model_id
                 # its own run as run_id, and the flows' run as the source: the layer checks one run, so
                 # both must be the same
                 {"source": f"runs:/{made.model_run}/model", "run_id": own_run}):
        reply = mlflow_server.api("POST", f"{API}/model-versions/create", user, workspace=OTHER,
                                  json={"name": "neighbours-model", **body})
        assert reply.status_code == 400 and reply.json()["error_code"] == "INVALID_PARAMETER_VALUE", body


def test_a_trace_cannot_be_smuggled_into_a_denied_experiment(mlflow_server, made, outsiders):
    """The denied user edits the workspace but not the flows' experiment: a new trace naming it
    is refused, also when its nested fields are spelt in camelCase (which MLflow reads too)."""
    user, workspace = outsiders["denied"]
    assert mlflow_server.api("POST", f"{V3}/traces", user, workspace=workspace,
                             json=new_trace(made.experiment)).status_code == 403
    camel = json.loads(json.dumps(new_trace(made.experiment)).replace('"trace_info"', '"traceInfo"'))
    reply = mlflow_server.api("POST", f"{V3}/traces", user, workspace=workspace, json=camel)
    assert reply.status_code == 400 and "traceInfo" in reply.json()["message"]
    deep = new_trace(made.experiment)
    location = deep["trace"]["trace_info"]["trace_location"]
    location["mlflowExperiment"] = location.pop("mlflow_experiment")
    reply = mlflow_server.api("POST", f"{V3}/traces", user, workspace=workspace, json=deep)
    assert reply.status_code == 400, reply.text
    own = mlflow_server.api("POST", f"{API}/experiments/create", user, workspace=workspace, json={"name": "f-own"})
    assert own.status_code == 200
    assert mlflow_server.api("POST", f"{V3}/traces", user, workspace=workspace,
                             json=new_trace(own.json()["experiment_id"])).status_code == 200


def graphql(server, user, query, variables=None, workspace=TEAM):
    return server.api("POST", "/graphql", user, workspace=workspace,
                      json={"query": query, **({"variables": variables} if variables else {})})


RUN_QUERY = """query Run($id: String) { mlflowGetRun(input: {runId: $id}) {
    run { info { runId } data { params { key value } } experiment { name } modelVersions { name } } } }"""


def test_graphql_answers_each_field_under_its_rule(mlflow_server, made, outsiders):
    """The UI's GraphQL: the editor reads the flows' runs (with their experiment and model
    versions); the denied user reads its own run but no field may name the denied one, however
    the query is written (aliases, fragments, variables, a second operation, a list of runs)."""
    got = graphql(mlflow_server, made.editor, RUN_QUERY, {"id": made.model_run})
    assert got.status_code == 200, got.text
    run = got.json()["data"]["mlflowGetRun"]["run"]
    assert run["experiment"]["name"] == "flows" and {v["name"] for v in run["modelVersions"]} == {"flows-model"}
    searched = graphql(mlflow_server, made.editor, 'mutation { mlflowSearchRuns(input: {experimentIds: ["%s"]}) '
                                                   '{ runs { info { runId } } } }' % made.experiment)
    assert made.run in {r["info"]["runId"] for r in searched.json()["data"]["mlflowSearchRuns"]["runs"]}

    user, workspace = outsiders["denied"]
    experiment = mlflow_server.api("POST", f"{API}/experiments/create", user, workspace=workspace,
                                   json={"name": "gq-own"}).json()["experiment_id"]
    own = mlflow_server.api("POST", f"{API}/runs/create", user, workspace=workspace,
                            json={"experiment_id": experiment}).json()["run"]["info"]["run_id"]
    assert graphql(mlflow_server, user, RUN_QUERY, {"id": own}).json()["data"]["mlflowGetRun"]["run"]["info"][
        "runId"] == own
    hostile = [
        (RUN_QUERY, {"id": made.run}),
        ('{ a: mlflowGetRun(input: {runId: "%s"}) { run { info { runId } } } '
         'b: mlflowGetRun(input: {runId: "%s"}) { run { info { runId } } } }' % (own, made.run), None),
        ('{ ...F } fragment F on Query { mlflowGetRun(input: {runId: "%s"}) { run { info { runId } } } }' % made.run,
         None),
        ('query A { mlflowGetRun(input: {runId: "%s"}) { run { info { runId } } } } '
         'query B { mlflowGetRun(input: {runId: "%s"}) { run { info { runId } } } }' % (own, made.run), None),
        ('{ mlflowGetMetricHistoryBulkInterval(input: {runIds: ["%s", "%s"], metricKey: "loss"}) '
         '{ metrics { value } } }' % (own, made.run), None),
        ('{ mlflowListArtifacts(input: {runId: "%s"}) { files { path } } }' % made.run, None),
        ('{ mlflowGetExperiment(input: {experimentId: "%s"}) { experiment { name } } }' % made.experiment, None),
        ('mutation { mlflowSearchDatasets(input: {experimentIds: ["%s"]}) { datasetSummaries { name } } }'
         % made.experiment, None),
        ('{ ...Missing }', None),
    ]
    for query, variables in hostile:
        reply = graphql(mlflow_server, user, query, variables)
        assert reply.status_code == 403, (query, reply.text[:300])
        assert "flows-data" not in reply.text and '"alpha"' not in reply.text
    searched = graphql(mlflow_server, user, 'mutation { mlflowSearchRuns(input: {experimentIds: ["%s", "%s"]}) '
                                            '{ runs { info { runId } } } }' % (made.experiment, experiment))
    assert searched.status_code == 200
    assert {r["info"]["runId"] for r in searched.json()["data"]["mlflowSearchRuns"]["runs"]} == {own}
    for query in ('{ __schema { types { name } } }', '{ test(inputString: "x") { output } }'):
        assert graphql(mlflow_server, user, query).status_code == 200, query
    assert graphql(mlflow_server, user, "{ mlflowSomethingNew { x } }").status_code == 403
    assert graphql(mlflow_server, user, "{ not graphql").status_code == 403


def test_metric_histories_of_several_runs_need_every_run(mlflow_server, made, outsiders):
    """The UI's charts ask for the histories of many runs at once: each must be readable."""
    user, workspace = outsiders["denied"]
    experiment = mlflow_server.api("POST", f"{API}/experiments/create", user, workspace=workspace,
                                   json={"name": "bulk-own"}).json()["experiment_id"]
    own = mlflow_server.api("POST", f"{API}/runs/create", user, workspace=workspace,
                            json={"experiment_id": experiment}).json()["run"]["info"]["run_id"]
    mlflow_server.api("POST", f"{API}/runs/log-metric", user, workspace=workspace,
                      json={"run_id": own, "key": "loss", "value": 1.0, "timestamp": 1, "step": 0})
    interval = "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval"
    bulk = "/ajax-api/2.0/mlflow/metrics/get-history-bulk"
    for path, name in ((interval, "run_ids"), (f"{API}/metrics/get-history-bulk-interval", "run_ids"),
                       (bulk, "run_id")):
        mine = mlflow_server.api("GET", path, user, workspace=workspace, params={name: [own], "metric_key": "loss"})
        assert mine.status_code == 200 and "1.0" in mine.text, (path, mine.text[:200])
        mixed = mlflow_server.api("GET", path, user, workspace=workspace,
                                  params={name: [own, made.run], "metric_key": "loss"})
        assert mixed.status_code == 403, (path, mixed.text[:200])
        editor = mlflow_server.api("GET", path, made.editor, workspace=TEAM,
                                   params={name: [made.run], "metric_key": "loss"})
        assert editor.status_code == 200 and "0.25" in editor.text, (path, editor.text[:200])


def test_only_admins_choose_where_an_experiments_files_go(mlflow_server, made, outsiders):
    """Else a user could point their own experiment at the flows' folder and read its files
    through their own runs (/get-artifact reads a run's files on the server)."""
    user, workspace = outsiders["neighbour in its workspace"]
    folder = mlflow_server.api("GET", f"{API}/experiments/get", params={"experiment_id": made.experiment},
                               workspace=TEAM).json()["experiment"]["artifact_location"]
    reply = mlflow_server.api("POST", f"{API}/experiments/create", user, workspace=workspace,
                              json={"name": "pointed", "artifact_location": folder})
    assert reply.status_code == 403 and "artifact_location" in reply.json()["message"]
    by_admin = mlflow_server.api("POST", f"{API}/experiments/create", workspace=workspace,
                                 json={"name": "placed-by-admin", "artifact_location": folder + "-admins"})
    assert by_admin.status_code != 403  # MLflow decides (with workspaces on, it keeps locations itself)


@pytest.fixture(scope="module")
def denied_own(mlflow_server, outsiders):
    """The denied user's own experiment, trace and logged model in the flows' workspace."""
    user, workspace = outsiders["denied"]
    experiment = mlflow_server.api("POST", f"{API}/experiments/create", user, workspace=workspace,
                                   json={"name": "denied-own"}).json()["experiment_id"]
    trace = new_trace(experiment)
    assert mlflow_server.api("POST", f"{V3}/traces", user, workspace=workspace, json=trace).status_code == 200
    model = mlflow_server.api("POST", f"{API}/logged-models", user, workspace=workspace,
                              json={"experiment_id": experiment, "name": "own"})
    assert model.status_code == 200, model.text
    return experiment, trace["trace"]["trace_info"]["trace_id"], model.json()["model"]["info"]["model_id"]


def test_a_new_trace_cannot_take_an_existing_traces_id(mlflow_server, made, outsiders, denied_own):
    """MLflow merges a new trace into the one of the same id, wherever it lives."""
    experiment, own_trace, _ = denied_own
    for who in ("denied", "neighbour in its workspace"):
        user, workspace = outsiders[who]
        mine = experiment if who == "denied" else mlflow_server.api(
            "POST", f"{API}/experiments/create", user, workspace=workspace,
            json={"name": "takeover"}).json()["experiment_id"]
        taken = new_trace(mine)
        taken["trace"]["trace_info"]["trace_id"] = made.trace
        reply = mlflow_server.api("POST", f"{V3}/traces", user, workspace=workspace, json=taken)
        assert reply.status_code == 400 and "already exists" in reply.json()["message"], reply.text
    got = mlflow_server.api("GET", f"{V3}/traces/{made.trace}", made.editor, workspace=TEAM)
    assert got.status_code == 200 and got.json()["trace"]["trace_info"]["trace_location"]["mlflow_experiment"][
        "experiment_id"] == made.experiment
    user, workspace = outsiders["denied"]
    again = new_trace(experiment)
    again["trace"]["trace_info"]["trace_id"] = own_trace  # a retry into the same experiment
    assert mlflow_server.api("POST", f"{V3}/traces", user, workspace=workspace, json=again).status_code == 200


def test_a_trace_cannot_be_pointed_at_another_traces_files(mlflow_server, made, outsiders, denied_own):
    experiment, own_trace, _ = denied_own
    user, workspace = outsiders["denied"]
    location = {"key": "mlflow.artifactLocation", "value": "/anywhere/traces/x/artifacts"}
    for method, path, body in (("PATCH", f"{V3}/traces/{own_trace}/tags", location),
                               ("PATCH", f"{API}/traces/{own_trace}/tags", location),
                               ("PATCH", f"{API}/traces/{own_trace}", {"timestamp_ms": 1, "status": "OK",
                                                                       "tags": [location]})):
        reply = mlflow_server.api(method, path, user, workspace=workspace, json=body)
        assert reply.status_code == 403 and "mlflow.artifactLocation" in reply.json()["message"], (path, reply.text)
    tagged = new_trace(experiment)
    tagged["trace"]["trace_info"]["tags"] = {location["key"]: location["value"]}
    assert mlflow_server.api("POST", f"{V3}/traces", user, workspace=workspace, json=tagged).status_code == 403


def test_the_path_names_the_resource_not_the_body(mlflow_server, made, outsiders, denied_own):
    """A route whose path names a trace or a logged model is decided on the path's, and a body
    or query naming another is refused (MLflow's handlers may act on it)."""
    _, own_trace, own_model = denied_own
    user, workspace = outsiders["denied"]
    for method, path, fields in (
            ("GET", f"{API}/traces/{made.trace}/info", {"trace_id": own_trace}),
            ("PATCH", f"{API}/traces/{made.trace}/tags", {"trace_id": own_trace, "key": "k", "value": "v"}),
            ("PATCH", f"{API}/traces/{made.trace}", {"trace_id": own_trace, "timestamp_ms": 1, "status": "OK"}),
            ("GET", "/ajax-api/3.0/mlflow/get-trace-artifact", {"trace_id": own_trace, "request_id": made.trace})):
        arguments = {"params": fields} if method == "GET" else {"json": fields}
        reply = mlflow_server.api(method, path, user, workspace=workspace, **arguments)
        assert reply.status_code == 403, (path, reply.text[:300])
    reply = mlflow_server.api("PATCH", f"{API}/logged-models/{own_model}", user, workspace=workspace,
                              json={"model_id": made.logged_model, "status": "LOGGED_MODEL_UPLOAD_FAILED"})
    assert reply.status_code == 400 and "path" in reply.json()["message"], reply.text
    model = mlflow_server.api("GET", f"{API}/logged-models/{made.logged_model}", made.editor, workspace=TEAM)
    assert model.json()["model"]["info"]["status"] == "LOGGED_MODEL_READY"
    reply = mlflow_server.api("POST", f"{API}/logged-models/search", user, workspace=workspace,
                              json={"experiment_ids": ["abc"]})
    assert reply.status_code == 400 and reply.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_graphql_variables_are_read_with_their_defaults(mlflow_server, made, outsiders):
    user, workspace = outsiders["denied"]
    for query, variables in (
            ('query Q($id: String = "%s") { mlflowGetRun(input: {runId: $id}) { run { info { runId } } } }'
             % made.run, None),
            ('query Q($i: MlflowGetRunInput = {runId: "%s"}) { mlflowGetRun(input: $i) { run { info { runId } } } }'
             % made.run, None),
            ('query Q($id: String) { mlflowGetRun(input: {runId: $id}) { run { info { runId } } } }', {"id": None}),
            ('query Q($e: String = "%s") { mlflowGetExperiment(input: {experimentId: $e}) { experiment { name } } }'
             % made.experiment, None)):
        reply = graphql(mlflow_server, user, query, variables, workspace)
        assert reply.status_code == 403, (query, reply.text[:300])
