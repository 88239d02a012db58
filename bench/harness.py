#!/usr/bin/env python3
"""Benchmark one MLflow-compatible server: create a population through REST (--setup) or reuse
one (--expectations FILE), run a closed-loop load, check every answer, print a JSON report.

Standard library only, so it runs in any Python 3.10+ environment. See bench/README.md.

    python bench/harness.py --url http://127.0.0.1:5000 --admin-user admin --admin-password ... \\
        --setup --expectations /tmp/pop.json --seconds 20 --server-pid 12345
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys

import load
import population
import process_cpu
import provisioning
import report
from rest import basic_auth
from workload import DEFAULT_MIX, parse_mix

PASSWORD_VARIABLE = "BENCH_ADMIN_PASSWORD"


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the JSON report."""
    print(message, file=sys.stderr, flush=True)


def setup(url: str, authorization: str | None, prefix: str, seed: int, sizes: dict, threads: int = 4) -> dict:
    """Create a population on the server (users and grants only with auth) and return its
    expectations; `authorization` is the admin's Authorization header, None without auth."""
    drawn = population.draw(prefix, seed, **sizes)
    data = provisioning.provision(url, drawn, authorization, threads, log)
    data["seed"], data["sizes"] = seed, sizes
    return data


def measure(url: str, expectations: dict, clients: int, seconds: float, warmup: float,
            mix: dict[str, float], seed: int, server_pid: int | None) -> dict:
    """Run the load against the server and return the report."""
    result = load.run_load(url, expectations, clients, seconds, warmup, mix, seed, server_pid)
    return {"url": url, "auth": expectations["auth"], "prefix": expectations["prefix"], "clients": clients,
            "warmup": warmup, "mix": mix, "server_pid": server_pid, **result}


def options(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    target = parser.add_argument_group("target")
    target.add_argument("--url", required=True, help="base URL of the server, e.g. http://127.0.0.1:5000")
    target.add_argument("--admin-user", help="admin username (not with --no-auth)")
    target.add_argument("--admin-password", help=f"admin password (or set {PASSWORD_VARIABLE})")
    target.add_argument("--no-auth", action="store_true",
                        help="the server runs without auth: no users or grants, every request must succeed")
    target.add_argument("--server-pid", type=int,
                        help="pid of the server's root process; its tree's CPU is measured")
    data = parser.add_argument_group("population")
    data.add_argument("--setup", action="store_true", help="create a new population and write --expectations")
    data.add_argument("--setup-only", action="store_true", help="with --setup: stop after writing the expectations")
    data.add_argument("--expectations", help="expectations file: written by --setup, read otherwise")
    data.add_argument("--prefix", help="name prefix of the new population [default: bench-<random>]")
    data.add_argument("--seed", type=int, default=1, help="seed of the population and of the clients' choices")
    data.add_argument("--workspaces", type=int, default=10)
    data.add_argument("--users", type=int, default=50)
    data.add_argument("--experiments", type=int, default=200, help="experiments, each with one run")
    data.add_argument("--experiment-grants", type=int, default=100, help="explicit experiment grants")
    data.add_argument("--setup-threads", type=int, default=4, help="concurrent admin requests during setup")
    run = parser.add_argument_group("load")
    run.add_argument("--clients", type=int, default=8, help="client processes, one keep-alive connection each")
    run.add_argument("--seconds", type=float, default=20, help="length of the measured window")
    run.add_argument("--warmup", type=float, default=2, help="seconds of load before the window (not measured)")
    run.add_argument("--mix", default=",".join(f"{k}={v}" for k, v in DEFAULT_MIX.items()),
                     help="operation weights: get, search, write (create-run + log-metric), denied")
    run.add_argument("--sign-in", action="store_true",
                     help="before the load, every user makes 6 checked requests on new connections, so that "
                          "every server worker has checked every password once (not measured)")
    run.add_argument("--out", help="also write the JSON report to this file")
    args = parser.parse_args(argv)
    _check(parser, args)
    return args


def _check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    args.admin_password = args.admin_password or os.environ.get(PASSWORD_VARIABLE)
    if not args.setup and not args.expectations:
        parser.error("give --setup (create a population) or --expectations FILE (reuse one)")
    if args.setup and not args.no_auth and not (args.admin_user and args.admin_password):
        parser.error(f"--setup needs --admin-user and --admin-password (or {PASSWORD_VARIABLE}), or --no-auth")
    if args.setup_only and not args.setup:
        parser.error("--setup-only goes with --setup")
    try:
        args.mix = parse_mix(args.mix)
        args.prefix = population.check_prefix(args.prefix or f"bench-{secrets.token_hex(3)}")
        if args.server_pid:
            process_cpu.check_pid(args.server_pid)
    except ValueError as exc:
        parser.error(str(exc))
    if min(args.clients, args.workspaces, args.users, args.experiments) < 1 or args.seconds <= 0 or args.warmup < 0:
        parser.error("--clients, --workspaces, --users and --experiments must be >= 1, --seconds > 0, --warmup >= 0")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; exit status 1 when a response differed from the expectations."""
    args = options(argv)
    if args.setup:
        authorization = None if args.no_auth else basic_auth(args.admin_user, args.admin_password)
        sizes = {"workspaces": args.workspaces, "users": args.users, "experiments": args.experiments,
                 "experiment_grants": args.experiment_grants}
        try:
            expectations = setup(args.url, authorization, args.prefix, args.seed, sizes, args.setup_threads)
        except (provisioning.SetupError, OSError) as exc:
            log(f"setup failed: {exc}")
            return 2
        path = args.expectations or f"bench-expectations-{args.prefix}.json"
        provisioning.save(expectations, path)
        log(f"expectations written to {path}")
        if args.setup_only:
            return 0
    else:
        expectations = provisioning.load(args.expectations)
        if expectations["auth"] == args.no_auth:
            log(f"{args.expectations} was made with auth {'on' if expectations['auth'] else 'off'}; "
                f"{'drop' if expectations['auth'] else 'add'} --no-auth")
            return 2
    if args.sign_in:
        signed = report.checks(load.sign_in_everyone(args.url, expectations))
        log(f"sign-in: {signed['checked_responses']} requests, {signed['mismatches']} mismatches")
        if signed["mismatches"] or any(signed["errors"].values()):
            log(json.dumps(signed["failures"], indent=1))
            return 1
    result = measure(args.url, expectations, args.clients, args.seconds, args.warmup, args.mix, args.seed,
                     args.server_pid)
    if not result["requests"]:
        log("warning: no request started inside the window; the server may be too slow for it (--seconds)")
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as out:
            out.write(text + "\n")
    return 1 if result["mismatches"] or any(result["errors"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
