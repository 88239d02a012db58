"""The requests the load sends, who sends them, and the check of every answer.

Operations, drawn by the mix weights (each client starts with one of every kind); each is made by a random non-admin user on a target that
user may (or, for "denied", may not) reach, taken from the expectations file:

get     GET  experiments/get of an experiment the user may read                  -> 200, that experiment
search  POST experiments/search in a workspace where the user sees something     -> 200, exactly the ids
write   POST runs/create in an experiment the user may edit, then runs/log-metric
        on the new run                                                           -> 200 and 200
denied  one of (equally often, among those the population allows):
        denied_get_no_permissions    get of an experiment with an explicit NO_PERMISSIONS grant -> 403
        denied_log_metric_read_only  log-metric on the setup run of an experiment the user may
                                     read but not edit                                          -> 403
        denied_get_other_workspace   get of an experiment of a workspace where the user has no
                                     grant (or NO_PERMISSIONS) and no grant on the experiment   -> 403

Without auth (expectations written with auth off) the same requests go out without credentials,
and every one must succeed: 200, and a search returns every experiment of the workspace.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from provisioning import API, WORKSPACE_HEADER
from rest import TRANSPORT_ERRORS, Connection, Reply, basic_auth

DEFAULT_MIX = {"get": 35, "search": 25, "write": 30, "denied": 10}
DENIED = ("denied_get_no_permissions", "denied_log_metric_read_only", "denied_get_other_workspace")
KINDS = ("get", "search", "create_run", "log_metric", *DENIED)
SEARCH_PAGE = 1000
MAX_PAGES = 100


@dataclass
class Sample:
    """One request: its kind, when it started (monotonic), how long it took, and the verdict:
    'ok', 'mismatch' (an answer other than expected), or 'transport' (no answer)."""

    kind: str
    started: float
    seconds: float
    verdict: str
    status: int | None = None
    detail: dict | None = None


def parse_mix(text: str) -> dict[str, float]:
    """'get=35,search=25,write=30,denied=10' -> weights (missing operations weigh 0)."""
    mix = dict.fromkeys(DEFAULT_MIX, 0.0)
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, weight = part.partition("=")
        if name.strip() not in mix:
            raise ValueError(f"unknown operation '{name.strip()}' in the mix; use {', '.join(DEFAULT_MIX)}")
        try:
            mix[name.strip()] = float(weight)
        except ValueError:
            raise ValueError(f"weight of '{name.strip()}' must be a number, got '{weight}'") from None
    if any(w < 0 for w in mix.values()) or not sum(mix.values()):
        raise ValueError("mix weights must be >= 0 and not all 0")
    return mix


def targets(expectations: dict) -> dict[str, dict[str, list[str]]]:
    """For every target list, user -> the experiment ids (workspace names for 'search') they
    may use it on; users with an empty list are left out."""
    lists = {name: {} for name in ("get", "search", "write", *DENIED)}
    for user, access in expectations["users"].items():
        experiments = access["experiments"]
        grants, workspaces = access["experiment_grants"], access["workspaces"]
        closed = {w for w, seen in workspaces.items() if seen["grant"] in (None, "NO_PERMISSIONS")}
        found = {
            "get": [i for i, e in experiments.items() if e["read"]],
            "search": [w for w, seen in workspaces.items() if seen["search"]],
            "write": [i for i, e in experiments.items() if e["edit"]],
            "denied_get_no_permissions": [i for i, level in grants.items() if level == "NO_PERMISSIONS"],
            "denied_log_metric_read_only": [i for i, e in experiments.items() if e["read"] and not e["edit"]],
            "denied_get_other_workspace": [i for i, e in expectations["experiments"].items()
                                           if e["workspace"] in closed and i not in grants],
        }
        for name, ids in found.items():
            if ids:
                lists[name][user] = sorted(ids)
    return lists


class Client:
    """One simulated client: a keep-alive connection, a random generator, and `step()`, which
    performs one operation of the mix and returns its checked samples."""

    def __init__(self, url: str, expectations: dict, mix: dict[str, float], seed: int, timeout: float = 60.0):
        self.connection = Connection(url, timeout)
        self.expectations, self.auth = expectations, expectations["auth"]
        self.rng = random.Random(seed)
        self.lists = targets(expectations)
        self.users = {name: sorted(users) for name, users in self.lists.items()}
        self.denied = [name for name in DENIED if self.lists[name]]
        usable = {op: w for op, w in mix.items() if w and (self.lists[op] if op != "denied" else self.denied)}
        if not usable:
            raise ValueError("the population offers no target for any operation of the mix")
        self.operations, self.weights = list(usable), list(usable.values())
        # one of every kind first, so that even a short run checks each kind at least once
        self.tour = [op for op in self.operations if op != "denied"] + (self.denied if "denied" in usable else [])
        self.headers = {u: {"Authorization": basic_auth(u, a["password"])} if self.auth else {}
                        for u, a in expectations["users"].items()}

    def step(self) -> list[Sample]:
        """Perform one operation of the mix."""
        operation = self.tour.pop(0) if self.tour else self.rng.choices(self.operations, self.weights)[0]
        if operation == "denied":
            operation = self.rng.choice(self.denied)
        user = self.rng.choice(self.users[operation])
        target = self.rng.choice(self.lists[operation][user])
        return getattr(self, "_" + operation)(user, target)

    def get_on_new_connection(self, user: str) -> list[Sample]:
        """A checked get by that user on a new connection (which may reach another server worker)."""
        self.connection.reopen()
        return self._get(user, self.rng.choice(self.lists["get"][user]))

    def _get(self, user: str, experiment_id: str, kind: str = "get") -> list[Sample]:
        denied = kind != "get" and self.auth
        sample, reply = self._send(kind, user, "GET", "/experiments/get", self._workspace(experiment_id),
                                   query={"experiment_id": experiment_id}, expected=403 if denied else 200,
                                   experiment_id=experiment_id)
        if sample.verdict == "ok" and not denied:
            shown = ((reply.data or {}).get("experiment") or {}).get("experiment_id")
            if str(shown) != experiment_id:
                self._fail(sample, reply, f"asked for experiment {experiment_id}, got {shown!r}")
        return [sample]

    def _denied_get_no_permissions(self, user: str, experiment_id: str) -> list[Sample]:
        return self._get(user, experiment_id, "denied_get_no_permissions")

    def _denied_get_other_workspace(self, user: str, experiment_id: str) -> list[Sample]:
        return self._get(user, experiment_id, "denied_get_other_workspace")

    def _denied_log_metric_read_only(self, user: str, experiment_id: str) -> list[Sample]:
        run_id = self.expectations["experiments"][experiment_id]["run_id"]
        return [self._log_metric(user, experiment_id, run_id, "denied_log_metric_read_only")]

    def _write(self, user: str, experiment_id: str) -> list[Sample]:
        body = {"experiment_id": experiment_id, "start_time": _now_ms(), "run_name": "bench"}
        sample, reply = self._send("create_run", user, "POST", "/runs/create", self._workspace(experiment_id),
                                   body=body, expected=200, experiment_id=experiment_id)
        if sample.verdict != "ok":
            return [sample]
        info = ((reply.data or {}).get("run") or {}).get("info") or {}
        if str(info.get("experiment_id")) != experiment_id or not info.get("run_id"):
            self._fail(sample, reply, f"the new run is not a run of experiment {experiment_id}")
            return [sample]
        return [sample, self._log_metric(user, experiment_id, info["run_id"], "log_metric")]

    def _log_metric(self, user: str, experiment_id: str, run_id: str, kind: str) -> Sample:
        body = {"run_id": run_id, "key": "loss", "value": self.rng.random(), "timestamp": _now_ms(), "step": 0}
        expected = 403 if kind != "log_metric" and self.auth else 200
        return self._send(kind, user, "POST", "/runs/log-metric", self._workspace(experiment_id),
                          body=body, expected=expected, experiment_id=experiment_id)[0]

    def _search(self, user: str, workspace: str) -> list[Sample]:
        seen = self.expectations["users"][user]["workspaces"][workspace]
        expected = set(seen["search"] if self.auth else self.expectations["workspaces"][workspace])
        found, token, pages, started, total = [], None, 0, time.monotonic(), 0.0
        while True:
            body = {"max_results": SEARCH_PAGE, **({"page_token": token} if token else {})}
            sample, reply = self._send("search", user, "POST", "/experiments/search", workspace, body=body, expected=200)
            total += sample.seconds
            if sample.verdict != "ok":
                return [sample]
            found += [str(e.get("experiment_id")) for e in (reply.data or {}).get("experiments", [])]
            token, pages = (reply.data or {}).get("next_page_token"), pages + 1
            if not token or pages >= MAX_PAGES:
                break
        sample.started, sample.seconds = started, total  # one search, however many pages
        if set(found) != expected or len(found) != len(set(found)):
            self._fail(sample, reply, "the search showed other experiments than expected",
                       missing=sorted(expected - set(found))[:10], extra=sorted(set(found) - expected)[:10],
                       duplicates=len(found) - len(set(found)), pages=pages)
        return [sample]

    def _send(self, kind: str, user: str, method: str, path: str, workspace: str, expected: int,
              body: dict | None = None, query: dict | None = None,
              experiment_id: str | None = None) -> tuple[Sample, Reply | None]:
        headers = {**self.headers[user], WORKSPACE_HEADER: workspace}
        started = time.monotonic()
        context = {"kind": kind, "user": user, "workspace": workspace, "request": f"{method} {API}{path}",
                   "fields": body or query, "expected_status": expected,
                   **({"experiment_id": experiment_id} if experiment_id else {})}
        try:
            reply = self.connection.request(method, API + path, body, query, headers)
        except TRANSPORT_ERRORS as exc:
            return Sample(kind, started, time.monotonic() - started, "transport",
                          detail={**context, "error": f"{type(exc).__name__}: {exc}"}), None
        sample = Sample(kind, started, reply.seconds, "ok", reply.status, context)
        if reply.status != expected:
            self._fail(sample, reply, "unexpected status")
        return sample, reply

    def _fail(self, sample: Sample, reply: Reply, why: str, **more) -> None:
        sample.verdict = "mismatch"
        user, experiment = sample.detail["user"], sample.detail.get("experiment_id")
        model = self.expectations["users"][user]["experiments"].get(experiment) if experiment else None
        sample.detail = {**sample.detail, "why": why, "status": reply.status, "body": reply.text[:300],
                         **({"model": model} if model else {}), **more}

    def _workspace(self, experiment_id: str) -> str:
        return self.expectations["experiments"][experiment_id]["workspace"]

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


def _now_ms() -> int:
    return int(time.time() * 1000)
