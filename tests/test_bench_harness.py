"""The benchmark harness (bench/) keeps working: a short run against real servers, with auth and
without, checks every answer and makes every kind of request. Figures are never asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ServerProcess

HARNESS = Path(__file__).resolve().parent.parent / "bench" / "harness.py"
ADMIN_PASSWORD = "bench-admin-password-1"
KINDS = {"get", "search", "create_run", "log_metric", "denied_get_no_permissions",
         "denied_log_metric_read_only", "denied_get_other_workspace"}
SMALL = ["--workspaces", "3", "--users", "8", "--experiments", "18", "--experiment-grants", "20"]
SHORT = ["--clients", "2", "--seconds", "2", "--warmup", "0"]

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads server CPU from /proc")


@pytest.fixture
def server(tmp_path):
    """start(auth) -> a wsauth server with workspaces, with the basic-auth layer or without."""
    servers = []

    def start(auth: bool) -> ServerProcess:
        args = ["--enable-workspaces", "--workers", "2", "--backend-store-uri", f"sqlite:///{tmp_path / 'mlflow.db'}"]
        env = {}
        if auth:
            ini = tmp_path / "basic_auth.ini"
            ini.write_text(f"[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///{tmp_path / 'auth.db'}\n"
                           f"admin_username = admin\nadmin_password = {ADMIN_PASSWORD}\n")
            args += ["--app-name", "basic-auth"]
            env["MLFLOW_AUTH_CONFIG_PATH"] = str(ini)
        servers.append(ServerProcess(args, tmp_path, env))
        return servers[-1]

    yield start
    for running in servers:
        running.stop()


def run_harness(*args: str) -> dict:
    finished = subprocess.run([sys.executable, str(HARNESS), *args], capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr + finished.stdout[-3000:]
    return json.loads(finished.stdout)


def check_report(report: dict) -> None:
    assert report["mismatches"] == 0, report["failures"]
    assert report["errors"] == {"http_5xx": 0, "transport": 0, "client_crashes": 0}, report["failures"]
    assert {kind for kind, seen in report["kinds"].items() if seen["requests"]} == KINDS
    assert report["checked_responses"] >= report["requests"] > 0
    assert report["server_cpu_seconds"] is not None


def test_with_auth_every_kind_is_checked(server, tmp_path):
    running = server(auth=True)
    expectations = tmp_path / "expectations.json"
    report = run_harness("--url", running.url, "--admin-user", "admin", "--admin-password", ADMIN_PASSWORD,
                         "--setup", "--expectations", str(expectations), *SMALL, *SHORT,
                         "--server-pid", str(running.process.pid))
    check_report(report)
    assert report["auth"] is True
    written = json.loads(expectations.read_text())
    levels = {level for user in written["users"].values() for level in user["workspace_grants"].values()}
    assert levels == {"READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS"}

    # a second round reuses the population
    again = run_harness("--url", running.url, "--expectations", str(expectations), *SHORT,
                        "--server-pid", str(running.process.pid))
    check_report(again)
    assert again["prefix"] == report["prefix"]


def test_without_auth_every_request_succeeds(server, tmp_path):
    running = server(auth=False)
    report = run_harness("--url", running.url, "--no-auth", "--setup", "--expectations",
                         str(tmp_path / "expectations.json"), *SMALL, *SHORT, "--server-pid", str(running.process.pid))
    check_report(report)
    assert report["auth"] is False
