"""Parallel sign-ins on a real `wsauth server --workers 2` (issue 10, item 4): wrong guesses sent
at once over connections held by both workers get exactly login_max_failures 401s and 429s for
the rest, and right passwords sent at once all get in; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import DATABASE_KINDS, database_of_kind
from tests.reliability.conftest import (
    ADMIN, ADMIN_AUTH, ADMIN_PASSWORD, API, PASSWORD, auth_server, basic, connection_per_worker, stop_now,
    wait_for_workers,
)

MAX_FAILURES, CONNECTIONS_PER_WORKER = 5, 8


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def server(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sign-ins")
    with database_of_kind(request.param, folder) as uri:
        ini = folder / "basic_auth.ini"
        ini.write_text(f"[mlflow]\ndefault_permission = READ\ndatabase_uri = {uri}\nadmin_username = {ADMIN}\n"
                       f"admin_password = {ADMIN_PASSWORD}\nlogin_max_failures = {MAX_FAILURES}\n"
                       "login_lockout_seconds = 600\n")
        started = auth_server(folder, uri, uri, workers=2, ini=ini)
        try:
            started.workers = wait_for_workers(started, 2)
            yield started
        finally:
            stop_now(started)


def new_user(server) -> str:
    name = f"user-{uuid.uuid4().hex[:8]}"
    response = requests.post(f"{server.url}{API}/users/create", json={"username": name, "password": PASSWORD},
                             headers=ADMIN_AUTH, timeout=60)
    assert response.status_code == 200, response.text
    return name


def sign_in_at_once(server, username: str, passwords: list[str]) -> Counter:
    """Statuses of sign-ins sent together, over keep-alive connections spread over both workers."""
    connections = [c for _ in range(len(passwords) // 2) for c in connection_per_worker(server, server.workers).values()]
    start = threading.Barrier(len(passwords))

    def sign_in(pair) -> int:
        connection, password = pair
        start.wait()
        status, _, _ = connection.call("GET", f"{API}/users/get?username={username}",
                                       headers=basic(username, password))
        return status

    try:
        with ThreadPoolExecutor(len(passwords)) as pool:
            return Counter(pool.map(sign_in, zip(connections, passwords)))
    finally:
        for connection in connections:
            connection.close()


def test_parallel_wrong_guesses_on_two_workers_get_exactly_the_allowed_checks(server):
    name = new_user(server)
    guesses = [f"guess-number-{i:04d}" for i in range(2 * CONNECTIONS_PER_WORKER)]
    assert sign_in_at_once(server, name, guesses) == {401: MAX_FAILURES, 429: len(guesses) - MAX_FAILURES}
    assert sign_in_at_once(server, name, [PASSWORD, PASSWORD]) == {429: 2}


def test_parallel_right_passwords_on_two_workers_all_get_in(server):
    name = new_user(server)
    passwords = [PASSWORD] * (2 * CONNECTIONS_PER_WORKER)
    assert sign_in_at_once(server, name, passwords) == {200: len(passwords)}
