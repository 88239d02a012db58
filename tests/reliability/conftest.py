"""Helpers of the reliability tests (issue 6): servers with the auth layer and several gunicorn
workers, keep-alive connections pinned to one worker each, the workers' pids, and private
PostgreSQL clusters that a test may stop and start (the shared test cluster is never stopped).
"""

from __future__ import annotations

import base64
import glob
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import POSTGRES_URI, ServerProcess, free_port

ADMIN, ADMIN_PASSWORD = "admin", "admin-password-1234"
PASSWORD = "a-good-password-123"
API = "/api/2.0/mlflow"
needs_postgres = pytest.mark.skipif(not POSTGRES_URI, reason="set WSAUTH_TEST_POSTGRES_URI to run the PostgreSQL tests")


def basic(username: str, password: str = PASSWORD) -> dict[str, str]:
    """The Authorization header of a user."""
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


ADMIN_AUTH = basic(ADMIN, ADMIN_PASSWORD)


def write_ini(folder: Path, database_uri: str, default_permission: str = "NO_PERMISSIONS") -> Path:
    """A basic_auth.ini for an auth database at database_uri."""
    path = folder / f"basic_auth-{uuid.uuid4().hex[:6]}.ini"
    path.write_text(f"[mlflow]\ndefault_permission = {default_permission}\ndatabase_uri = {database_uri}\n"
                    f"admin_username = {ADMIN}\nadmin_password = {ADMIN_PASSWORD}\n"
                    "grant_default_workspace_access = true\n")
    return path


def auth_server(folder: Path, tracking_uri: str, auth_uri: str, workers: int = 1,
                ini: Path | None = None) -> ServerProcess:
    """A `wsauth server --app-name basic-auth --enable-workspaces` on these databases."""
    ini = ini or write_ini(folder, auth_uri)
    args = ["--app-name", "basic-auth", "--enable-workspaces", "--backend-store-uri", tracking_uri,
            "--workers", str(workers), "--artifacts-destination", str(folder / "mlartifacts")]
    return ServerProcess(args, folder, {"MLFLOW_AUTH_CONFIG_PATH": str(ini)})


def stop_now(*servers: ServerProcess) -> None:
    """Kill servers and their workers outright: a graceful stop costs seconds per server, and these
    tests show that a killed server loses nothing it acknowledged."""
    for server in servers:
        if server.process.poll() is None:
            workers = children(server.process.pid)
            server.process.kill()  # the master first, so that it starts no new worker
            for worker in workers:
                try:
                    os.kill(worker, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            server.process.wait()


# --- gunicorn workers ---------------------------------------------------------------------------

def children(pid: int) -> set[int]:
    """The pids whose parent is pid (a gunicorn master's workers)."""
    found = set()
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = Path(stat).read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[1]) == pid:
            found.add(int(stat.split("/")[2]))
    return found


def wait_for_workers(server: ServerProcess, count: int, deadline: float = 30) -> set[int]:
    """The master's workers, once there are `count` of them."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        workers = children(server.process.pid)
        if len(workers) == count:
            return workers
        time.sleep(0.05)
    raise AssertionError(f"expected {count} workers, found {children(server.process.pid)}")


def _server_sockets(port: int) -> dict[int, int]:
    """{client port: socket inode} of the server side of established connections to port."""
    found = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
        if int(local.split(":")[1], 16) == port and state == "01":  # 01: ESTABLISHED
            found[int(remote.split(":")[1], 16)] = inode
    return found


def _socket_owners(pids: set[int]) -> dict[int, int]:
    """{socket inode: pid} of the sockets these processes hold."""
    owners = {}
    for pid in pids:
        for fd in glob.glob(f"/proc/{pid}/fd/*"):
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                owners[int(target[8:-1])] = pid
    return owners


def serves_a_connection(server: ServerProcess, worker: int) -> bool:
    """Whether the worker holds an accepted, open client connection (a request in progress, for
    clients that use one connection per request)."""
    owned = _socket_owners({worker})
    return any(inode in owned for inode in _server_sockets(server.port).values())


def replacement_of(server: ServerProcess, worker: int, deadline: float = 60) -> int:
    """The pid of the worker gunicorn started after `worker` died."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        others = children(server.process.pid) - {worker}
        if others:
            return others.pop()
        time.sleep(0.05)
    raise AssertionError(f"no worker replaced {worker}")


class Connection:
    """One keep-alive HTTP connection: every request on it is served by the same worker."""

    def __init__(self, port: int):
        self.port = port
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        """(status, JSON body or None, raw text) of one request."""
        data = json.dumps(body) if body is not None else None
        self.http.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        response = self.http.getresponse()
        raw = response.read().decode()
        try:
            return response.status, json.loads(raw), raw
        except ValueError:
            return response.status, None, raw

    def worker(self, workers: set[int]) -> int | None:
        """The pid of the worker holding this connection (None if none does)."""
        client_port = self.http.sock.getsockname()[1]
        inode = _server_sockets(self.port).get(client_port)
        return _socket_owners(workers).get(inode)

    def close(self) -> None:
        self.http.close()


def connection_per_worker(server: ServerProcess, workers: set[int], deadline: float = 120) -> dict[int, Connection]:
    """{worker pid: an open connection it serves} for every worker. Connections go to whichever
    worker accepts first (a worker still importing, or busy, accepts none), so new ones are
    opened until each worker holds one; the deadline only bounds a worker that never answers.
    While the search goes on, the connections found are kept in use (well within the server's
    5-s keep-alive), so that a slow search on a loaded machine does not let them close."""
    pinned: dict[int, Connection] = {}
    used: dict[int, float] = {}
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        for owner, held in pinned.items():
            if time.monotonic() - used[owner] > 1:
                assert held.call("GET", "/health")[0] == 200
                used[owner] = time.monotonic()
        connection = Connection(server.port)
        status, _, _ = connection.call("GET", "/health")
        assert status == 200
        owner = connection.worker(workers)
        if owner is not None and owner not in pinned:
            pinned[owner], used[owner] = connection, time.monotonic()
            if len(pinned) == len(workers):
                return pinned
        else:
            connection.close()
            time.sleep(0.01)  # let a slower worker reach accept()
    raise AssertionError(f"only workers {sorted(pinned)} of {sorted(workers)} answered within {deadline} s")


# --- private PostgreSQL clusters ----------------------------------------------------------------

def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2].split(".")[0]))
    if not found:
        raise RuntimeError("no PostgreSQL binaries in /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    return Path(found[-1])


def _as_postgres(*command: str) -> None:
    # PostgreSQL refuses to run as root; .ci/run uses the 'postgres' account the same way.
    prefix = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    subprocess.run([*prefix, *command], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class PrivateCluster:
    """A PostgreSQL cluster of one test, on a free port, that the test stops and starts at will."""

    def __init__(self, template: "PrivateCluster | None" = None):
        self.folder = Path(tempfile.mkdtemp(prefix="wsauth-reliability-pg-"))
        self.data = self.folder / "data"
        if template is None:
            if os.getuid() == 0:
                shutil.chown(self.folder, "postgres")
            _as_postgres(str(_pg_bin() / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-N")
        else:  # a copy of a stopped cluster is a cluster too, and cheaper than initdb
            subprocess.run(["cp", "-a", str(template.data), str(self.data)], check=True)
            shutil.copystat(template.folder, self.folder)
            if os.getuid() == 0:
                shutil.chown(self.folder, "postgres")
        self.port = free_port()
        self.running = False

    def uri(self, database: str = "postgres") -> str:
        """A URI of one of the cluster's databases."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Start the cluster and wait until it accepts connections."""
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c full_page_writes=off -c max_connections=100 -c shared_buffers=16MB")
        _as_postgres(str(_pg_bin() / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"),
                     "-w", "-o", options, "start")
        self.running = True

    def stop(self) -> None:
        """Stop the cluster at once, dropping every connection (as a crashed or restarted database would)."""
        _as_postgres(str(_pg_bin() / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self.running = False

    def create_database(self, name: str) -> str:
        """A new database in the cluster; its URI."""
        engine = create_engine(self.uri().replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.uri(name)

    def remove(self) -> None:
        """Stop the cluster if it runs, and delete its files."""
        if self.running:
            try:
                self.stop()
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def private_clusters():
    """private_clusters(n) -> n started PostgreSQL clusters of this test, removed afterwards."""
    made: list[PrivateCluster] = []

    def make(count: int) -> list[PrivateCluster]:
        first = PrivateCluster()
        made.append(first)
        made.extend(PrivateCluster(template=first) for _ in range(count - 1))
        for cluster in made[-count:]:
            cluster.start()
        return made[-count:]

    yield make
    for cluster in made:
        cluster.remove()


def kill(pid: int) -> None:
    """SIGKILL a process (a worker: its master starts another)."""
    os.kill(pid, signal.SIGKILL)
