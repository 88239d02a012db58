#!/usr/bin/env python3
"""Compare wsauth with auth on and with auth off (and, optionally, another server given by URL)
under the same workload, in alternating rounds, and print a JSON summary of medians and ratios.

It starts both wsauth servers itself, from the environment it runs in (the `wsauth` script next
to this Python), on fresh databases, with the same number of workers. See bench/README.md.

    python bench/compare.py --rounds 3 --seconds 20
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path

import harness
import load
import report
from rest import basic_auth
from workload import DEFAULT_MIX, parse_mix

WSAUTH = Path(sys.executable).with_name("wsauth")
ADMIN = "admin"
INI = """[mlflow]
default_permission = READ
database_uri = {auth_database}
admin_username = {admin}
admin_password = {password}
grant_default_workspace_access = false
"""


class Target:
    """A server under test: where it is, how to sign in as admin, which process tree it is, and
    whether priming begins with the sign-in pass (worth it where sign-ins are cached)."""

    def __init__(self, name: str, url: str, pid: int | None, authorization: str | None, sign_in: bool = True):
        self.name, self.url, self.pid, self.authorization = name, url, pid, authorization
        self.sign_in = sign_in
        self.expectations: dict | None = None
        self.rounds: list[dict] = []
        self.prime: list[dict] = []  # checks of the unmeasured sign-ins and load before round 1


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, log_path: Path, timeout: float = 90) -> None:
    """Return once GET /health answers 200; RuntimeError with the server's log otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}):\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer /health within {timeout} s:\n{log_path.read_text()[-3000:]}")


@contextmanager
def wsauth_server(folder: Path, name: str, database: str, workers: int, ini: Path | None):
    """A `wsauth server` subprocess (auth on when an ini is given), stopped on exit."""
    port = free_port()
    command = [str(WSAUTH), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
               "--enable-workspaces", "--backend-store-uri", database,
               "--artifacts-destination", str(folder / f"artifacts-{name}")]
    env = dict(os.environ)
    if ini:
        command += ["--app-name", "basic-auth"]
        env["MLFLOW_AUTH_CONFIG_PATH"] = str(ini)
    log_path = folder / f"server-{name}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process, log_path)
        harness.log(f"{name}: {url}, pid {process.pid}, log {log_path}")
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def databases(base: str | None, folder: Path, names: list[str]):
    """name -> URI of a new, empty database each: SQLite files in folder, or PostgreSQL
    databases next to the base URI's (created now, dropped on exit)."""
    if not base or base.startswith("sqlite"):
        yield {name: f"sqlite:///{folder / (name + '.db')}" for name in names}
        return
    import psycopg  # only for PostgreSQL; the wsauth environment has it

    parts = urllib.parse.urlsplit(base.replace("+psycopg", "", 1))
    if parts.scheme not in ("postgresql", "postgres"):
        raise SystemExit(f"--database must be sqlite or postgresql://..., got {parts.scheme}://")
    tag = secrets.token_hex(4)
    created = {name: f"wsauth_bench_{tag}_{name.replace('-', '_')}" for name in names}
    with psycopg.connect(parts._replace(scheme="postgresql").geturl(), autocommit=True) as admin:
        for database in created.values():
            admin.execute(f'CREATE DATABASE "{database}"')
        try:
            yield {name: parts._replace(path="/" + db).geturl() for name, db in created.items()}
        finally:
            for database in created.values():
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def add_load_options(parser: argparse.ArgumentParser, rounds: int, seconds: float) -> None:
    """The options of the rounds and their load, shared with mlflow_compare.py."""
    parser.add_argument("--rounds", type=int, default=rounds, help="rounds per server, alternating servers")
    parser.add_argument("--seconds", type=float, default=seconds, help="measured seconds per round")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds of load before each round")
    parser.add_argument("--prime", type=float, default=5,
                        help="seconds of unmeasured load on each server before the first round")
    parser.add_argument("--clients", type=int, default=8, help="client processes (the same for every server)")
    parser.add_argument("--mix", default=",".join(f"{k}={v}" for k, v in DEFAULT_MIX.items()),
                        help="operation weights (see harness.py)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--setup-threads", type=int, default=4)


def options(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of each wsauth server")
    parser.add_argument("--database", help="base URI: postgresql://user:password@host:port/db creates fresh "
                                           "databases beside it [default: SQLite files in a temporary folder]")
    add_load_options(parser, rounds=3, seconds=20)
    other = parser.add_argument_group("a third server, started by you (e.g. MLflow 3.11.1)")
    other.add_argument("--other-url", help="its base URL")
    other.add_argument("--other-pid", type=int, help="pid of its root process, for its CPU")
    other.add_argument("--other-no-auth", action="store_true", help="it runs without auth")
    other.add_argument("--other-admin-user", help="its admin (with auth)")
    other.add_argument("--other-admin-password", help="its admin's password (with auth)")
    other.add_argument("--other-name", default="other", help="its label in the summary")
    parser.add_argument("--out", help="also write the summary with every round's full report here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, databases)")
    args = parser.parse_args(argv)
    if args.other_url and not args.other_no_auth and not (args.other_admin_user and args.other_admin_password):
        parser.error("--other-url needs --other-no-auth or --other-admin-user and --other-admin-password")
    try:
        args.mix = parse_mix(args.mix)
    except ValueError as exc:
        parser.error(str(exc))
    if not WSAUTH.exists():
        parser.error(f"no wsauth script at {WSAUTH}; run this with the Python of the wsauth environment")
    return args


def run_rounds(targets: list[Target], args: argparse.Namespace) -> None:
    """Prime every target (caches, first sign-ins), then alternate: a round of each, `rounds` times."""
    for target in targets:
        harness.log(f"priming {target.name}: {'every user on new connections, then ' if target.sign_in else ''}"
                    f"{args.prime:g} s of load")
        if target.sign_in:
            target.prime.append(report.checks(load.sign_in_everyone(target.url, target.expectations)))
        if args.prime > 0:
            target.prime.append(harness.measure(target.url, target.expectations, args.clients, args.prime, 0,
                                                args.mix, args.seed, None))
    for number in range(1, args.rounds + 1):
        for target in targets:
            harness.log(f"round {number}/{args.rounds}: {target.name} ({args.seconds:g} s)")
            result = harness.measure(target.url, target.expectations, args.clients, args.seconds, args.warmup,
                                     args.mix, args.seed + number, target.pid)
            harness.log(f"  {result['requests_per_second']} req/s, p99 {result['latency_ms']['p99']} ms, "
                        f"server CPU {result['server_cpu_ms_per_request']} ms/request, "
                        f"mismatches {result['mismatches']}, errors {sum(result['errors'].values())}")
            target.rounds.append(result)


def _median(rounds: list[dict], pick) -> float | None:
    values = [v for v in map(pick, rounds) if v is not None]
    return round(statistics.median(values), 4) if values else None


def _medians(target: Target) -> dict:
    return {
        "requests_per_second": _median(target.rounds, lambda r: r["requests_per_second"]),
        "p50_ms": _median(target.rounds, lambda r: r["latency_ms"]["p50"]),
        "p99_ms": _median(target.rounds, lambda r: r["latency_ms"]["p99"]),
        "server_cpu_ms_per_request": _median(target.rounds, lambda r: r["server_cpu_ms_per_request"]),
        "client_cpu_share_of_machine": _median(target.rounds, lambda r: r["client_cpu_share_of_machine"]),
        "kinds_requests_per_second": {k: _median(target.rounds, lambda r, k=k: r["kinds"][k]["requests_per_second"])
                                      for k in target.rounds[0]["kinds"]},
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 4) if a is not None and b else None


def summary(targets: list[Target], args: argparse.Namespace, database_kind: str) -> dict:
    """Medians per target, the ratios, and the failures of every round."""
    medians = {t.name: _medians(t) for t in targets}
    on, off = medians["wsauth-auth-on"], medians["wsauth-auth-off"]
    ratios = {"throughput_auth_on_over_auth_off": _ratio(on["requests_per_second"], off["requests_per_second"]),
              "p99_auth_on_over_auth_off": _ratio(on["p99_ms"], off["p99_ms"]),
              # steadier than throughput on a busy machine: CPU time is not taken by the neighbours
              "server_cpu_per_request_auth_on_over_auth_off": _ratio(on["server_cpu_ms_per_request"],
                                                                     off["server_cpu_ms_per_request"])}
    for target in targets[2:]:
        ratios[f"throughput_auth_on_over_{target.name}"] = _ratio(on["requests_per_second"],
                                                                 medians[target.name]["requests_per_second"])
        ratios[f"p99_auth_on_over_{target.name}"] = _ratio(on["p99_ms"], medians[target.name]["p99_ms"])
    every = [r for t in targets for r in [*t.rounds, *t.prime]]
    return {
        "settings": {"workers": args.workers, "database": database_kind, "rounds": args.rounds,
                     "seconds": args.seconds, "warmup": args.warmup, "prime": args.prime,
                     "clients": args.clients, "mix": args.mix, "cpus": os.cpu_count(),
                     "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "medians": medians,
        "ratios": ratios,
        "median_server_cpu_ms_per_request_auth_on": on["server_cpu_ms_per_request"],
        "rounds": {t.name: [{"requests_per_second": r["requests_per_second"], "p99_ms": r["latency_ms"]["p99"],
                             "server_cpu_ms_per_request": r["server_cpu_ms_per_request"],
                             "mismatches": r["mismatches"], "errors": r["errors"]} for r in t.rounds]
                   for t in targets},
        "total_mismatches": sum(r["mismatches"] for r in every),
        "total_errors": sum(sum(r["errors"].values()) for r in every),
        "failures": [f for r in every for f in r["failures"]][:10],
    }


def main(argv: list[str] | None = None) -> int:
    """Start the servers, set them up, run the rounds, print the summary."""
    args = options(argv)
    folder = Path(tempfile.mkdtemp(prefix="wsauth-bench-"))
    password = secrets.token_urlsafe(18)
    sizes = {"workspaces": 10, "users": 50, "experiments": 200, "experiment_grants": 100}
    kind = "postgresql" if args.database and not args.database.startswith("sqlite") else "sqlite"
    try:
        with ExitStack() as stack:
            uris = stack.enter_context(databases(args.database, folder, ["on", "on-auth", "off"]))
            ini = folder / "basic_auth.ini"
            ini.write_text(INI.format(auth_database=uris["on-auth"], admin=ADMIN, password=password))
            on_url, on_pid = stack.enter_context(wsauth_server(folder, "auth-on", uris["on"], args.workers, ini))
            off_url, off_pid = stack.enter_context(wsauth_server(folder, "auth-off", uris["off"], args.workers, None))
            targets = [Target("wsauth-auth-on", on_url, on_pid, basic_auth(ADMIN, password)),
                       Target("wsauth-auth-off", off_url, off_pid, None)]
            if args.other_url:
                targets.append(Target(args.other_name, args.other_url.rstrip("/"), args.other_pid,
                                      None if args.other_no_auth
                                      else basic_auth(args.other_admin_user, args.other_admin_password)))
            prefix = f"bench-{secrets.token_hex(3)}"
            for target in targets:
                harness.log(f"setup of {target.name} (prefix {prefix})")
                target.expectations = harness.setup(target.url, target.authorization, prefix, args.seed, sizes,
                                                    args.setup_threads)
            run_rounds(targets, args)
        result = summary(targets, args, kind)
    finally:
        if args.keep:
            harness.log(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result, indent=2))
    if args.out:
        details = {**result, "reports": {t.name: {"prime": t.prime, "rounds": t.rounds} for t in targets}}
        Path(args.out).write_text(json.dumps(details, indent=2) + "\n")
    return 1 if result["total_mismatches"] or result["total_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
