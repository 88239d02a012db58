"""What lives under an experiment on `mlflow server --app-name wsauth`, beyond runs and traces:
its scorers (the LLM judges of its traces, with their online configs) follow the experiment's
permission, and the datasets logged to experiments are listed only to who may read every
experiment asked for; a registered model's artifacts need a read of the model. Tried by the
workspace's members at every level, by a reader denied the experiment, by a member of another
workspace and by a user without grants. Real server processes, SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import requests

from tests.mlflow_host.test_plugin import API, WS, create_experiment, grant_workspace, new_user

V3 = "/api/3.0/mlflow"
TEAM, ELSEWHERE = "team-judges", "team-judges-b"
SCORER = "polite"


def serialized_scorer(name: str = SCORER, model: str | None = None) -> str:
    """A scorer as the mlflow client registers it (a built-in LLM judge)."""
    from mlflow.genai.scorers import Guidelines

    return json.dumps(Guidelines(name=name, guidelines="The answer is polite.", model=model).model_dump())


def gateway_endpoint(server, workspace: str) -> str:
    """An AI Gateway endpoint of the workspace (online scoring needs a judge served by one)."""
    gateway = f"{V3}/gateway"
    secret = server.api("POST", f"{gateway}/secrets/create", workspace=workspace, json={
        "secret_name": "judge-key", "secret_value": {"api_key": "sk-judge"}, "provider": "openai"})
    model = server.api("POST", f"{gateway}/model-definitions/create", workspace=workspace, json={
        "name": "judge-model", "secret_id": secret.json()["secret"]["secret_id"], "provider": "openai",
        "model_name": "gpt-4o"})
    endpoint = server.api("POST", f"{gateway}/endpoints/create", workspace=workspace, json={
        "name": "judge", "model_configs": [{"model_definition_id": model.json()["model_definition"]["model_definition_id"],
                                            "linkage_type": "PRIMARY", "weight": 1.0}]})
    assert endpoint.status_code == 200, endpoint.text
    return "gateway:/judge"


@pytest.fixture(scope="module")
def team(mlflow_server):
    for name in (TEAM, ELSEWHERE):
        assert mlflow_server.api("POST", WS, json={"name": name}).status_code == 201
    users = {}
    for level in ("READ", "EDIT", "MANAGE"):
        users[level] = new_user(mlflow_server, f"j-{level.lower()}")
        grant_workspace(mlflow_server, TEAM, users[level], level)
    users["denied"] = new_user(mlflow_server, "j-denied")
    grant_workspace(mlflow_server, TEAM, users["denied"], "READ")
    users["neighbour"] = new_user(mlflow_server, "j-neighbour")
    grant_workspace(mlflow_server, ELSEWHERE, users["neighbour"], "MANAGE")
    users["stranger"] = new_user(mlflow_server, "j-stranger")
    users["explicit"] = new_user(mlflow_server, "j-explicit")  # only an explicit READ on `other`
    experiment = create_experiment(mlflow_server, "judged", workspace=TEAM)  # the editor holds EDIT on it
    other = create_experiment(mlflow_server, "judged-too", workspace=TEAM)
    reply = mlflow_server.api("POST", f"{API}/experiments/permissions/create", workspace=TEAM,
                              json={"experiment_id": experiment, "username": users["denied"],
                                    "permission": "NO_PERMISSIONS"})
    assert reply.status_code == 200, reply.text
    reply = mlflow_server.api("POST", f"{API}/experiments/permissions/create", workspace=TEAM,
                              json={"experiment_id": other, "username": users["explicit"], "permission": "READ"})
    assert reply.status_code == 200, reply.text
    return users, experiment, other


def scorers(server, user, method, path, workspace=TEAM, **fields):
    arguments = {"params": fields} if method == "GET" else {"json": fields}
    return server.api(method, f"{V3}/scorers/{path}", user, workspace=workspace, **arguments)


def outsiders(users):
    """Who may not see the experiment, and the workspace they would ask in."""
    return [(users["denied"], TEAM), (users["neighbour"], TEAM), (users["neighbour"], ELSEWHERE),
            (users["stranger"], TEAM)]


def test_scorers_follow_their_experiments_permission(mlflow_server, team):
    users, experiment, _ = team
    reader, editor, manager = users["READ"], users["EDIT"], users["MANAGE"]
    refused = scorers(mlflow_server, reader, "POST", "register", experiment_id=experiment, name=SCORER,
                      serialized_scorer=serialized_scorer())
    assert refused.status_code == 403 and "update" in refused.json()["message"], refused.text
    made = scorers(mlflow_server, editor, "POST", "register", experiment_id=experiment, name=SCORER,
                   serialized_scorer=serialized_scorer())
    assert made.status_code == 200, made.text
    for who in (reader, editor, manager):
        listed = scorers(mlflow_server, who, "GET", "list", experiment_id=experiment)
        assert listed.status_code == 200 and SCORER in listed.text
        for path in ("get", "versions"):
            assert scorers(mlflow_server, who, "GET", path, experiment_id=experiment, name=SCORER).status_code == 200
    for who, workspace in outsiders(users):
        for path in ("list", "get", "versions"):
            reply = scorers(mlflow_server, who, "GET", path, workspace, experiment_id=experiment, name=SCORER)
            assert reply.status_code in (403, 404) and SCORER not in reply.text, (who, path, reply.text)
        reply = scorers(mlflow_server, who, "POST", "register", workspace, experiment_id=experiment,
                        name="planted", serialized_scorer=serialized_scorer("planted"))
        assert reply.status_code in (403, 404) and "flavors" not in reply.text, reply.text
        reply = scorers(mlflow_server, who, "DELETE", "delete", workspace, experiment_id=experiment, name=SCORER)
        assert reply.status_code in (403, 404) and "flavors" not in reply.text, reply.text
    assert scorers(mlflow_server, editor, "DELETE", "delete", experiment_id=experiment,
                   name=SCORER).status_code == 403  # deleting takes MANAGE, as for runs
    assert "planted" not in scorers(mlflow_server, editor, "GET", "list", experiment_id=experiment).text
    assert scorers(mlflow_server, manager, "DELETE", "delete", experiment_id=experiment,
                   name=SCORER).status_code == 200
    assert SCORER not in scorers(mlflow_server, editor, "GET", "list", experiment_id=experiment).text


def test_online_configs_are_read_by_their_scorers_experiments(mlflow_server, team):
    users, experiment, other = team
    judge = gateway_endpoint(mlflow_server, TEAM)
    ids = {}
    for each, name in ((experiment, "judge-a"), (other, "judge-b")):
        made = scorers(mlflow_server, users["EDIT"], "POST", "register", experiment_id=each, name=name,
                       serialized_scorer=serialized_scorer(name, judge))
        assert made.status_code == 200, made.text
        ids[each] = made.json()["scorer_id"]
    # a config is set by who may change the experiment
    for who in (users["denied"], users["READ"]):
        reply = scorers(mlflow_server, who, "PUT", "online-config", experiment_id=other, name="judge-b",
                        sample_rate=0.5)
        assert reply.status_code == 403, reply.text
    for each, name in ((experiment, "judge-a"), (other, "judge-b")):
        reply = scorers(mlflow_server, users["EDIT"], "PUT", "online-config", experiment_id=each, name=name,
                        sample_rate=0.5)
        assert reply.status_code == 200, reply.text
    denied = users["denied"]  # reads `other`, not `experiment`
    mine = scorers(mlflow_server, denied, "GET", "online-configs", scorer_ids=[ids[other]])
    assert mine.status_code == 200 and [config["scorer_id"] for config in mine.json()["configs"]] == [ids[other]]
    for asked in ([ids[experiment]], [ids[other], ids[experiment]]):
        reply = scorers(mlflow_server, denied, "GET", "online-configs", scorer_ids=asked)
        assert reply.status_code == 403 and ids[experiment] not in reply.text, reply.text
    for who, workspace in outsiders(users)[1:]:
        reply = scorers(mlflow_server, who, "GET", "online-configs", workspace, scorer_ids=[ids[other]])
        # another workspace's scorer is missing there (MLflow finds configs in the request's workspace only)
        assert (reply.status_code == 403 or reply.json() == {"configs": []}) and ids[other] not in reply.text, reply.text
    unknown = scorers(mlflow_server, denied, "GET", "online-configs", scorer_ids=["no-such-scorer"])
    assert unknown.status_code == 200 and unknown.json() == {"configs": []}
    too_many = scorers(mlflow_server, denied, "GET", "online-configs", scorer_ids=[str(n) for n in range(1001)])
    assert too_many.status_code == 400 and "at most 1000" in too_many.json()["message"]


def log_dataset(server, user, experiment) -> None:
    run = server.api("POST", f"{API}/runs/create", user, workspace=TEAM, json={"experiment_id": experiment})
    assert run.status_code == 200, run.text
    dataset = {"name": f"rows-{experiment}", "digest": "d1", "source_type": "local", "source": "{}"}
    reply = server.api("POST", f"{API}/runs/log-inputs", user, workspace=TEAM,
                       json={"run_id": run.json()["run"]["info"]["run_id"], "datasets": [{"dataset": dataset}]})
    assert reply.status_code == 200, reply.text


def test_datasets_of_experiments_need_a_read_of_every_experiment(mlflow_server, team):
    users, experiment, other = team
    for each in (experiment, other):
        log_dataset(mlflow_server, users["EDIT"], each)

    def search(user, ids, workspace=TEAM):
        return mlflow_server.api("POST", "/ajax-api/2.0/mlflow/experiments/search-datasets", user,
                                 workspace=workspace, json={"experiment_ids": ids})

    listed = search(users["READ"], [experiment, other])
    assert listed.status_code == 200 and {f"rows-{experiment}", f"rows-{other}"} <= set(
        summary["name"] for summary in listed.json()["dataset_summaries"])
    assert f"rows-{other}" in search(users["denied"], [other]).text
    for ids in ([experiment], [other, experiment]):
        reply = search(users["denied"], ids)
        assert reply.status_code == 403 and "rows-" not in reply.text, reply.text
    for who, workspace in outsiders(users)[1:]:
        reply = search(who, [other], workspace)  # from another workspace, MLflow finds none there
        assert (reply.status_code in (403, 404) or reply.json() == {}) and "rows-" not in reply.text, reply.text
    assert search(users["READ"], ["1; DROP"]).status_code == 400
    too_many = search(users["READ"], [other] * 21)
    assert too_many.status_code == 400 and "at most 20" in too_many.json()["message"]


def test_a_model_versions_artifacts_need_a_read_of_the_model(mlflow_server, team):
    users, experiment, _ = team
    editor = users["EDIT"]
    run = mlflow_server.api("POST", f"{API}/runs/create", editor, workspace=TEAM, json={"experiment_id": experiment})
    run_id, root = run.json()["run"]["info"]["run_id"], run.json()["run"]["info"]["artifact_uri"]
    assert root.startswith("/") or root.startswith("file://"), root  # the server's local folder
    model_file = Path(root.removeprefix("file://")) / "model" / "MLmodel"
    model_file.parent.mkdir(parents=True)
    model_file.write_text("flavors: {}\n")
    assert mlflow_server.api("POST", f"{API}/registered-models/create", editor, workspace=TEAM,
                             json={"name": "judged-model"}).status_code == 200
    version = mlflow_server.api("POST", f"{API}/model-versions/create", editor, workspace=TEAM,
                                json={"name": "judged-model", "source": f"runs:/{run_id}/model", "run_id": run_id})
    assert version.status_code == 200, version.text
    query = {"name": "judged-model", "version": "1", "path": "MLmodel"}
    reply = mlflow_server.api("GET", "/model-versions/get-artifact", users["READ"], workspace=TEAM, params=query)
    assert reply.status_code == 200 and reply.text == "flavors: {}\n", reply.text
    for who, workspace in [(users["neighbour"], TEAM), (users["neighbour"], ELSEWHERE), (users["stranger"], TEAM)]:
        reply = mlflow_server.api("GET", "/model-versions/get-artifact", who, workspace=workspace, params=query)
        assert reply.status_code in (403, 404) and "flavors" not in reply.text, reply.text


def otlp_export(trace_id: bytes, name: str = "step") -> bytes:
    """One finished root span of a trace, as an OpenTelemetry exporter sends it."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.trace.v1.trace_pb2 import Span

    export = ExportTraceServiceRequest()
    span = export.resource_spans.add().scope_spans.add().spans.add()
    span.CopyFrom(Span(trace_id=trace_id, span_id=b"\x01" * 8, name=name,
                       start_time_unix_nano=1_700_000_000_000_000_000, end_time_unix_nano=1_700_000_001_000_000_000))
    return export.SerializeToString()


def send_spans(server, user, experiment, body: bytes, workspace=TEAM, encoding: str | None = None):
    headers = {"Content-Type": "application/x-protobuf", "x-mlflow-experiment-id": str(experiment),
               **({"Content-Encoding": encoding} if encoding else {})}
    return server.api("POST", "/v1/traces", user, workspace=workspace, headers=headers, data=body)


def trace_of(server, otel_id: bytes) -> requests.Response:
    return server.api("GET", f"{V3}/traces/tr-{otel_id.hex()}", workspace=TEAM)


def test_otlp_ingest_takes_update_on_the_experiment_its_header_names(mlflow_server, team):
    users, experiment, other = team
    mine = b"\x11" * 16
    assert send_spans(mlflow_server, users["EDIT"], other, otlp_export(mine)).status_code == 200
    assert trace_of(mlflow_server, mine).json()["trace"]["trace_info"]["trace_location"]["mlflow_experiment"][
        "experiment_id"] == other
    for who, workspace in [(users["READ"], TEAM), (users["denied"], TEAM), (users["neighbour"], TEAM),
                           (users["stranger"], TEAM)]:
        theirs = bytes([len(who)]) * 16
        reply = send_spans(mlflow_server, who, other, otlp_export(theirs), workspace)
        assert reply.status_code == 403, reply.text
        assert trace_of(mlflow_server, theirs).status_code == 404
    assert send_spans(mlflow_server, None, other, otlp_export(b"\x12" * 16)).status_code == 401
    compressed = gzip.compress(otlp_export(b"\x13" * 16))
    assert send_spans(mlflow_server, users["EDIT"], other, compressed, encoding="gzip").status_code == 200
    assert trace_of(mlflow_server, b"\x13" * 16).status_code == 200


def test_otlp_spans_cannot_join_a_trace_of_another_experiment(mlflow_server, team):
    users, experiment, other = team
    victims = b"\x21" * 16  # a trace of `experiment`, which the denied reader may not even read
    assert send_spans(mlflow_server, "admin", experiment, otlp_export(victims, "secret-step")).status_code == 200
    editor = users["EDIT"]  # may change `other`; spans for the victim's trace id are refused
    reply = send_spans(mlflow_server, editor, other, otlp_export(victims, "planted"))
    assert reply.status_code == 400 and "already exists in another experiment" in reply.json()["message"], reply.text
    two_members = gzip.compress(otlp_export(b"\x22" * 16)) + gzip.compress(otlp_export(victims, "planted"))
    reply = send_spans(mlflow_server, editor, other, two_members, encoding="gzip")  # the second member counts too
    assert reply.status_code == 400, reply.text
    spans = mlflow_server.api("GET", f"{V3}/traces/get", params={"trace_id": f"tr-{victims.hex()}"})
    assert "planted" not in spans.text
    # batch reads (the client's get_trace of traces whose spans are in the database): every trace named
    own = b"\x14" * 16
    assert send_spans(mlflow_server, editor, other, otlp_export(own)).status_code == 200
    ids = {"trace_ids": ["tr-" + own.hex()]}
    mine = mlflow_server.api("GET", f"{V3}/traces/batchGet", users["denied"], workspace=TEAM, params=ids)
    assert mine.status_code == 200 and ids["trace_ids"][0] in mine.text, mine.text
    both = {"trace_ids": [*ids["trace_ids"], f"tr-{victims.hex()}"]}
    for method, path, arguments in (("GET", "batchGet", {"params": both}), ("POST", "batchGetInfos", {"json": both})):
        reply = mlflow_server.api(method, f"{V3}/traces/{path}", users["denied"], workspace=TEAM, **arguments)
        assert reply.status_code == 403 and "secret-step" not in reply.text, reply.text
        reply = mlflow_server.api(method, f"{V3}/traces/{path}", users["neighbour"], workspace=ELSEWHERE, **arguments)
        assert reply.status_code in (200, 403, 404) and victims.hex() not in reply.text, reply.text
    # the same trace again for its own experiment is a client's retry
    assert send_spans(mlflow_server, "admin", experiment, otlp_export(victims, "secret-step")).status_code == 200


def test_otlp_bodies_the_layer_cannot_read_are_refused(mlflow_server, team):
    users, _, other = team
    editor = users["EDIT"]
    bomb = gzip.compress(b"\x00" * (40 * 1024 * 1024))  # 40 MiB of zeros in about 40 KB
    reply = send_spans(mlflow_server, editor, other, bomb, encoding="gzip")
    assert reply.status_code == 400 and "more than" in reply.json()["message"], reply.text
    for body, encoding, words in [(b"not protobuf \xff\xff", None, "protobuf"),
                                  (b"\x1f\x8b not gzip", "gzip", "decompressed"),
                                  (otlp_export(b"\x31" * 16), "br", "not supported")]:
        reply = send_spans(mlflow_server, editor, other, body, encoding=encoding)
        assert reply.status_code == 400 and words in reply.json()["message"], reply.text
    reply = send_spans(mlflow_server, editor, f"0{other}", otlp_export(b"\x32" * 16))
    assert reply.status_code == 400, reply.text
    too_big = send_spans(mlflow_server, editor, other, b"\x0a" * (32 * 1024 * 1024 + 1))
    assert too_big.status_code == 400 and "larger than" in too_big.json()["message"]


def test_hostile_input_on_these_routes_gets_a_json_4xx(mlflow_server, team):
    """Found by an attack: a query string on a FastAPI route, a trace id that is no string, a
    sample rate MLflow cannot read, FastAPI's and Flask's own error pages."""
    users, _, other = team
    editor = users["EDIT"]
    headers = {"Content-Type": "application/x-protobuf", "x-mlflow-experiment-id": other}
    reply = mlflow_server.api("POST", "/v1/traces?source=test", editor, workspace=TEAM, headers=headers,
                              data=otlp_export(b"\x41" * 16))
    assert reply.status_code == 200, reply.text
    reply = mlflow_server.api("POST", "/v1/traces?source=test", None, workspace=TEAM, headers=headers,
                              data=otlp_export(b"\x42" * 16))
    assert reply.status_code == 401 and reply.json()["error_code"] == "UNAUTHENTICATED"
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    export = ExportTraceServiceRequest.FromString(otlp_export(b"\x43" * 16))
    attribute = export.resource_spans[0].scope_spans[0].spans[0].attributes.add()
    attribute.key, attribute.value.int_value = "mlflow.traceRequestId", 5
    reply = send_spans(mlflow_server, editor, other, export.SerializeToString())
    assert reply.status_code == 400 and "non-empty string" in reply.json()["message"], reply.text
    empty = send_spans(mlflow_server, editor, other, b"")  # MLflow's own refusal, in MLflow's shape
    assert empty.status_code == 400 and set(empty.json()) == {"error_code", "message"}, empty.text
    for rate in ("abc", [1], 2, None):
        reply = scorers(mlflow_server, editor, "PUT", "online-config", experiment_id=other, name="judge-b",
                        sample_rate=rate)
        assert reply.status_code == 400 and "sample_rate" in reply.json()["message"], reply.text
    for method, path in (("GET", "/api/3.0/mlflow/no-such-route"), ("POST", "/api/3.0/mlflow/scorers/online-configs"),
                         ("POST", "/v1/traces/")):
        reply = mlflow_server.api(method, path, editor, workspace=TEAM)
        assert reply.status_code in (404, 405) and set(reply.json()) == {"error_code", "message"}, reply.text


def datasets(server, user, method, path, workspace=TEAM, **fields):
    arguments = {"params": fields} if method == "GET" else {"json": fields}
    return server.api(method, f"{V3}/datasets/{path}", user, workspace=workspace, **arguments)


def searched(server, user, workspace=TEAM, **fields) -> set[str]:
    reply = datasets(server, user, "POST", "search", workspace, **fields)
    assert reply.status_code == 200, reply.text
    return {found["name"] for found in reply.json().get("datasets", [])}


def test_evaluation_datasets_follow_the_experiments_they_are_linked_to(mlflow_server, team):
    users, experiment, other = team
    editor, reader, manager, denied = users["EDIT"], users["READ"], users["MANAGE"], users["denied"]
    assert datasets(mlflow_server, reader, "POST", "create", name="ds-refused", experiment_ids=[other]).status_code == 403
    made = {}
    for name, linked in (("ds-other", [other]), ("ds-both", [other, experiment]), ("ds-none", [])):
        reply = datasets(mlflow_server, editor, "POST", "create", name=name, experiment_ids=linked)
        assert reply.status_code == 200, reply.text
        made[name] = reply.json()["dataset"]["dataset_id"]
    records = json.dumps([{"inputs": {"question": "secret question"}, "expectations": {"answer": "42"}}])
    for name in made:
        reply = datasets(mlflow_server, editor, "POST", f"{made[name]}/records", records=records)
        assert reply.status_code == 200, reply.text
    # a reader of the workspace denied `experiment` reads what is linked to none or to `other` only
    for name, status in (("ds-other", 200), ("ds-none", 200), ("ds-both", 403)):
        for path in ("", "/records", "/experiment-ids"):
            reply = datasets(mlflow_server, denied, "GET", f"{made[name]}{path}")
            assert reply.status_code == status, (name, path, reply.text)
            assert status == 200 or "secret question" not in reply.text
    assert datasets(mlflow_server, denied, "POST", f"{made['ds-other']}/records", records=records).status_code == 403
    assert searched(mlflow_server, denied) == {"ds-other", "ds-none"}
    assert searched(mlflow_server, denied, experiment_ids=[other]) == {"ds-other"}
    assert searched(mlflow_server, reader) == {"ds-other", "ds-none", "ds-both"}
    assert searched(mlflow_server, users["explicit"]) == {"ds-other"}  # its only grant is on `other`
    assert datasets(mlflow_server, users["explicit"], "GET", made["ds-none"]).status_code == 403
    # outsiders see none of it, and another workspace's id is missing there
    for who, workspace in ((users["neighbour"], TEAM), (users["stranger"], TEAM), (users["neighbour"], ELSEWHERE)):
        assert searched(mlflow_server, who, workspace) == set()
        for dataset_id in made.values():
            reply = datasets(mlflow_server, who, "GET", f"{dataset_id}/records", workspace)
            assert reply.status_code in (403, 404) and "secret question" not in reply.text, reply.text
    missing = datasets(mlflow_server, users["neighbour"], "GET", made["ds-other"], ELSEWHERE)
    assert missing.status_code == 404 and missing.json() == datasets(
        mlflow_server, users["neighbour"], "GET", "d-no-such-dataset", ELSEWHERE).json() | {
        "message": missing.json()["message"]}
    # linking needs update on the experiments linked; one of another workspace is missing here
    foreign = create_experiment(mlflow_server, "judged-elsewhere", workspace=ELSEWHERE)
    for path in ("add-experiments", "remove-experiments"):
        reply = datasets(mlflow_server, editor, "POST", f"{made['ds-none']}/{path}", experiment_ids=[foreign])
        assert reply.status_code == 404, reply.text
    reply = datasets(mlflow_server, denied, "POST", f"{made['ds-none']}/add-experiments", experiment_ids=[other])
    assert reply.status_code == 403, reply.text
    reply = datasets(mlflow_server, editor, "POST", "create", name="ds-foreign", experiment_ids=[foreign])
    assert reply.status_code == 404, reply.text
    # deleting takes MANAGE on every linked experiment
    assert mlflow_server.api("DELETE", f"{V3}/datasets/{made['ds-other']}", editor, workspace=TEAM).status_code == 403
    assert mlflow_server.api("DELETE", f"{V3}/datasets/{made['ds-other']}", manager, workspace=TEAM).status_code == 200
    assert "ds-other" not in searched(mlflow_server, reader)


def test_trace_charts_and_links_need_the_experiments_runs_and_traces_they_name(mlflow_server, team):
    users, experiment, other = team
    editor, denied, neighbour = users["EDIT"], users["denied"], users["neighbour"]
    chart = {"view_type": "TRACES", "metric_name": "trace_count", "aggregations": [{"aggregation_type": "COUNT"}]}
    assert send_spans(mlflow_server, editor, other, otlp_export(b"\x51" * 16)).status_code == 200
    counted = mlflow_server.api("POST", f"{V3}/traces/metrics", denied, workspace=TEAM,
                                json={"experiment_ids": [other], **chart})
    assert counted.status_code == 200, counted.text
    for ids in ([experiment], [other, experiment]):
        reply = mlflow_server.api("POST", f"{V3}/traces/metrics", denied, workspace=TEAM, json={"experiment_ids": ids, **chart})
        assert reply.status_code == 403, reply.text
    reply = mlflow_server.api("POST", f"{V3}/traces/metrics", neighbour, workspace=ELSEWHERE,
                              json={"experiment_ids": [other], **chart})
    assert reply.status_code == 404, reply.text  # not of that workspace, whatever MLflow's query would say
    # linking traces to a run takes update on both
    run = mlflow_server.api("POST", f"{API}/runs/create", editor, workspace=TEAM, json={"experiment_id": other})
    run_id, trace = run.json()["run"]["info"]["run_id"], "tr-" + (b"\x51" * 16).hex()
    link = {"trace_ids": [trace], "run_id": run_id}
    assert mlflow_server.api("POST", f"{API}/traces/link-to-run", denied, workspace=TEAM, json=link).status_code == 403
    assert mlflow_server.api("POST", f"{API}/traces/link-to-run", editor, workspace=TEAM, json=link).status_code == 200
    theirs = mlflow_server.api("POST", f"{API}/runs/create", "admin", workspace=ELSEWHERE,
                               json={"experiment_id": create_experiment(mlflow_server, "links-b", workspace=ELSEWHERE)})
    planted = {"trace_ids": [trace], "run_id": theirs.json()["run"]["info"]["run_id"]}
    for workspace in (TEAM, ELSEWHERE):
        reply = mlflow_server.api("POST", f"{API}/traces/link-to-run", neighbour, workspace=workspace, json=planted)
        assert reply.status_code in (403, 404), reply.text
    # linking prompts to a trace takes update on the trace and a read of every prompt
    prompts = {"trace_id": trace, "prompt_versions": [{"name": "no-such-prompt", "version": "1"}]}
    reply = mlflow_server.api("POST", f"{API}/traces/link-prompts", denied, workspace=TEAM, json=prompts)
    assert reply.status_code == 403, reply.text
    reply = mlflow_server.api("POST", f"{API}/traces/link-prompts", neighbour, workspace=ELSEWHERE, json=prompts)
    assert reply.status_code == 404, reply.text
    reply = mlflow_server.api("POST", f"{API}/traces/link-prompts", editor, workspace=TEAM,
                              json={**prompts, "prompt_versions": ["not an object"]})
    assert reply.status_code == 400, reply.text
