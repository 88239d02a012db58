"""The scale measurement (bench/scale.py) keeps working: its population has the promised shape,
and a short run seeds a database through the current migrations, serves it with a real server and
checks every answer. Figures are never asserted."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "scale.py"


def load_script():
    sys.path.insert(0, str(SCRIPT.parent))  # as when run as a script: its sibling modules import
    spec = importlib.util.spec_from_file_location("bench_scale", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


scale = load_script()
import scale_population  # noqa: E402  (found through the path load_script set)


@pytest.mark.parametrize("name", ["small", "tenth"])
def test_population_has_the_sizes_and_spread_it_promises(name):
    size = scale_population.SIZES[name]
    population = scale_population.draw(size, seed=5, password_hash="hash")
    tables = population.tables
    assert len(tables["workspaces"]) == size.workspaces
    assert len(tables["users"]) == size.users
    assert len(tables["experiments"]) == len(tables["runs"]) == size.experiments
    assert len(tables["workspace_permissions"]) + len(tables["experiment_permissions"]) == size.grants
    assert len({(e["workspace"], e["name"]) for e in tables["experiments"]}) == size.experiments
    assert len({(g["experiment_id"], g["user_id"]) for g in tables["experiment_permissions"]}) == \
        len(tables["experiment_permissions"])
    assert len({(g["workspace"], g["user_id"]) for g in tables["workspace_permissions"]}) == \
        len(tables["workspace_permissions"])
    levels = {"READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS"}
    assert {g["permission"] for g in tables["workspace_permissions"]} == levels
    assert {g["permission"] for g in tables["experiment_permissions"]} == levels
    first = tables["experiments"][0]
    assert first["artifact_location"] == f"mlflow-artifacts:/workspaces/{first['workspace']}/{first['experiment_id']}"


def test_probe_users_have_the_same_profile_at_every_size():
    profiles = []
    for size in scale_population.SIZES.values():
        if size.name == "full":
            continue  # the same code path; drawing it takes seconds
        population = scale_population.draw(size, seed=5, password_hash="hash")
        ids = {u["username"]: u["id"] for u in population.tables["users"]}
        grants = Counter(g["user_id"] for g in population.tables["experiment_permissions"])
        places = Counter(g["user_id"] for g in population.tables["workspace_permissions"])
        profiles.append([(grants[ids[u]], places[ids[u]]) for u in ("probe-member", "probe-explicit")])
    assert profiles[0] == profiles[1] == [(scale_population.PROBE_GRANTS, 3), (scale_population.PROBE_GRANTS, 1)]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads server CPU from /proc")
def test_a_short_run_seeds_serves_and_reports(tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--sizes", "small", "--rounds", "1", "--requests", "3", "--warmup", "1",
         "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    kinds = {kind.name for kind in scale.KINDS}
    assert set(report["p50_ms"]["small"]) == kinds
    assert report["sizes"]["small"]["counts"]["grants"] == scale_population.SIZES["small"].grants
    assert report["sizes"]["small"]["search_items"]["search_only"] == scale_population.PROBE_GRANTS // 2
    assert set(report["store_ms"]["small"]) >= {"experiment_row", "search_page_hidden"}
    assert report["query_plans"]["search_page_hidden"]
