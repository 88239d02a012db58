"""Concurrent writers to one run: nothing is lost, duplicated or turned into a 500."""

from concurrent.futures import ThreadPoolExecutor


def _post(client, path, body):
    return client.post(f"/api/2.0/mlflow/{path}", json=body)


def test_same_param_logged_at_once_by_many_clients(app):
    client = app.test_client()
    experiment_id = _post(client, "experiments/create", {"name": "race"}).json["experiment_id"]
    run_id = _post(client, "runs/create", {"experiment_id": experiment_id}).json["run"]["info"]["run_id"]

    def log(i):
        value = "same" if i % 2 == 0 else f"other-{i}"
        return value, _post(app.test_client(), "runs/log-parameter", {"run_id": run_id, "key": "p", "value": value})

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(log, range(16)))
    assert {r.status_code for _, r in results} <= {200, 400}
    stored = client.get("/api/2.0/mlflow/runs/get", query_string={"run_id": run_id}).json["run"]["data"]["params"]
    assert len(stored) == 1
    winner = stored[0]["value"]
    for value, response in results:
        assert response.status_code == (200 if value == winner else 400), (value, winner, response.json)


def test_metrics_logged_at_once_keep_the_full_history_and_the_latest_point(app):
    client = app.test_client()
    experiment_id = _post(client, "experiments/create", {"name": "metrics"}).json["experiment_id"]
    run_id = _post(client, "runs/create", {"experiment_id": experiment_id}).json["run"]["info"]["run_id"]

    def log(step):
        body = {"run_id": run_id, "key": "loss", "value": 1.0 / (step + 1), "timestamp": 1000 + step, "step": step}
        return _post(app.test_client(), "runs/log-metric", body).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(log, range(40))) == {200}
    history = client.get("/api/2.0/mlflow/metrics/get-history",
                         query_string={"run_id": run_id, "metric_key": "loss"}).json["metrics"]
    assert [m["step"] for m in history] == list(range(40))
    latest = client.get("/api/2.0/mlflow/runs/get", query_string={"run_id": run_id}).json["run"]["data"]["metrics"]
    assert latest == [{"key": "loss", "value": 1.0 / 40, "timestamp": 1039, "step": 39}]
