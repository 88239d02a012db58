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
The population is drawn in scale_population.py and written by scale_seeding.py; this module
runs the servers, times the requests and writes the report.

    python bench/scale.py --sizes small,tenth,full
    python bench/scale.py --sizes small,full --database postgresql://user:pw@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from base64 import b64encode
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from auth import passwords
from auth.store import AuthStore
from scale_population import SIZES, Population, Size, draw
from scale_seeding import database_bytes, fresh_database, seed
from tracking.hostapi import Visibility
from tracking.store.db import Database
from tracking.store.experiments import ExperimentStore

WSAUTH = str(Path(sys.executable).with_name("wsauth"))
PASSWORD = "scale-bench-password"  # every seeded user's; hashed once
ADMIN = "admin"
API = "/api/2.0/mlflow"


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the JSON report."""
    print(message, file=sys.stderr, flush=True)


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
        return lambda: experiments.search(workspace, None, None, "ACTIVE_ONLY", size, None, visible=visible)

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
