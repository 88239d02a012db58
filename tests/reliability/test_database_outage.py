"""A database that goes away and comes back (issue 6, item 2): requests fail closed with 503
TEMPORARILY_UNAVAILABLE JSON, /health stays up, /ready names the dead database, and the server
recovers by itself. The tracking and the auth database live in two private PostgreSQL clusters
of this test, stopped and started in turn (the shared test cluster is never stopped)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.reliability.conftest import (
    ADMIN_AUTH, API, PASSWORD, auth_server, basic, needs_postgres, stop_now, wait_for_workers,
)

pytestmark = needs_postgres
RECOVERY_SECONDS = 30  # a bound on waiting, not a measurement: recovery normally takes a moment


def test_requests_fail_closed_while_a_database_is_down_and_recover_after(private_clusters, tmp_path):
    tracking_cluster, auth_cluster = private_clusters(2)
    tracking_uri = tracking_cluster.create_database("tracking")
    auth_uri = auth_cluster.create_database("auth")
    server = auth_server(tmp_path, tracking_uri, auth_uri, workers=2)
    try:
        wait_for_workers(server, 2)
        experiment = _setup(server)
        read = lambda: requests.get(f"{server.url}{API}/experiments/get", params={"experiment_id": experiment},  # noqa: E731
                                    headers=basic("dana"), timeout=30)
        assert read().status_code == 200
        for cluster, name in ((auth_cluster, "auth"), (tracking_cluster, "tracking")):
            cluster.stop()
            # Workers check the auth database for changes at most once a second; until then a
            # sign-in and grants they verified a moment ago may still be used (as they would be
            # with the database up). From the next check on, every request fails closed.
            time.sleep(1.1)
            _check_failing_closed(server, read, name)
            cluster.start()
            _check_recovered(server, read)
        assert "Traceback" not in server.log.read_text()
    finally:
        stop_now(server)


def _setup(server) -> str:
    """dana, with READ on a new experiment (the default permission is NO_PERMISSIONS)."""
    def ok(method, path, body):
        response = requests.request(method, f"{server.url}{API}/{path}", json=body, headers=ADMIN_AUTH, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    ok("POST", "users/create", {"username": "dana", "password": PASSWORD})
    experiment = ok("POST", "experiments/create", {"name": "outage"})["experiment_id"]
    ok("POST", "experiments/permissions/create", {"experiment_id": experiment, "username": "dana", "permission": "READ"})
    return experiment


def _check_failing_closed(server, read, down: str) -> None:
    # 24 requests on new connections reach both workers, each with its pool of (now dead) connections.
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: read(), range(24)))
    for response in answers:
        assert response.status_code == 503, (down, response.status_code, response.text[:300])
        assert response.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
        assert "Traceback" not in response.text and "psycopg" not in response.text
    assert requests.get(f"{server.url}/health", timeout=30).status_code == 200
    ready = requests.get(f"{server.url}/ready", timeout=30)
    assert ready.status_code == 503
    body = ready.json()
    assert body["error_code"] == "TEMPORARILY_UNAVAILABLE" and down in body["message"]
    up = {"tracking", "auth"} - {down}
    assert body["databases"] == {down: "down", **{name: "up" for name in up}}


def _check_recovered(server, read) -> None:
    deadline = time.monotonic() + RECOVERY_SECONDS
    while requests.get(f"{server.url}/ready", timeout=30).status_code != 200:
        assert time.monotonic() < deadline, "the server did not recover"
        time.sleep(0.2)
    assert requests.get(f"{server.url}/ready", timeout=30).json() == {
        "status": "ready", "databases": {"tracking": "up", "auth": "up"}}
    with ThreadPoolExecutor(4) as pool:  # every worker's pools replaced their dead connections
        assert {response.status_code for response in pool.map(lambda _: read(), range(24))} == {200}
