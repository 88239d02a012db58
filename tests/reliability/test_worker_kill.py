"""A worker killed with SIGKILL in the middle of a write leaves no partial rows, and the server
keeps serving through the worker gunicorn starts in its place (issue 6, item 2)."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.reliability.conftest import (
    API, kill, needs_postgres, replacement_of, serves_a_connection, stop_now, wait_for_workers,
)
from tracking.store.db import normalise_uri

PARAMS, METRICS = 100, 900  # the largest batch: 1000 values


def batch(run_id: str) -> dict:
    """A full runs/log-batch body: 100 params, then 900 metrics."""
    return {"run_id": run_id,
            "params": [{"key": f"p{i}", "value": f"value-{i}"} for i in range(PARAMS)],
            "metrics": [{"key": f"m{i}", "value": i / 3, "timestamp": 1000 + i, "step": i} for i in range(METRICS)]}


def new_run(server, experiment: str) -> str:
    response = requests.post(f"{server.url}{API}/runs/create", json={"experiment_id": experiment}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()["run"]["info"]["run_id"]


def stored(uri: str, run_id: str) -> tuple[int, int, int]:
    """(params, metrics, latest metrics) rows of a run, counted in SQL."""
    engine = create_engine(normalise_uri(uri))
    try:
        with engine.connect() as connection:
            return tuple(connection.execute(text(f"SELECT count(*) FROM {table} WHERE run_uuid = :run"),
                                            {"run": run_id}).scalar() for table in ("params", "metrics", "latest_metrics"))
    finally:
        engine.dispose()


def through_rest(server, run_id: str) -> tuple[int, int]:
    """(params, latest metrics) of a run as runs/get shows them."""
    data = requests.get(f"{server.url}{API}/runs/get", params={"run_id": run_id}, timeout=60).json()["run"]["data"]
    return len(data.get("params", [])), len(data.get("metrics", []))


def test_batches_cut_short_by_sigkill_are_all_or_nothing(start_server, database_uri):
    """Four clients send full batches to a one-worker server; the worker is killed while they
    are in flight. Every batch is then complete or absent, and each acknowledged one complete."""
    server = start_server()
    (worker,) = wait_for_workers(server, 1)
    experiment = requests.post(f"{server.url}{API}/experiments/create", json={"name": "kill"}, timeout=60).json()["experiment_id"]
    outcomes: dict[str, str] = {}  # run id -> "acknowledged" | "cut" (no full answer)
    failures: list[BaseException] = []
    stop = threading.Event()

    def client():
        while not stop.is_set():
            try:
                run = new_run(server, experiment)
            except requests.RequestException:
                continue  # the worker died while making the run (or its answer); make another
            except AssertionError as exc:
                failures.append(exc)
                return
            outcomes[run] = _post_batch(server, run)

    def acknowledged() -> int:
        assert not failures, failures
        return list(outcomes.values()).count("acknowledged")

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        _wait_for(lambda: acknowledged() >= 4)
        for _ in range(5):  # a kill may land while the worker holds no request: kill the next one
            _wait_for(lambda: serves_a_connection(server, worker))
            kill(worker)
            worker = replacement_of(server, worker)
            served = acknowledged()
            _wait_for(lambda: acknowledged() >= served + 4)  # the new worker serves
            if "cut" in outcomes.values():  # recorded at once, long before the new worker answered
                break
        assert "cut" in outcomes.values()
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert set(outcomes.values()) <= {"acknowledged", "cut"}, outcomes
    for run, outcome in outcomes.items():
        rows = stored(database_uri, run)
        assert rows in ((0, 0, 0), (PARAMS, METRICS, METRICS)), (run, outcome, rows)
        assert through_rest(server, run) == ((PARAMS, METRICS) if rows[0] else (0, 0))
        if outcome == "acknowledged":
            assert rows[0] == PARAMS, (run, rows)
    stop_now(server)


def _wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


@needs_postgres
@pytest.mark.parametrize("database_uri", ["postgresql"], indirect=True)
def test_a_worker_killed_while_its_batch_waits_leaves_no_rows(start_server, database_uri):
    """Deterministic on PostgreSQL: the test locks the metrics table, so the batch stops after
    writing its params and before its metrics; the worker is killed right there."""
    server = start_server()
    (worker,) = wait_for_workers(server, 1)
    experiment = requests.post(f"{server.url}{API}/experiments/create", json={"name": "kill"}, timeout=60).json()["experiment_id"]
    run = new_run(server, experiment)
    engine = create_engine(normalise_uri(database_uri))
    # The watcher runs each query in its own transaction: pg_stat_activity is a snapshot per transaction.
    watcher = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    answers = []
    with engine.connect() as locker:
        locker.execute(text("LOCK TABLE metrics IN ACCESS EXCLUSIVE MODE"))
        sender = threading.Thread(target=lambda: answers.append(_post_batch(server, run)))
        sender.start()
        backend = _wait_for_backend_blocked_after_params(watcher)
        kill(worker)
        sender.join()
        locker.rollback()  # the lock goes; the killed worker's transaction must not commit
    _wait_for(lambda: not watcher.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                          {"pid": backend}).scalar())
    watcher.close()
    engine.dispose()
    assert answers == ["cut"]
    assert stored(database_uri, run) == (0, 0, 0)
    wait_for_workers(server, 1)
    _wait_for(lambda: _health(server))
    assert through_rest(server, run) == (0, 0)
    assert _post_batch(server, run) == "acknowledged"  # the run is usable, and takes the batch whole
    assert stored(database_uri, run) == (PARAMS, METRICS, METRICS)
    stop_now(server)


def _post_batch(server, run: str) -> str:
    try:
        response = requests.post(f"{server.url}{API}/runs/log-batch", json=batch(run), timeout=60)
    except requests.RequestException:  # closed before, or in the middle of, the answer
        return "cut"
    return "acknowledged" if response.status_code == 200 else f"status {response.status_code}"


def _wait_for_backend_blocked_after_params(watcher) -> int:
    """The pid of the server's backend waiting for the metrics lock, once it holds a write lock
    on params (it has inserted the batch's params in its open transaction)."""
    query = text("""
        SELECT a.pid FROM pg_stat_activity a
        WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.wait_event_type = 'Lock'
          AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.relation = 'params'::regclass
                      AND l.mode = 'RowExclusiveLock' AND l.granted)""")
    found: list[int] = []
    _wait_for(lambda: found.extend(watcher.execute(query).scalars()) or found)
    return found[0]


def _health(server) -> bool:
    try:
        return requests.get(f"{server.url}/health", timeout=5).status_code == 200
    except requests.ConnectionError:
        return False
