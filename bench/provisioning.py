"""Create a population on a server through its REST API only (as an admin, or anonymously on a
server without auth), then write down what each user may do: the expectations file.

The paths are MLflow 3.11.1's, which wsauth serves too:
workspaces            POST /api/3.0/mlflow/workspaces                      {"name", "description"}
users                 POST /api/2.0/mlflow/users/create                    {"username", "password"}
experiments           POST /api/2.0/mlflow/experiments/create              {"name"} + X-MLFLOW-WORKSPACE
runs                  POST /api/2.0/mlflow/runs/create                     {"experiment_id", ...}
workspace grants      POST /api/3.0/mlflow/workspaces/<ws>/permissions     {"username", "permission"}
experiment grants     POST /api/2.0/mlflow/experiments/permissions/create  {"experiment_id", "username",
                                                                            "permission"} + X-MLFLOW-WORKSPACE
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import access_model
from population import Population
from rest import Connection

FORMAT = "wsauth-bench-expectations/1"
API = "/api/2.0/mlflow"
WORKSPACES = "/api/3.0/mlflow/workspaces"
WORKSPACE_HEADER = "X-MLFLOW-WORKSPACE"
PAGE_SIZE = 1000


class SetupError(Exception):
    """A setup request failed; the message names the request and the server's answer."""


class Admin:
    """Admin requests from several threads, each on its own keep-alive connection."""

    def __init__(self, url: str, authorization: str | None, threads: int):
        self.url, self.authorization, self.threads = url, authorization, threads
        self._local = threading.local()
        self._connections: list[Connection] = []

    def call(self, method: str, path: str, body: dict | None = None, workspace: str | None = None) -> dict:
        """The JSON of a request that must succeed (2xx); SetupError otherwise."""
        if not hasattr(self._local, "connection"):
            self._local.connection = Connection(self.url)
            self._connections.append(self._local.connection)
        headers = {WORKSPACE_HEADER: workspace} if workspace else {}
        if self.authorization:
            headers["Authorization"] = self.authorization
        reply = self._local.connection.request(method, path, body, headers=headers)
        if not 200 <= reply.status < 300 or reply.data is None:
            where = f" in workspace '{workspace}'" if workspace else ""
            raise SetupError(f"{method} {path}{where} {json.dumps(body)[:200]} -> HTTP {reply.status}: {reply.text[:400]}")
        return reply.data

    def each(self, function, items) -> list:
        """function(item) for every item, on the admin's threads, results in order."""
        with ThreadPoolExecutor(self.threads) as pool:
            return list(pool.map(function, items))

    def close(self) -> None:
        """Close every connection."""
        for connection in self._connections:
            connection.close()


def provision(url: str, population: Population, authorization: str | None, threads: int = 4,
              log=print) -> dict:
    """Create the population (users and grants only when `authorization` is given, i.e. auth
    is on) and return the expectations."""
    admin = Admin(url, authorization, threads)
    auth = authorization is not None
    try:
        started = time.monotonic()
        admin.each(lambda w: admin.call("POST", WORKSPACES, {"name": w, "description": "wsauth benchmark"}),
                   population.workspaces)
        if auth:
            admin.each(lambda u: admin.call("POST", f"{API}/users/create",
                                            {"username": u, "password": population.passwords[u]}),
                       list(population.passwords))
        names = list(population.experiments)
        ids = dict(zip(names, admin.each(lambda name: _create_experiment(admin, name, population.experiments[name]),
                                         names)))
        runs = dict(zip(names, admin.each(lambda name: _create_run(admin, ids[name], population.experiments[name]),
                                          names)))
        if auth:
            _grant(admin, population, ids)
        listing = {w: sorted(_all_ids(admin, w), key=access_model.id_order) for w in population.workspaces}
        log(f"setup: {len(population.workspaces)} workspaces, {len(population.passwords) if auth else 0} users, "
            f"{len(names)} experiments and runs, {_count_grants(population) if auth else 0} grants "
            f"in {time.monotonic() - started:.1f} s")
    finally:
        admin.close()
    experiments = {ids[n]: {"name": n, "workspace": population.experiments[n], "run_id": runs[n]} for n in names}
    return expectations(url, auth, population, experiments, listing)


def _create_experiment(admin: Admin, name: str, workspace: str) -> str:
    return str(admin.call("POST", f"{API}/experiments/create", {"name": name}, workspace)["experiment_id"])


def _create_run(admin: Admin, experiment_id: str, workspace: str) -> str:
    body = {"experiment_id": experiment_id, "start_time": int(time.time() * 1000), "run_name": "setup"}
    return admin.call("POST", f"{API}/runs/create", body, workspace)["run"]["info"]["run_id"]


def _grant(admin: Admin, population: Population, ids: dict[str, str]) -> None:
    workspace_grants = [(u, w, level) for u, grants in population.workspace_grants.items()
                        for w, level in grants.items()]
    admin.each(lambda g: admin.call("POST", f"{WORKSPACES}/{urllib.parse.quote(g[1], safe='')}/permissions",
                                    {"username": g[0], "permission": g[2]}), workspace_grants)
    experiment_grants = [(u, name, level) for u, grants in population.experiment_grants.items()
                         for name, level in grants.items()]
    admin.each(lambda g: admin.call("POST", f"{API}/experiments/permissions/create",
                                    {"experiment_id": ids[g[1]], "username": g[0], "permission": g[2]},
                                    population.experiments[g[1]]), experiment_grants)


def _count_grants(population: Population) -> int:
    return sum(len(g) for g in population.workspace_grants.values()) + \
        sum(len(g) for g in population.experiment_grants.values())


def _all_ids(admin: Admin, workspace: str) -> list[str]:
    """Every active experiment of the workspace, as the admin's search shows them."""
    found, token = [], None
    while True:
        body = {"max_results": PAGE_SIZE, **({"page_token": token} if token else {})}
        page = admin.call("POST", f"{API}/experiments/search", body, workspace)
        found += [str(e["experiment_id"]) for e in page.get("experiments", [])]
        token = page.get("next_page_token")
        if not token:
            return found


def expectations(url: str, auth: bool, population: Population, experiments: dict, listing: dict) -> dict:
    """Who may do what, for every user, workspace and experiment (see access_model)."""
    id_of = {e["name"]: i for i, e in experiments.items()}
    users = {}
    for user, password in population.passwords.items():
        grants = {"workspace_grants": population.workspace_grants[user],
                  "experiment_grants": {id_of[n]: level for n, level in population.experiment_grants[user].items()}}
        users[user] = {"password": password, **grants, **access_model.user_access(grants, experiments, listing)}
    return {"format": FORMAT, "url": url, "auth": auth, "prefix": population.prefix,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "workspaces": listing,
            "experiments": experiments, "users": users}


def save(data: dict, path: str | Path) -> None:
    """Write an expectations file."""
    Path(path).write_text(json.dumps(data, indent=1, sort_keys=True))


def load(path: str | Path) -> dict:
    """Read an expectations file written by `save`."""
    data = json.loads(Path(path).read_text())
    if data.get("format") != FORMAT:
        raise ValueError(f"{path} is not a benchmark expectations file ({FORMAT})")
    return data
