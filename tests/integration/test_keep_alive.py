"""A refused request must not break the next one on the same keep-alive connection: the server
answers early (401, 403, 400, 413) without reading the body, and then either reads and discards
it or says `Connection: close` (issue 10). Raw sockets, so nothing retries behind our back."""

from __future__ import annotations

import base64
import socket

import pytest
import requests

from tests.integration.test_auth_e2e import ADMIN, auth_server

BODY = b'{"name": "' + b"x" * 70_000 + b'"}'


@pytest.fixture(scope="module", params=["sqlite"])
def server(request, tmp_path_factory):
    with auth_server(request.param, tmp_path_factory.mktemp("keep-alive")) as process:
        created = requests.post(f"{process.url}/api/2.0/mlflow/users/create",
                                json={"username": "outsider", "password": "an-outsider-password-1"},
                                auth=(ADMIN.name, ADMIN.password))
        assert created.status_code == 200, created.text
        yield process


def _request(path: str, body: bytes = b"", auth: str | None = None, method: str = "POST") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
             f"Content-Length: {len(body)}"]
    if auth:
        lines.append("Authorization: Basic " + base64.b64encode(auth.encode()).decode())
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _read_response(stream) -> tuple[int, dict[str, str], bytes]:
    status_line = stream.readline()
    assert status_line, "the server closed the connection without a response"
    status = int(status_line.split()[1])
    headers = {}
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    body = stream.read(int(headers.get("content-length", 0)))
    return status, headers, body


CASES = {
    "no credentials": dict(path="/api/2.0/mlflow/experiments/create", auth=None, status=401),
    "wrong password": dict(path="/api/2.0/mlflow/experiments/create", auth="admin:wrong-password", status=401),
    "unknown route": dict(path="/api/2.0/mlflow/no-such-route", auth=None, status=404),
    "forbidden": dict(path="/api/2.0/mlflow/experiments/create", auth="outsider:an-outsider-password-1",
                      status=403),
    "anonymous": dict(path="/api/3.0/mlflow/workspaces", auth=None, status=401),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_next_request_on_the_connection_is_answered(server, case):
    spec = CASES[case]
    port = int(server.url.rsplit(":", 1)[1])
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock, sock.makefile("rb") as stream:
            sock.sendall(_request(spec["path"], BODY, spec["auth"]))
            status, headers, _ = _read_response(stream)
            assert status == spec["status"]
            if headers.get("connection", "").lower() == "close":
                continue  # the server said so: the client opens a new connection
            sock.sendall(_request("/health", method="GET"))
            status, _, body = _read_response(stream)
            assert status == 200, body


def test_a_forbidden_request_with_a_body_keeps_the_connection_usable(server):
    port = int(server.url.rsplit(":", 1)[1])
    admin = f"{ADMIN.name}:{ADMIN.password}"
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock, sock.makefile("rb") as stream:
        # a body that fails validation (too long a name) and one that is not JSON at all
        for body in (BODY, b"{" * 70_000):
            sock.sendall(_request("/api/2.0/mlflow/experiments/create", body, admin))
            status, headers, _ = _read_response(stream)
            assert status == 400
            assert headers.get("connection", "").lower() != "close"  # small bodies are drained
            sock.sendall(_request("/health", method="GET"))
            assert _read_response(stream)[0] == 200


def test_the_home_page_says_what_this_server_is_without_credentials(server):
    # The client prints "View run at http://host/#/experiments/..." for every run: that lands here.
    response = requests.get(f"{server.url}/")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    page = response.text
    assert "MLflow-compatible tracking server" in page and "MLFLOW_TRACKING_USERNAME" in page
    assert f"MLFLOW_TRACKING_URI={server.url}" in page and 'href="/openapi.json"' in page
    assert "<script" not in page
    # it names nobody and nothing of any workspace
    assert "outsider" not in page and ADMIN.name not in page.replace("admin created", "")


def test_a_body_a_little_over_the_size_limit_gets_its_413_on_a_connection_that_stays_open(server):
    port = int(server.url.rsplit(":", 1)[1])
    admin = f"{ADMIN.name}:{ADMIN.password}"
    over = b'{"name": "' + b"x" * (33 * 1024 * 1024) + b'"}'  # the limit is 32 MiB
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock, sock.makefile("rb") as stream:
        sock.sendall(_request("/api/2.0/mlflow/experiments/create", over, admin))
        status, headers, body = _read_response(stream)
        assert status == 413 and b"REQUEST_LIMIT_EXCEEDED" in body
        sock.sendall(_request("/health", method="GET"))
        assert _read_response(stream)[0] == 200
