"""bench/mlflow_compare.py keeps working: one short round (2 s) against each of the three real
MLflow servers it starts (wsauth's plugin, no auth, MLflow's basic-auth) on a small population,
every answer checked. MLflow's basic-auth is included: with 2 clients its round and its setup take
a few seconds (the whole test about 30 s on two cores). Figures are never asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "mlflow_compare.py"
SMALL = ["--workspaces", "3", "--users", "8", "--experiments", "18", "--experiment-grants", "20"]
SHORT = ["--rounds", "1", "--seconds", "2", "--warmup", "0", "--prime", "0", "--clients", "2"]
SERVERS = ("mlflow-wsauth", "mlflow-no-auth", "mlflow-basic-auth")

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads server CPU from /proc")


def test_three_mlflow_servers_answer_as_expected():
    finished = subprocess.run([sys.executable, str(SCRIPT), *SMALL, *SHORT], capture_output=True, text=True,
                              timeout=600)
    assert finished.returncode == 0, finished.stderr[-5000:] + finished.stdout[-3000:]
    summary = json.loads(finished.stdout)
    assert summary["mismatches"] == dict.fromkeys(SERVERS, 0), summary["failures"]
    assert summary["errors"] == dict.fromkeys(SERVERS, 0), summary["failures"]
    assert summary["settings"]["workers"] == 2 and summary["settings"]["workspaces"] is True
    for name in SERVERS:
        assert summary["checked_responses"][name] > 0
        assert summary["medians"][name]["server_cpu_ms_per_request"] is not None
    assert set(summary["ratios"]) >= {"throughput_wsauth_over_mlflow-no-auth",
                                      "throughput_wsauth_over_mlflow-basic-auth"}
    assert summary["targets_met"]["zero_mismatches"] is True
