#!/usr/bin/env python3
"""Scale measurement (issue 5, item 4): how the latency of an authorized get, a search page and a
denied request grows from the load harness's small setup to 10,000 users, 1,000 workspaces,
100,000 experiments and 200,000 grants.

For each size it seeds a fresh database directly (SQLAlchemy Core bulk inserts into wsauth's own
tables, after the real tracking and auth migrations), starts a real `wsauth server` with the
basic-auth layer on it, and times sequential requests of a few probe users over one keep-alive
connection. The sizes are measured in turns, round after round, so that a change in the machine's
background load touches every size alike; each figure is the median over the rounds. It also
times the store calls behind a request directly, to show which cost grows.

Needs the wsauth repository installed (it imports its models and stores), unlike bench/harness.py.

    python bench/scale.py --sizes small,tenth,full
    python bench/scale.py --sizes small,full --database postgresql://user:pw@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from base64 import b64encode
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.engine import Connection, make_url

from auth import passwords
from auth.models import ExperimentGrantRow, UserRow, WorkspaceGrantRow
from auth.schema import migrate as migrate_auth
from auth.store import AuthStore
from tracking.artifacts import experiment_location, run_artifact_uri
from tracking.settings import PROXY_ROOT
from tracking.store import schema
from tracking.store.db import Database
from tracking.store.experiments import ExperimentStore
from tracking.store.models import (
    ExperimentRow, ExperimentTagRow, LatestMetricRow, MetricRow, ParamRow, RunRow, RunTagRow, WorkspaceRow,
)
from tracking.hostapi import Visibility

WSAUTH = str(Path(sys.executable).with_name("wsauth"))
PASSWORD = "scale-bench-password"  # every seeded user's; hashed once
ADMIN = "admin"
API = "/api/2.0/mlflow"
START_MS = 1_700_000_000_000


@dataclass(frozen=True)
class Size:
    """How big a population is. `grants` counts workspace grants and experiment grants together."""

    name: str
    workspaces: int
    users: int
    experiments: int
    grants: int

    @property
    def per_workspace(self) -> int:
        return self.experiments // self.workspaces

    @property
    def workspaces_per_user(self) -> float:
        return min(3.0, 0.15 * self.workspaces)


SIZES = {
    # the load harness's default population (bench/population.py): 10 workspaces, 50 users, 200 experiments
    "small": Size("small", 10, 50, 200, 150),
    "tenth": Size("tenth", 100, 1_000, 10_000, 20_000),
    "full": Size("full", 1_000, 10_000, 100_000, 200_000),
}

# Workspace levels of ordinary users, and explicit levels on experiments inside and outside their
# workspaces (inside they mostly narrow or widen the workspace grant; outside they open one experiment).
WORKSPACE_LEVELS = {"READ": 30, "USE": 15, "EDIT": 30, "MANAGE": 10, "NO_PERMISSIONS": 15}
INSIDE_LEVELS = {"NO_PERMISSIONS": 30, "READ": 30, "EDIT": 25, "MANAGE": 15}
OUTSIDE_LEVELS = {"READ": 50, "USE": 15, "EDIT": 25, "MANAGE": 10}
DELETED_SHARE = 0.03  # experiments in the deleted state (with their runs)
PROBE_GRANTS = 20


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the JSON report."""
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# the population (pure: rows as dicts, drawn from a seeded generator)


@dataclass
class Population:
    """Rows for every table, and the probe users' targets."""

    tables: dict[str, list[dict]] = field(default_factory=dict)
    probe_workspace: str = ""
    targets: dict[str, list[str]] = field(default_factory=dict)  # kind -> experiment ids to cycle through
    visible: dict[str, int] = field(default_factory=dict)  # probe user -> experiments it may see in the workspace

    def add(self, table: str, row: dict) -> None:
        self.tables.setdefault(table, []).append(row)

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in self.tables.items()}


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def workspace_name(index: int) -> str:
    return f"team-{index:04d}"


def draw(size: Size, seed: int, password_hash: str) -> Population:
    """The whole population of a size; the same size and seed give the same rows."""
    rng = random.Random(seed)
    population = Population()
    workspaces = [workspace_name(i) for i in range(size.workspaces)]
    experiments = _draw_experiments(population, size, workspaces, rng)
    users = [f"user-{i:05d}" for i in range(size.users - 2)]
    for number, username in enumerate([*users, "probe-member", "probe-explicit"], start=1):
        population.add("users", {"id": number, "username": username, "password_hash": password_hash,
                                 "is_admin": False})
    user_ids = {row["username"]: row["id"] for row in population.tables["users"]}
    grants = Grants(population, user_ids)
    _probe_grants(grants, workspaces, experiments, rng)
    members = _draw_workspace_grants(grants, size, users, workspaces, rng)
    _draw_experiment_grants(grants, size, users, workspaces, experiments, members, rng)
    _draw_runs(population, experiments, members, rng)
    return population


def _draw_experiments(population: Population, size: Size, workspaces: list[str],
                      rng: random.Random) -> dict[str, list[dict]]:
    """size.per_workspace experiments in every workspace, ids from 1 (0 is the migration's Default)."""
    by_workspace: dict[str, list[dict]] = {}
    for w, workspace in enumerate(workspaces):
        population.add("workspaces", {"name": workspace, "description": f"Scale benchmark team {w}",
                                      "default_artifact_root": None})
        for j in range(size.per_workspace):
            experiment_id = 1 + w * size.per_workspace + j
            created = START_MS + experiment_id * 1000 + rng.randrange(1000)
            deleted = rng.random() < DELETED_SHARE
            row = {
                "experiment_id": experiment_id, "workspace": workspace, "name": f"experiment-{j:03d}",
                "artifact_location": experiment_location(PROXY_ROOT, workspace, None, str(experiment_id), True),
                "lifecycle_stage": "deleted" if deleted else "active", "creation_time": created,
                "last_update_time": created + 5000 if deleted else created,
                "deleted_time": created + 5000 if deleted else None,
            }
            population.add("experiments", row)
            population.add("experiment_tags", {"experiment_id": experiment_id, "key": "mlflow.note.content",
                                               "value": f"Experiment {j} of {workspace}"})
            by_workspace.setdefault(workspace, []).append(row)
    return by_workspace


class Grants:
    """Adds grant rows, at most one per (user, workspace) and per (user, experiment)."""

    def __init__(self, population: Population, user_ids: dict[str, int]):
        self.population, self.user_ids = population, user_ids
        self.on_workspaces: dict[str, dict[str, str]] = {}
        self.on_experiments: set[tuple[str, int]] = set()
        self.workspace_grants = 0

    def workspace(self, user: str, workspace: str, level: str) -> None:
        mine = self.on_workspaces.setdefault(user, {})
        if workspace not in mine:
            mine[workspace] = level
            self.workspace_grants += 1
            self.population.add("workspace_permissions", {"workspace": workspace, "user_id": self.user_ids[user],
                                                          "permission": level})

    def experiment(self, user: str, experiment_id: int, level: str) -> bool:
        if (user, experiment_id) in self.on_experiments:
            return False
        self.on_experiments.add((user, experiment_id))
        self.population.add("experiment_permissions", {
            "id": len(self.on_experiments), "experiment_id": str(experiment_id),
            "user_id": self.user_ids[user], "permission": level})
        return True

    def count(self) -> int:
        return self.workspace_grants + len(self.on_experiments)


def _probe_grants(grants: Grants, workspaces: list[str], experiments: dict[str, list[dict]],
                  rng: random.Random) -> None:
    """The two measured users have the same profile at every size: a workspace reader with
    PROBE_GRANTS explicit grants (a few inside the workspace, hiding or widening), and a user who
    sees the workspace only through PROBE_GRANTS explicit READ grants (half of them inside)."""
    probe = workspaces[len(workspaces) // 2]
    population = grants.population
    population.probe_workspace = probe
    active = [row["experiment_id"] for row in experiments[probe] if row["lifecycle_stage"] == "active"]
    rng.shuffle(active)
    elsewhere = [row["experiment_id"] for w in workspaces if w != probe for row in experiments[w]
                 if row["lifecycle_stage"] == "active"]
    others = rng.sample([w for w in workspaces if w != probe], 2)
    for workspace, level in ((probe, "READ"), (others[0], "USE"), (others[1], "EDIT")):
        grants.workspace("probe-member", workspace, level)
    hidden, widened, plain = active[:2], active[2:4], active[4:]
    for experiment_id in hidden:
        grants.experiment("probe-member", experiment_id, "NO_PERMISSIONS")
    for experiment_id in widened:
        grants.experiment("probe-member", experiment_id, "EDIT")
    for n, experiment_id in enumerate(rng.sample(elsewhere, PROBE_GRANTS - 4)):
        grants.experiment("probe-member", experiment_id, ("READ", "USE", "EDIT", "MANAGE")[n % 4])
    half = PROBE_GRANTS // 2
    grants.workspace("probe-explicit", others[0], "READ")
    granted = plain[:half]
    for experiment_id in granted + rng.sample(elsewhere, PROBE_GRANTS - half):
        grants.experiment("probe-explicit", experiment_id, "READ")
    # get: readable through the workspace grant alone; get_explicit: through an explicit grant;
    # denied: in a workspace the user has no grant on, without an explicit grant
    population.targets = {"get": [str(i) for i in plain[:20]],
                          "get_explicit": [str(i) for i in granted],
                          "denied": [str(i) for i in plain[half:half + 20]]}
    population.visible = {"probe-member": len(active) - len(hidden), "probe-explicit": len(granted)}


def _draw_workspace_grants(grants: Grants, size: Size, users: list[str], workspaces: list[str],
                           rng: random.Random) -> dict[str, list[str]]:
    """Every user is a member of 1 to 2m-1 workspaces (m on average), at any level; returns the
    members of each workspace who may create experiments in it (EDIT, MANAGE)."""
    spread = max(1, round(2 * size.workspaces_per_user - 1))
    creators: dict[str, list[str]] = {}
    for user in users:
        for workspace in rng.sample(workspaces, min(len(workspaces), 1 + rng.randrange(spread))):
            level = _pick(rng, WORKSPACE_LEVELS)
            grants.workspace(user, workspace, level)
            if level in ("EDIT", "MANAGE"):
                creators.setdefault(workspace, []).append(user)
    return creators


def _draw_experiment_grants(grants: Grants, size: Size, users: list[str], workspaces: list[str],
                            experiments: dict[str, list[dict]], creators: dict[str, list[str]],
                            rng: random.Random) -> None:
    """Fill the grant budget: first creators' MANAGE (about half the explicit grants, at most one per
    experiment), then explicit grants of users inside and outside their workspaces."""
    budget = max(0, size.grants - grants.count())
    wanted_creators = min(size.experiments, budget // 2)
    pool = [row for rows in experiments.values() for row in rows]
    for row in rng.sample(pool, wanted_creators):
        candidates = creators.get(row["workspace"])
        if candidates:
            grants.experiment(rng.choice(candidates), row["experiment_id"], "MANAGE")
    while grants.count() < size.grants:
        user = rng.choice(users)
        if rng.random() < 0.5:
            workspace, levels = rng.choice(list(grants.on_workspaces[user])), INSIDE_LEVELS
        else:
            workspace, levels = rng.choice(workspaces), OUTSIDE_LEVELS
        grants.experiment(user, rng.choice(experiments[workspace])["experiment_id"], _pick(rng, levels))


def _draw_runs(population: Population, experiments: dict[str, list[dict]], creators: dict[str, list[str]],
               rng: random.Random) -> None:
    """One finished run per experiment, with its name and user tags, two params and one metric."""
    for workspace, rows in experiments.items():
        for row in rows:
            run_id = f"{rng.getrandbits(128):032x}"
            user = rng.choice(creators.get(workspace) or ["user-00000"])
            start = row["creation_time"] + 1000
            population.add("runs", {
                "run_uuid": run_id, "experiment_id": row["experiment_id"], "name": f"run-{row['experiment_id']}",
                "user_id": user, "status": "FINISHED", "start_time": start, "end_time": start + 60_000,
                "lifecycle_stage": row["lifecycle_stage"], "deleted_time": row["deleted_time"],
                "artifact_uri": run_artifact_uri(row["artifact_location"], run_id)})
            for key, value in (("mlflow.runName", f"run-{row['experiment_id']}"), ("mlflow.user", user)):
                population.add("tags", {"run_uuid": run_id, "key": key, "value": value})
            for key, value in (("learning_rate", f"{rng.choice([0.1, 0.01, 0.001])}"),
                               ("batch_size", str(rng.choice([32, 64, 128])))):
                population.add("params", {"run_uuid": run_id, "key": key, "value": value})
            point = {"run_uuid": run_id, "key": "loss", "value": round(rng.random(), 6),
                     "timestamp": start + 30_000, "step": 0, "is_nan": False}
            population.add("metrics", dict(point))
            population.add("latest_metrics", point)


# --------------------------------------------------------------------------------------------
# the database


TABLES = {
    "workspaces": WorkspaceRow, "experiments": ExperimentRow, "experiment_tags": ExperimentTagRow,
    "runs": RunRow, "tags": RunTagRow, "params": ParamRow, "metrics": MetricRow,
    "latest_metrics": LatestMetricRow, "users": UserRow, "workspace_permissions": WorkspaceGrantRow,
    "experiment_permissions": ExperimentGrantRow,
}


def fresh_database(base: str | None, size: str, folder: Path) -> str:
    """An empty database for one size: a new SQLite file in `folder`, or a new PostgreSQL
    database next to the one `base` names (dropped first when it exists)."""
    if not base:
        path = folder / f"scale-{size}.db"
        for suffix in ("", "-wal", "-shm", ".migration-lock"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    url = make_url(base)
    if url.get_backend_name() != "postgresql":
        raise SystemExit(f"--database must be a PostgreSQL URI, not {url.get_backend_name()}")
    name = f"wsauth_scale_{size}"
    admin = create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def seed(uri: str, population: Population) -> dict[str, float]:
    """Migrate the empty database (tracking, then auth) and bulk-insert the population; returns
    how long each step took."""
    timings = {}
    started = time.perf_counter()
    database = Database(uri)
    try:
        schema.upgrade(database.engine)
        migrate_auth(database)
        timings["migrate_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        with database.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                # Outside the transaction, for this connection only: the rows are consistent by
                # construction, and a large page cache keeps the indexes in memory while they grow.
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.exec_driver_sql("PRAGMA cache_size=-262144")
                connection.commit()
            with connection.begin():
                for name, model in TABLES.items():
                    insert_rows(connection, model.__table__, in_key_order(model, population.tables.get(name, [])))
                if connection.dialect.name == "postgresql":
                    _advance_sequences(connection)
        timings["insert_seconds"] = time.perf_counter() - started
        if database.engine.dialect.name == "postgresql":
            started = time.perf_counter()
            with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ANALYZE"))  # what autovacuum would soon do after bulk loads
            timings["analyze_seconds"] = time.perf_counter() - started
    finally:
        database.dispose()
    return timings


def in_key_order(model, rows: list[dict]) -> list[dict]:
    """Rows sorted by primary key: appending to an index is much cheaper than inserting at random
    places (run ids are random)."""
    columns = [column.name for column in model.__table__.primary_key.columns]
    if not rows or not all(c in rows[0] for c in columns):
        return rows
    return sorted(rows, key=lambda row: tuple(row[c] for c in columns))


def insert_rows(connection: Connection, table, rows: list[dict]) -> None:
    """Bulk insert through the driver (COPY on PostgreSQL, executemany on SQLite): SQLAlchemy's
    per-row parameter handling would cost more than the database's own work."""
    if not rows:
        return
    columns = list(rows[0])
    values = ([row[c] for c in columns] for row in rows)
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with driver.cursor().copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
    elif connection.dialect.name == "sqlite":
        driver.executemany(f"INSERT INTO {table.name} ({', '.join(columns)}) "
                           f"VALUES ({', '.join('?' for _ in columns)})", values)
    else:
        connection.execute(insert(table), rows)


def _advance_sequences(connection: Connection) -> None:
    # Explicit ids do not move PostgreSQL's sequences; the server's next insert must not collide.
    for table, column in (("experiments", "experiment_id"), ("users", "id"), ("experiment_permissions", "id"),
                          ("metrics", "id")):
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
            f"(SELECT COALESCE(MAX({column}), 0) + 1 FROM {table}), false)"))


def database_bytes(uri: str) -> int:
    """The size of the database on disk."""
    url = make_url(uri)
    if url.get_backend_name() == "sqlite":
        return sum(os.path.getsize(p) for p in (url.database, f"{url.database}-wal") if os.path.exists(p))
    engine = create_engine(url.set(drivername="postgresql+psycopg"))
    with engine.connect() as connection:
        value = connection.execute(text("SELECT pg_database_size(current_database())")).scalar()
    engine.dispose()
    return int(value)


# --------------------------------------------------------------------------------------------
# the server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A real `wsauth server` with the basic-auth layer on one database, one worker."""

    def __init__(self, uri: str, folder: Path, name: str):
        self.port = free_port()
        self.admin_password = secrets.token_urlsafe(18)
        config = folder / f"basic_auth-{name}.ini"
        config.write_text(
            "[mlflow]\ndefault_permission = READ\n"
            f"database_uri = {uri}\nadmin_username = {ADMIN}\nadmin_password = {self.admin_password}\n"
            "grant_default_workspace_access = false\n")
        self.log = folder / f"server-{name}.log"
        command = [WSAUTH, "server", "--app-name", "basic-auth", "--enable-workspaces",
                   "--backend-store-uri", uri, "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
                   "--artifacts-destination", str(folder / "artifacts")]
        with open(self.log, "w") as output:
            self.process = subprocess.Popen(command, cwd=folder, stdout=output, stderr=subprocess.STDOUT,
                                            env={**os.environ, "MLFLOW_AUTH_CONFIG_PATH": str(config)})
        self._wait()

    def _wait(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                client = Client(self.port, None)
                if client.call("GET", "/health")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not start: {self.log.read_text()[-2000:]}")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server's processes have used so far (Linux /proc)."""
        total, pending = 0, [self.process.pid]
        while pending:
            pid = pending.pop()
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                continue
            total += sum(int(v) for v in stat[stat.rindex(")") + 2:].split()[11:13])
            pending += [int(child) for child in children]
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Client:
    """One keep-alive HTTP connection, signed in as one user."""

    def __init__(self, port: int, username: str | None, password: str = PASSWORD):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Content-Type": "application/json"}
        if username:
            token = b64encode(f"{username}:{password}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"

    def call(self, method: str, path: str, body: dict | None = None,
             workspace: str | None = None) -> tuple[int, bytes, float]:
        """(status, body, seconds) of one request; a connection the server closed is reopened once
        and that attempt is the one timed."""
        headers = dict(self.headers, **({"X-MLFLOW-WORKSPACE": workspace} if workspace else {}))
        payload = json.dumps(body) if body is not None else None
        for attempt in (1, 2):
            try:
                started = time.perf_counter()
                self.connection.request(method, path, payload, headers)
                response = self.connection.getresponse()
                data = response.read()
                return response.status, data, time.perf_counter() - started
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.connection.close()


# --------------------------------------------------------------------------------------------
# what is measured


@dataclass(frozen=True)
class Kind:
    """One kind of request: who sends it, what, and the status it must get."""

    name: str
    user: str
    status: int
    search: bool = False
    target: str | None = None  # which of Population.targets it cycles through
    max_results: int = 100


KINDS = (
    Kind("get", "probe-member", 200, target="get"),                  # allowed by the workspace grant
    Kind("get_explicit", "probe-explicit", 200, target="get_explicit"),  # allowed by an explicit grant
    Kind("get_admin", ADMIN, 200, target="get"),                       # no decision: the host's own cost
    Kind("search", "probe-member", 200, search=True),                # workspace reader, 2 hidden ids
    Kind("search_only", "probe-explicit", 200, search=True),         # only its explicitly readable ids
    Kind("search_10", "probe-member", 200, search=True, max_results=10),  # same page size at every size
    Kind("denied", "probe-explicit", 403, target="denied"),
)
TARGETS = {"get": 1.5, "get_explicit": 1.5, "search": 2.0, "search_only": 2.0}


def run_kind(server: Server, population: Population, kind: Kind, requests: int, warmup: int) -> dict:
    """Warm up, then time `requests` sequential requests of one kind; checks every answer."""
    password = server.admin_password if kind.user == ADMIN else PASSWORD
    client = Client(server.port, kind.user, password)
    workspace = population.probe_workspace
    ids = population.targets.get(kind.target or "", [])
    samples, items, cpu = [], 0, 0.0
    try:
        for n in range(warmup + requests):
            if n == warmup:
                cpu = server.cpu_seconds()
            if kind.search:
                status, data, seconds = client.call("POST", f"{API}/experiments/search",
                                                    {"max_results": kind.max_results}, workspace)
            else:
                status, data, seconds = client.call(
                    "GET", f"{API}/experiments/get?experiment_id={ids[n % len(ids)]}", None, workspace)
            if status != kind.status:
                raise RuntimeError(f"{kind.name}: expected {kind.status}, got {status}: {data[:300]!r}")
            if n >= warmup:
                samples.append(seconds)
                if kind.search and n == warmup:
                    items = len(json.loads(data).get("experiments", []))
                    expected = min(kind.max_results, population.visible[kind.user])
                    if items != expected:
                        raise RuntimeError(f"{kind.name}: the page holds {items} experiments, expected {expected}")
        cpu = server.cpu_seconds() - cpu
    finally:
        client.close()
    return {"p50": percentile(samples, 50), "p95": percentile(samples, 95), "items": items,
            "cpu": cpu / requests * 1000}


def percentile(samples: list[float], p: int) -> float:
    """The p-th percentile in milliseconds (nearest rank)."""
    ordered = sorted(samples)
    index = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index] * 1000


def store_calls(database: Database, population: Population) -> dict:
    """The store calls behind the measured requests, on the probe users' data."""
    experiments, auth = ExperimentStore(database), AuthStore(database)
    workspace = population.probe_workspace
    ids = {row["username"]: row["id"] for row in population.tables["users"]}
    member, explicit = ids["probe-member"], ids["probe-explicit"]
    readable = frozenset(k for k, p in auth.readable_grants(explicit, "experiment", workspace).items()
                         if p.allows("read"))
    hidden = frozenset(k for k, p in auth.readable_grants(member, "experiment", workspace).items()
                       if not p.allows("read"))
    target = population.targets["get"][0]

    def page(size: int, visible: Visibility):
        return lambda: experiments.search(workspace, None, None, "ACTIVE_ONLY", size, None, visible)

    return {
        "user_row": lambda: auth.get_user("probe-member"),
        "change_counters": auth.change_counts,
        "workspace_grants_of_user": lambda: auth.workspace_grants_of_user(member),
        "experiment_grants_of_user": lambda: auth.readable_grants(member, "experiment", workspace),
        "experiment_workspace": lambda: experiments.workspace_of(target),
        "experiment_row": lambda: experiments.get(workspace, target),
        "search_page_hidden": page(100, Visibility(hidden=hidden)),
        "search_page_only": page(100, Visibility(only=readable)),
        "search_page_10": page(10, Visibility(hidden=hidden)),
    }


def store_costs(uris: dict[str, str], populations: dict[str, Population], rounds: int = 5,
                repeat: int = 100) -> dict[str, dict[str, dict[str, float]]]:
    """Milliseconds of each store call behind a request, called directly (no HTTP), sizes taking
    turns like the requests: per size and call, the median over `rounds` of the median of `repeat`
    calls, and the fastest call (the cost without interference from other processes)."""
    databases = {size: Database(uri) for size, uri in uris.items()}
    calls = {size: store_calls(databases[size], populations[size]) for size in uris}
    medians: dict[str, dict[str, list[float]]] = {size: {name: [] for name in calls[size]} for size in uris}
    fastest: dict[str, dict[str, float]] = {size: {name: float("inf") for name in calls[size]} for size in uris}
    try:
        for _ in range(rounds):
            for size in uris:
                for name, call in calls[size].items():
                    for _ in range(20):
                        call()
                    samples = []
                    for _ in range(repeat):
                        started = time.perf_counter()
                        call()
                        samples.append(time.perf_counter() - started)
                    medians[size][name].append(statistics.median(samples) * 1000)
                    fastest[size][name] = min(fastest[size][name], min(samples) * 1000)
    finally:
        for database in databases.values():
            database.dispose()
    return {size: {name: {"median": round(statistics.median(values), 3), "fastest": round(fastest[size][name], 3)}
                   for name, values in per.items()} for size, per in medians.items()}


def query_plans(uri: str, population: Population) -> dict[str, list[str]]:
    """The database's plan of every statement each store call sends (EXPLAIN QUERY PLAN on SQLite,
    EXPLAIN on PostgreSQL), captured as the call runs."""
    database = Database(uri)
    sent: list[tuple[str, object]] = []

    def capture(connection, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    plans = {}
    try:
        sqlite = database.engine.dialect.name == "sqlite"
        for name, call in store_calls(database, population).items():
            sent.clear()
            event.listen(database.engine, "before_cursor_execute", capture)
            try:
                call()
            finally:
                event.remove(database.engine, "before_cursor_execute", capture)
            lines = []
            with database.engine.connect() as connection:
                for statement, parameters in list(sent):
                    if not statement.lstrip().upper().startswith("SELECT"):
                        continue
                    rows = connection.exec_driver_sql(
                        ("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement, parameters).all()
                    lines.append(" ".join(statement.split())[:160])
                    lines += ["    " + str(row[-1]) for row in rows]
            plans[name] = lines
    finally:
        database.dispose()
    return plans


# --------------------------------------------------------------------------------------------
# the whole run


def prepare_size(size: Size, base: str | None, folder: Path, seed_value: int, password_hash: str) -> dict:
    """Draw, create, seed; returns what the report says about the size."""
    started = time.perf_counter()
    population = draw(size, seed_value, password_hash)
    drawn = time.perf_counter() - started
    uri = fresh_database(base, size.name, folder)
    log(f"[{size.name}] seeding {uri.split('@')[-1]} ...")
    timings = seed(uri, population)
    counts = population.counts()
    info = {
        "uri": make_url(uri).render_as_string(hide_password=True), "population": population,
        "counts": {"workspaces": counts["workspaces"], "users": counts["users"],
                   "experiments": counts["experiments"], "runs": counts["runs"],
                   "workspace_grants": counts["workspace_permissions"],
                   "experiment_grants": counts["experiment_permissions"],
                   "grants": counts["workspace_permissions"] + counts["experiment_permissions"]},
        "seed": {"draw_seconds": round(drawn, 2), **{k: round(v, 2) for k, v in timings.items()},
                 "total_seconds": round(time.perf_counter() - started, 2)},
        "database_megabytes": round(database_bytes(uri) / 1e6, 1),
        "raw_uri": uri,
    }
    log(f"[{size.name}] {info['counts']} in {info['seed']['total_seconds']} s")
    return info


def measure(sizes: list[Size], prepared: dict, folder: Path, args) -> dict[str, dict[str, list[dict]]]:
    """Start one server per size, then run the rounds: in each, every size in turn, every kind."""
    servers: dict[str, Server] = {}
    rounds: dict[str, dict[str, list[dict]]] = {s.name: {k.name: [] for k in KINDS} for s in sizes}
    try:
        for size in sizes:
            servers[size.name] = Server(prepared[size.name]["raw_uri"], folder, size.name)
        for number in range(1, args.rounds + 1):
            for size in sizes:
                for kind in KINDS:
                    rounds[size.name][kind.name].append(run_kind(
                        servers[size.name], prepared[size.name]["population"], kind, args.requests, args.warmup))
                log(f"round {number}/{args.rounds} [{size.name}] p50 ms: " + ", ".join(
                    f"{k}={v[-1]['p50']:.2f}" for k, v in rounds[size.name].items()))
    finally:
        for server in servers.values():
            server.stop()
    return rounds


def drop_database(base: str, size: str) -> None:
    """Remove a size's PostgreSQL database."""
    engine = create_engine(make_url(base).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "wsauth_scale_{size}" WITH (FORCE)'))
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    sizes = [SIZES[name] for name in args.sizes.split(",")]
    folder = Path(args.workdir or tempfile.mkdtemp(prefix="wsauth-scale-")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    password_hash = passwords.hash_password(PASSWORD)
    prepared = {size.name: prepare_size(size, args.database, folder, args.seed, password_hash) for size in sizes}
    try:
        rounds = measure(sizes, prepared, folder, args)
        log("timing the store calls ...")
        costs = store_costs({s.name: prepared[s.name]["raw_uri"] for s in sizes},
                            {s.name: prepared[s.name]["population"] for s in sizes})
        largest = sizes[-1].name
        plans = query_plans(prepared[largest]["raw_uri"], prepared[largest]["population"])
    finally:
        if not args.keep:
            for size in sizes:
                if args.database:
                    drop_database(args.database, size.name)
            if not args.workdir:
                shutil.rmtree(folder, ignore_errors=True)
    report = build_report(args, sizes, prepared, rounds, costs, load_before)
    report["query_plans"] = {"size": largest, **plans}
    print(json.dumps(report, indent=2))
    return 0


def build_report(args, sizes: list[Size], prepared: dict, rounds: dict, costs: dict, load_before) -> dict:
    """The JSON report. Per size and kind: the median over rounds of p50, p95 and the server's CPU
    milliseconds per request, the range of p50 over rounds; then the ratios of each size to the
    first, and whether the issue's targets hold between the last size and the first."""
    def median_of(per_kind: dict, figure: str) -> dict:
        return {k: round(statistics.median(r[figure] for r in v), 2) for k, v in per_kind.items()}

    def ratios(table: dict, size: str, base: str) -> dict:
        return {k: round(v / table[base][k], 2) for k, v in table[size].items()}

    report = {"database": "postgresql" if args.database else "sqlite", "rounds": args.rounds,
              "requests_per_round": args.requests, "warmup_per_round": args.warmup, "cpus": os.cpu_count(),
              "load_average_before": [round(x, 2) for x in load_before],
              "load_average_after": [round(x, 2) for x in os.getloadavg()]}
    tables = {"sizes": {}, "p50_ms": {}, "p95_ms": {}, "server_cpu_ms": {}, "p50_range_ms": {}, "store_ms": {}}
    for size in sizes:
        info, per_kind = prepared[size.name], rounds[size.name]
        tables["sizes"][size.name] = {
            "counts": info["counts"], "seed": info["seed"], "database_megabytes": info["database_megabytes"],
            "search_items": {k: v[0]["items"] for k, v in per_kind.items() if v[0]["items"]}}
        tables["p50_ms"][size.name] = median_of(per_kind, "p50")
        tables["p95_ms"][size.name] = median_of(per_kind, "p95")
        tables["server_cpu_ms"][size.name] = median_of(per_kind, "cpu")
        tables["p50_range_ms"][size.name] = {
            k: [round(min(r["p50"] for r in v), 2), round(max(r["p50"] for r in v), 2)] for k, v in per_kind.items()}
        tables["store_ms"][size.name] = costs[size.name]
    report.update(tables)
    base = sizes[0].name
    report["ratios_p50"] = {f"{s.name}/{base}": ratios(tables["p50_ms"], s.name, base) for s in sizes[1:]}
    report["ratios_server_cpu"] = {f"{s.name}/{base}": ratios(tables["server_cpu_ms"], s.name, base)
                                   for s in sizes[1:]}
    if len(sizes) > 1:
        pair = f"{sizes[-1].name}/{base}"
        report["targets"] = {
            k: {"limit": limit, "p50_ratio": report["ratios_p50"][pair][k],
                "server_cpu_ratio": report["ratios_server_cpu"][pair][k],
                "met": report["ratios_p50"][pair][k] <= limit}
            for k, limit in TARGETS.items()}
    return report


def options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--sizes", default="small,tenth,full",
                        help=f"comma-separated sizes, smallest first (ratios are to the first): {', '.join(SIZES)}")
    parser.add_argument("--database", help="a PostgreSQL URI whose server gets one fresh database per size "
                                           "(wsauth_scale_<size>); default: SQLite files in --workdir")
    parser.add_argument("--workdir", help="where SQLite databases, configs and server logs go (kept); "
                                          "default: a temporary folder, removed at the end unless --keep")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder and the PostgreSQL databases")
    parser.add_argument("--rounds", type=int, default=3, help="measurement rounds over all sizes")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per kind, size and round")
    parser.add_argument("--warmup", type=int, default=50, help="untimed requests before them")
    parser.add_argument("--seed", type=int, default=5, help="random seed of the population")
    args = parser.parse_args(argv)
    unknown = [s for s in args.sizes.split(",") if s not in SIZES]
    if unknown:
        parser.error(f"unknown size {unknown[0]}; choose from {', '.join(SIZES)}")
    return args


if __name__ == "__main__":
    sys.exit(main())
