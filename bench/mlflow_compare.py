#!/usr/bin/env python3
"""Compare three MLflow servers of the installed MLflow (issue 12, item 6) under the same workload,
in one run, in alternating rounds, and print a JSON summary of medians and ratios:

    mlflow-wsauth      mlflow server --app-name wsauth       (wsauth's plugin)
    mlflow-no-auth     mlflow server                          (no auth)
    mlflow-basic-auth  mlflow server --app-name basic-auth   (MLflow's own auth)

All three run with --enable-workspaces and the same number of uvicorn workers, each on a fresh
SQLite database, on free ports of 127.0.0.1, started and stopped by this script. MLflow's
basic-auth expresses every grant of the workload (workspace grants and explicit experiment grants,
in both directions), so the full mix runs on all three. See bench/README.md.

    python bench/mlflow_compare.py --rounds 2 --seconds 10
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import Path

import compare
import harness
from compare import Target, free_port, wait_healthy
from rest import basic_auth
from workload import parse_mix

MLFLOW = Path(sys.executable).with_name("mlflow")
ADMIN = "admin"
WSAUTH, NO_AUTH, BASIC_AUTH = "mlflow-wsauth", "mlflow-no-auth", "mlflow-basic-auth"
BASIC_AUTH_INI = """[mlflow]
default_permission = READ
database_uri = {auth_database}
admin_username = {admin}
admin_password = {password}
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
grant_default_workspace_access = false
"""
# Run with MLFLOW_AUTH_CONFIG_PATH set: migrates MLflow's auth database (once, before its workers
# start: they would race on a fresh SQLite file, MLflow's weakness W12) and creates the admin with a
# one-iteration PBKDF2 hash (werkzeug accepts any of its formats), so that the setup, a few thousand
# admin requests that each check the admin's password 2 to 4 times, takes seconds instead of a
# quarter of an hour. The measured users are created through MLflow's REST API: MLflow's own scrypt.
PREPARE_BASIC_AUTH = """
import sys
from werkzeug.security import generate_password_hash
from mlflow.server.auth.db.models import SqlUser
from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore
store = SqlAlchemyStore()
store.init_db(sys.argv[1])
with store.ManagedSessionMaker() as session:
    session.add(SqlUser(username=sys.argv[2], is_admin=True,
                        password_hash=generate_password_hash(sys.stdin.read(), "pbkdf2:sha256:1")))
"""


@contextmanager
def mlflow_server(folder: Path, name: str, workers: int, app_name: str | None, ini: Path | None):
    """An `mlflow server` subprocess in its own session (its uvicorn workers with it), stopped on exit."""
    port = free_port()
    command = [str(MLFLOW), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
               "--enable-workspaces", "--backend-store-uri", f"sqlite:///{folder / (name + '.db')}",
               "--artifacts-destination", str(folder / f"artifacts-{name}"),
               *(["--app-name", app_name] if app_name else [])]
    log_path = folder / f"server-{name}.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=folder, env=server_environment(ini), stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process, log_path, timeout=180)  # MLflow imports a lot before it listens
        harness.log(f"{name}: {url}, pid {process.pid}, log {log_path}")
        yield url, process.pid
    finally:
        _stop(process)


def server_environment(ini: Path | None) -> dict[str, str]:
    """The same environment for the three servers, but for the auth ini: no job runner (its huey
    consumers would count in the server's CPU), the secret key basic-auth refuses to start without."""
    env = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "MLFLOW_WORKSPACE",
                                                              "MLFLOW_AUTH_CONFIG_PATH")}
    env.update(MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false", MLFLOW_FLASK_SERVER_SECRET_KEY=secrets.token_hex(16))
    if ini:
        env["MLFLOW_AUTH_CONFIG_PATH"] = str(ini)
    return env


def _stop(process: subprocess.Popen) -> None:
    for sent, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sent)
            process.wait(wait)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def write_inis(folder: Path, password: str) -> dict[str, Path]:
    """The ini of each server with auth: wsauth's as compare.py writes it, MLflow's basic-auth's
    with the same admin and the same default permission; each its own auth database."""
    inis = {WSAUTH: folder / "wsauth.ini", BASIC_AUTH: folder / "basic_auth.ini"}
    inis[WSAUTH].write_text(compare.INI.format(auth_database=f"sqlite:///{folder / 'wsauth-auth.db'}",
                                               admin=ADMIN, password=password))
    inis[BASIC_AUTH].write_text(BASIC_AUTH_INI.format(auth_database=basic_auth_database(folder),
                                                      admin=ADMIN, password=password))
    return inis


def basic_auth_database(folder: Path) -> str:
    """The URI of MLflow's basic-auth database in the folder."""
    return f"sqlite:///{folder / 'basic-auth-auth.db'}"


def prepare_basic_auth(folder: Path, ini: Path, password: str) -> None:
    """Migrate MLflow's auth database and create its admin before the server starts (see above)."""
    done = subprocess.run([sys.executable, "-c", PREPARE_BASIC_AUTH, basic_auth_database(folder), ADMIN],
                          input=password, text=True, cwd=folder, env=server_environment(ini),
                          capture_output=True, timeout=300)
    if done.returncode:
        raise RuntimeError(f"preparing MLflow's auth database failed:\n{done.stderr[-3000:]}")


def options(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of each server")
    compare.add_load_options(parser, rounds=2, seconds=10)
    sizes = parser.add_argument_group("population (as harness.py)")
    sizes.add_argument("--workspaces", type=int, default=10)
    sizes.add_argument("--users", type=int, default=50)
    sizes.add_argument("--experiments", type=int, default=200)
    sizes.add_argument("--experiment-grants", type=int, default=100)
    parser.add_argument("--without-basic-auth", action="store_true",
                        help="leave MLflow's basic-auth out (the a/c ratio is then not reported)")
    parser.add_argument("--out", help="also write the summary with every round's full report here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, databases)")
    args = parser.parse_args(argv)
    try:
        args.mix = parse_mix(args.mix)
    except ValueError as exc:
        parser.error(str(exc))
    if not MLFLOW.exists():
        parser.error(f"no mlflow script at {MLFLOW}; run this with the Python of the wsauth environment")
    return args


def start_servers(stack: ExitStack, folder: Path, args: argparse.Namespace, password: str) -> list[Target]:
    """Start the servers (wsauth's plugin, no auth, basic-auth) and return them as targets."""
    inis = write_inis(folder, password)
    admin = basic_auth(ADMIN, password)
    plan = [(WSAUTH, "wsauth", inis[WSAUTH], admin), (NO_AUTH, None, None, None)]
    if not args.without_basic_auth:
        prepare_basic_auth(folder, inis[BASIC_AUTH], password)
        plan.append((BASIC_AUTH, "basic-auth", inis[BASIC_AUTH], admin))
    targets = []
    for name, app_name, ini, authorization in plan:
        url, pid = stack.enter_context(mlflow_server(folder, name, args.workers, app_name, ini))
        # MLflow's basic-auth caches no sign-in: a sign-in pass would cost minutes and save nothing
        targets.append(Target(name, url, pid, authorization, sign_in=name != BASIC_AUTH))
    return targets


def summary(targets: list[Target], args: argparse.Namespace, load_at_start: list[float]) -> dict:
    """Medians per server, the ratios of wsauth's plugin to the others, the targets, the failures."""
    medians = {t.name: compare._medians(t) for t in targets}
    ratios, met = {}, {}
    for other, target in ((NO_AUTH, 0.85), (BASIC_AUTH, 10.0)):
        if other not in medians:
            continue
        mine, theirs = medians[WSAUTH], medians[other]
        ratios[f"throughput_wsauth_over_{other}"] = compare._ratio(mine["requests_per_second"],
                                                                   theirs["requests_per_second"])
        ratios[f"p99_wsauth_over_{other}"] = compare._ratio(mine["p99_ms"], theirs["p99_ms"])
        ratios[f"server_cpu_per_request_wsauth_over_{other}"] = compare._ratio(
            mine["server_cpu_ms_per_request"], theirs["server_cpu_ms_per_request"])
        measured = ratios[f"throughput_wsauth_over_{other}"]
        met[f"throughput_wsauth_at_least_{target:g}x_{other}"] = measured is not None and measured >= target
    every = {t.name: [*t.rounds, *t.prime] for t in targets}
    mismatches = {name: sum(r["mismatches"] for r in reports) for name, reports in every.items()}
    met["zero_mismatches"] = not any(mismatches.values())
    return {
        "settings": {"mlflow": _mlflow_version(), "workers": args.workers, "database": "sqlite",
                     "workspaces": True, "rounds": args.rounds, "seconds": args.seconds, "warmup": args.warmup,
                     "prime": args.prime, "clients": args.clients, "mix": args.mix, "cpus": os.cpu_count(),
                     "load_average_at_start": load_at_start,
                     "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "medians": medians,
        "ratios": ratios,
        "targets_met": met,
        "rounds": {t.name: [{"requests_per_second": r["requests_per_second"], "p99_ms": r["latency_ms"]["p99"],
                             "server_cpu_ms_per_request": r["server_cpu_ms_per_request"],
                             "mismatches": r["mismatches"], "errors": r["errors"]} for r in t.rounds]
                   for t in targets},
        "checked_responses": {name: sum(r["checked_responses"] for r in reports) for name, reports in every.items()},
        "mismatches": mismatches,
        "errors": {name: sum(sum(r["errors"].values()) for r in reports) for name, reports in every.items()},
        "failures": [f for reports in every.values() for r in reports for f in r["failures"]][:10],
    }


def _mlflow_version() -> str:
    from importlib.metadata import version

    return version("mlflow")


def main(argv: list[str] | None = None) -> int:
    """Start the servers, set them up, run the rounds, print the summary."""
    args = options(argv)
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    folder = Path(tempfile.mkdtemp(prefix="wsauth-mlflow-bench-"))
    password = secrets.token_urlsafe(18)
    sizes = {"workspaces": args.workspaces, "users": args.users, "experiments": args.experiments,
             "experiment_grants": args.experiment_grants}
    try:
        with ExitStack() as stack:
            targets = start_servers(stack, folder, args, password)
            prefix = f"bench-{secrets.token_hex(3)}"
            for target in targets:
                harness.log(f"setup of {target.name} (prefix {prefix})")
                target.expectations = harness.setup(target.url, target.authorization, prefix, args.seed, sizes,
                                                    args.setup_threads)
            compare.run_rounds(targets, args)
        result = summary(targets, args, load_at_start)
    finally:
        if args.keep:
            harness.log(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result, indent=2))
    if args.out:
        details = {**result, "reports": {t.name: {"prime": t.prime, "rounds": t.rounds} for t in targets}}
        Path(args.out).write_text(json.dumps(details, indent=2) + "\n")
    return 1 if any(result["mismatches"].values()) or any(result["errors"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
