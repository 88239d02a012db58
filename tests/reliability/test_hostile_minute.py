"""A minute of hostile input (issue 10, done-when): a real `wsauth server --workers 2` with the
auth layer and workspaces on takes hostile requests (tests/reliability/hostile.py) from several
keep-alive connections at once for a minute, on SQLite and on PostgreSQL. No answer may be a
5xx, no connection may be dropped without a response (a server that says `Connection: close`
is followed: the client opens a new one), no worker may die, and the server logs no traceback.
Afterwards the real callers still work.

WSAUTH_HOSTILE_SECONDS shortens or lengthens the minute; WSAUTH_HOSTILE_SEED changes the traffic.
"""

from __future__ import annotations

import http.client
import os
import random
import threading
import time
from collections import Counter

import pytest
import requests

from tests.conftest import DATABASE_KINDS, database_of_kind
from tests.reliability.conftest import (
    ADMIN, ADMIN_AUTH, ADMIN_PASSWORD, API, PASSWORD, auth_server, basic, children, stop_now, wait_for_workers,
)
from tests.reliability.hostile import Callers, Catalogue

SECONDS = float(os.environ.get("WSAUTH_HOSTILE_SECONDS", "60"))
SEED = int(os.environ.get("WSAUTH_HOSTILE_SEED", "20261203"))
CONNECTIONS = 4
DROPPED = (http.client.RemoteDisconnected, http.client.BadStatusLine, ConnectionResetError, BrokenPipeError)


@pytest.fixture(params=DATABASE_KINDS)
def server(request, tmp_path):
    with database_of_kind(request.param, tmp_path) as uri:
        started = auth_server(tmp_path, uri, uri, workers=2)
        try:
            started.workers = wait_for_workers(started, 2)
            yield started
        finally:
            stop_now(started)


def ok(server, method: str, path: str, body: dict, auth: dict) -> dict:
    response = requests.request(method, f"{server.url}{API}/{path}", json=body, headers=auth, timeout=60)
    assert response.status_code == 200, (path, response.text[:300])
    return response.json()


def world(server) -> Catalogue:
    """A user with READ on one experiment that has a run with params, metrics and tags."""
    experiment = ok(server, "POST", "experiments/create", {"name": "hostile-target"}, ADMIN_AUTH)["experiment_id"]
    run = ok(server, "POST", "runs/create", {"experiment_id": experiment}, ADMIN_AUTH)["run"]["info"]["run_id"]
    ok(server, "POST", "runs/log-batch", {"run_id": run, "params": [{"key": "k1", "value": "v"}],
                                          "metrics": [{"key": "k2", "value": 1.0, "timestamp": 1, "step": 0}],
                                          "tags": [{"key": "k3", "value": "t"}]}, ADMIN_AUTH)
    ok(server, "POST", "users/create", {"username": "reader", "password": PASSWORD}, ADMIN_AUTH)
    ok(server, "POST", "experiments/permissions/create",
       {"experiment_id": experiment, "username": "reader", "permission": "READ"}, ADMIN_AUTH)
    document = requests.get(f"{server.url}/openapi.json", timeout=60).json()
    return Catalogue(document, experiment, run, Callers((ADMIN, ADMIN_PASSWORD), ("reader", PASSWORD)))


def sendable(headers: dict) -> dict:
    """Header values as raw bytes on the wire (UTF-8 included); only line breaks and NUL, which
    would end the header, are left out."""
    return {k: v.translate({0: None, 10: None, 13: None}).encode().decode("latin-1") for k, v in headers.items()}


def hammer(server, catalogue: Catalogue, seed: int, end: float, statuses: Counter, failures: list, lock) -> None:
    try:
        _hammer(server, catalogue, seed, end, statuses, failures, lock)
    except Exception as exc:  # a fault of the test itself must fail it too, not only warn
        with lock:
            failures.append(f"the client thread failed: {exc!r}")


def _hammer(server, catalogue: Catalogue, seed: int, end: float, statuses: Counter, failures: list, lock) -> None:
    rng = random.Random(seed)
    port = int(server.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    before = "nothing (a new connection)"
    while time.monotonic() < end and len(failures) < 20:
        method, path, headers, body, what = catalogue.request(rng)
        phase = "sending"
        try:
            try:
                connection.request(method, path, body=body, headers=sendable(headers))
            except (BrokenPipeError, ConnectionResetError):
                # The server answered before reading the whole body, and closed: the answer is
                # still there to read (as urllib3, under requests, reads it too).
                phase = "reading an early answer"
            else:
                phase = "reading the answer"
            response = connection.getresponse()
            response.read()
            if phase == "reading an early answer" and not response.will_close:
                raise ConnectionResetError("an early answer that did not say Connection: close")
        except DROPPED as exc:
            with lock:
                failures.append(f"{what}: connection dropped ({exc.__class__.__name__}) while {phase}, after "
                                f"{before}; {method} {path[:200]} with a {len(body or b'')}-byte body")
            connection.close()
            before = "nothing (a new connection)"
            continue
        with lock:
            statuses[response.status] += 1
            if response.status >= 500:
                failures.append(f"{what}: {response.status} on {method} {path[:200]}")
        before = f"{what} answered {response.status}"
        if response.getheader("Connection", "").lower() == "close" or response.will_close:
            connection.close()  # said so: the next request goes on a new connection
            before = "nothing (a new connection)"
    connection.close()


def test_a_minute_of_hostile_input(server):
    catalogue = world(server)
    statuses, failures, lock = Counter(), [], threading.Lock()
    end = time.monotonic() + SECONDS
    threads = [threading.Thread(target=hammer, args=(server, catalogue, SEED + i, end, statuses, failures, lock))
               for i in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log = server.log.read_text()
    assert failures == [], "\n".join(failures)
    assert sum(statuses.values()) > 100 and statuses[200] and statuses[400] and statuses[401], statuses
    assert children(server.process.pid) == server.workers, "a worker died and was replaced"
    assert "Traceback" not in log and "SIGSEGV" not in log and "was sent" not in log, log[-5000:]
    # the real callers are served as before
    assert ok(server, "POST", "experiments/search", {"max_results": 10}, basic("reader"))["experiments"]
    assert requests.get(f"{server.url}/health", timeout=60).status_code == 200
