"""The layer's layout holds (issue 11): no import cycle among auth's modules (lazy imports
inside functions included), auth imports from the host only its seam, the auth database's SQL
lives in auth.store (which reads nothing of the request, and alone moves the change counters),
and importing any auth module builds nothing slow or stateful (no password hash, no database
engine)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

AUTH = Path(__file__).resolve().parents[2] / "auth"
SEAM = {"tracking.hostapi", "tracking.hostkit"}  # the contract a second host implements, and the toolkit


SCHEMA = {"auth.models", "auth.schema"}  # the tables and their migrations, beside the store


def modules() -> dict[str, Path]:
    """auth's modules by dotted name (its migrations are alembic's scripts, not modules)."""
    found = {}
    for path in sorted(AUTH.rglob("*.py")):
        parts = path.relative_to(AUTH.parent).with_suffix("").parts
        if "migrations" not in parts:
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    names = modules()
    return {name: {m for m in imports_of(path) if m in names and m != name} for name, path in names.items()}


def a_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert a_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert a_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_among_auth_modules():
    assert a_cycle(graph()) is None


def test_auth_imports_from_the_host_only_its_seam():
    # (`from tracking import hostapi` names both `tracking` and `tracking.hostapi`)
    outside = {name: sorted(m for m in imports_of(path) if m.startswith("tracking.")
                            and not any(m == seam or m.startswith(seam + ".") for seam in SEAM))
               for name, path in modules().items()}
    assert {name: found for name, found in outside.items() if found} == {}


def test_importing_the_layer_builds_nothing_slow():
    script = (
        "import passlib.context, sqlalchemy\n"
        "def refuse(what):\n"
        "    def call(*args, **kwargs):\n"
        "        raise AssertionError(what + ' at import time')\n"
        "    return call\n"
        "passlib.context.CryptContext.hash = refuse('a password hash')\n"
        "sqlalchemy.create_engine = refuse('a database engine')\n"
        "import importlib\n"
        f"for name in {sorted(modules())!r}:\n"
        "    importlib.import_module(name)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]


def test_the_modules_found_include_the_store_package():
    assert {"auth", "auth.store", "auth.store.changes", "auth.store.sign_ins", "auth.layer"} <= set(modules())


def test_only_the_store_runs_sql():
    """Outside auth.store (and the table definitions and migrations) no module imports SQLAlchemy."""
    users = {name for name, path in modules().items()
             if any(m == "sqlalchemy" or m.startswith("sqlalchemy.") for m in imports_of(path))}
    assert {name for name in users if not name.startswith("auth.store")} <= SCHEMA
    assert {"auth.store.users", "auth.store.grants", "auth.store.sign_ins", "auth.store.events"} <= users


def test_the_store_reads_nothing_of_the_request():
    """Who acts is passed into the store (`by=`), never read from flask.g inside a transaction."""
    readers = {name: sorted(m for m in imports_of(path) if m == "flask" or m.startswith("flask.")
                            or m == "werkzeug" or m.startswith("werkzeug."))
               for name, path in modules().items() if name.startswith("auth.store")}
    assert {name: found for name, found in readers.items() if found} == {}


def test_the_change_counters_move_only_through_bump():
    """Only auth.store.changes touches the counters' table, and in it only `bump` writes."""
    touching = sorted(name for name, path in modules().items()
                      if "ChangeCounterRow" in path.read_text() and name not in ("auth.models", "auth.store.changes"))
    assert touching == []
    tree = ast.parse(modules()["auth.store.changes"].read_text())
    writers = sorted({function.name for function in ast.walk(tree) if isinstance(function, ast.FunctionDef)
                      for call in ast.walk(function) if isinstance(call, ast.Call)
                      and getattr(call.func, "id", None) == "update"})
    assert writers == ["bump"]


def test_the_layer_does_not_know_its_hosts():
    """auth/ imports neither host's own modules: wsauth's server only through its seam (above),
    MLflow's host not at all (mlflow_host/ installs the layer, never the reverse)."""
    found = {name: sorted(m for m in imports_of(path) if m == "mlflow_host" or m.startswith("mlflow_host."))
             for name, path in modules().items()}
    assert {name: hosts for name, hosts in found.items() if hosts} == {}
