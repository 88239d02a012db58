"""Hostile requests for the minute of hostile input (issue 10): every operation of the server's
OpenAPI document with garbage in its path, query and body, plus the shapes known to stress a
server (many sort clauses, long filters, huge IN lists, deep JSON, oversized and truncated
bodies, path traversal, forged and broken credentials and workspace headers), each as one of
several callers. Each request is a (method, path, headers, body, what) tuple; `what` names it in
a failure message. Deterministic for a given random.Random."""

from __future__ import annotations

import base64
import json
import random
from urllib.parse import quote, urlencode

V2, V3, PROXY = "/api/2.0/mlflow", "/api/3.0/mlflow", "/api/2.0/mlflow-artifacts/artifacts"
KEYS = ("params", "metrics", "tags", "attributes", "attribute", "run", "dataset")
WEIRD_TEXT = ["", " ", "\x00", "\x00" * 50, "💥" * 300, "ü", "'", "\"", "\\", "' OR 1=1 --", "%00", "%2e%2e%2f",
              "../../../../etc/passwd", "..\\..\\windows", "/absolute", "a" * 5000, "a" * 70_000, "NaN", "-inf",
              "1e999", "-1", "0", "99999999999999999999999", "null", "true", "[]", "{}", "<script>x</script>",
              "\r\nX-Injected: 1", "default", "team-a", "*", "%", "_", "LIKE", "ILIKE '%'"]


class Callers:
    """The identities requests come as: credentials a test set up, and broken ones."""

    def __init__(self, admin: tuple[str, str], user: tuple[str, str]):
        self.good = {"admin": basic(*admin), "user": basic(*user)}

    def pick(self, rng: random.Random) -> tuple[str, dict]:
        roll = rng.random()
        if roll < 0.45:
            return "user", dict(self.good["user"])
        if roll < 0.6:
            return "admin", dict(self.good["admin"])
        if roll < 0.7:
            return "anonymous", {}
        if roll < 0.8:  # wrong passwords of invented names (counted, and locked out, like real ones)
            return "guesser", basic(f"ghost-{rng.randrange(50)}", rng.choice(WEIRD_TEXT[:12]) + "pw")
        broken = rng.choice([
            "Basic", "Basic !!!!", "Basic " + base64.b64encode(b"\xff\xfe:\x00").decode(), "Bearer abc",
            "Basic " + base64.b64encode(b"nocolon").decode(), "Digest username=x", "Basic " + "A" * 6000,
            "Basic " + base64.b64encode(("u" * 300 + ":" + "p" * 2000).encode()).decode(),
            "basic " + base64.b64encode(b"ghost-0:").decode(), "Basic " + base64.b64encode(b":pw").decode()])
        return "broken credentials", {"Authorization": broken}


def basic(username: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def weird_value(rng: random.Random, depth: int = 0):
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(WEIRD_TEXT)
    if roll < 0.5:
        return rng.choice([0, -1, 1, 2**31, 2**63, -(2**63) - 1, 10**30, 1.5, -0.0, 1e308, True, False, None])
    if roll < 0.6 and depth < 3:
        return [weird_value(rng, depth + 1) for _ in range(rng.choice([0, 1, 3, 50]))]
    if roll < 0.7 and depth < 3:
        return {rng.choice(WEIRD_TEXT[:20]) or "k": weird_value(rng, depth + 1) for _ in range(rng.choice([0, 1, 5]))}
    if roll < 0.8:
        return rng.choice(["1", "0", "abc", "00000000000000000000000000000000", "x" * 32]) + rng.choice(["", "/.."])
    return "".join(rng.choice("abc ()=<>!,'\"`.%_-\\\x00ü") for _ in range(rng.randrange(1, 300)))


def sort_clauses(rng: random.Random, count: int) -> list[str]:
    return [f"{rng.choice(KEYS)}.`k{rng.randrange(1000)}` {rng.choice(['ASC', 'DESC', '', 'sideways'])}".strip()
            for _ in range(count)]


def long_filter(rng: random.Random, clauses: int) -> str:
    parts = []
    for _ in range(clauses):
        key = f"{rng.choice(KEYS)}.`k{rng.randrange(1000)}`"
        parts.append(rng.choice([f"{key} = 'v'", f"{key} > 1", f"{key} LIKE '%a%'", f"{key} ILIKE '_'",
                                 f"{key} IN ({', '.join(repr(str(i)) for i in range(rng.randrange(1, 3000)))})",
                                 f"{key} != ''", "(((", f"{key} = ", "name = 'x'"]))
    return " AND ".join(parts)


class Catalogue:
    """Makes hostile requests for one server: its operations, one experiment and one run."""

    def __init__(self, document: dict, experiment_id: str, run_id: str, callers: Callers):
        self.operations = [(method.upper(), path) for path, item in document["paths"].items()
                           for method in item if method in ("get", "post", "patch", "put", "delete")]
        self.experiment_id, self.run_id, self.callers = experiment_id, run_id, callers

    def request(self, rng: random.Random) -> tuple[str, str, dict, bytes | None, str]:
        who, headers = self.callers.pick(rng)
        if rng.random() < 0.3:
            headers["X-MLFLOW-WORKSPACE"] = rng.choice(WEIRD_TEXT[:30]).replace("\r\n", "") or "default"
        if rng.random() < 0.1:
            headers["X-Forwarded-For"] = rng.choice(["1.2.3.4", "garbage, 127.0.0.1", "::1," * 200, "\x7f"])
        method, path, body, what = rng.choice(self.makers)(self, rng)
        if isinstance(body, str):
            body = body.encode("utf-8", "surrogatepass")
        elif body is not None and not isinstance(body, bytes):
            headers.setdefault("Content-Type", "application/json")
            body = json.dumps(body).encode()
        return method, path, headers, body, f"{what} as {who}"

    # --- the makers: each returns (method, path, body, what) ------------------------------------

    def any_operation(self, rng):
        method, template = rng.choice(self.operations)
        path = template
        while "{" in path:
            start, end = path.index("{"), path.index("}")
            path = path[:start] + quote(str(weird_value(rng)) or "x", safe="/") + path[end + 1:]
        query = {}
        if rng.random() < 0.6:
            query.update({rng.choice(["experiment_id", "run_id", "name", "username", "path", "max_results",
                                      "page_token", "filter", "order_by", "workspace", "key", "version"]):
                          str(weird_value(rng)) for _ in range(3)})
        url = path + ("?" + urlencode(query)[:6000] if query else "")
        body = None
        if method in ("POST", "PATCH", "PUT", "DELETE"):
            body = rng.choice([lambda: weird_value(rng), lambda: {"experiment_id": weird_value(rng),
                                                                  "run_id": weird_value(rng),
                                                                  "name": weird_value(rng),
                                                                  "username": weird_value(rng)},
                               lambda: "{" * rng.choice([1, 100, 5000]), lambda: "not json at all",
                               lambda: b"\xff\xfe\x00garbage", lambda: '{"a": NaN, "b": Infinity}',
                               lambda: '{"a": 1, "a": 2}', lambda: "[" * 100_000 + "]" * 100_000])()
        return method, url, body, f"{method} {template}"

    def run_search(self, rng):
        body = {"experiment_ids": rng.choice([[self.experiment_id], [self.experiment_id] * 500,
                                              [str(i) for i in range(rng.randrange(1, 5000))], self.experiment_id])}
        if rng.random() < 0.7:
            body["order_by"] = sort_clauses(rng, rng.choice([31, 32, 45, 62, 63, 99, 100, 101, 300, 1000]))
        if rng.random() < 0.5:
            body["filter"] = long_filter(rng, rng.choice([1, 10, 50, 200, 1000]))
        body["max_results"] = rng.choice([1, 1000, 50000, 50001, -1, 0, "x"])
        if rng.random() < 0.2:
            body["page_token"] = rng.choice(["!!!", base64.b64encode(b'{"offset": -5}').decode(), "A" * 5000])
        return "POST", f"{V2}/runs/search", body, "runs/search"

    def experiment_search(self, rng):
        body = {"max_results": rng.choice([1, 1000, 100000, -3]), "view_type": rng.choice(["ALL", "BOGUS", 7])}
        if rng.random() < 0.6:
            body["filter"] = long_filter(rng, rng.choice([1, 20, 300]))
        if rng.random() < 0.5:
            body["order_by"] = sort_clauses(rng, rng.choice([2, 100, 101, 400]))
        return "POST", f"{V2}/experiments/search", body, "experiments/search"

    def registry_search(self, rng):
        path = rng.choice(["registered-models/search", "model-versions/search"])
        query = {"filter": long_filter(rng, rng.choice([1, 5, 40]))[:7000],
                 "max_results": str(rng.choice([1, 1000, 200001, -1])),
                 "order_by": sort_clauses(rng, rng.choice([1, 50]))[:3]}
        return "GET", f"{V2}/{path}?" + urlencode(query, doseq=True)[:7500], None, path

    def log_batch(self, rng):
        count = rng.choice([1, 1000, 1001, 5000])
        body = {"run_id": rng.choice([self.run_id, "x" * 40, ""]),
                "metrics": [{"key": f"m{i % 7}", "value": rng.choice([1.0, "NaN", "1e999", None, "x"]),
                             "timestamp": rng.choice([0, -1, 2**63, "now"]), "step": 0} for i in range(count)],
                "params": [{"key": rng.choice(["p", "p" * 300, "\x00"]), "value": rng.choice(["v", "v" * 70_000])}
                           for _ in range(rng.choice([0, 1, 101]))],
                "tags": [{"key": "t", "value": weird_value(rng)} for _ in range(rng.choice([0, 1, 200]))]}
        return "POST", f"{V2}/runs/log-batch", body, "runs/log-batch"

    def artifact(self, rng):
        target = rng.choice([f"{self.experiment_id}/{self.run_id}/artifacts/x.txt", "../" * 8 + "etc/passwd",
                             "%2e%2e/%2e%2e/etc/passwd", f"{self.experiment_id}/../../x", "\x00", "a" * 3000,
                             "workspaces/default", "workspaces/../..", "", "//etc/passwd"])
        method = rng.choice(["GET", "PUT", "DELETE"])
        if rng.random() < 0.5:
            return "GET", f"{PROXY}?" + urlencode({"path": target}), None, "artifact listing"
        body = rng.choice([None, b"data", b"x" * 200_000]) if method == "PUT" else None
        return method, f"{PROXY}/{quote(target, safe='/')}", body, f"artifact {method}"

    def permission(self, rng):
        path = rng.choice(["experiments/permissions/get", "experiments/permissions/create",
                           "registered-models/permissions/get", "users/get", "users/create"])
        body = {"experiment_id": rng.choice([self.experiment_id, "0", "-1", "x" * 100, None]),
                "name": weird_value(rng), "username": rng.choice(["admin", "nobody", "\x00", "a" * 300, None]),
                "permission": rng.choice(["READ", "MANAGE", "GOD", "", None]), "password": weird_value(rng)}
        method = "GET" if path.endswith("/get") else "POST"
        if method == "GET":
            return method, f"{V2}/{path}?" + urlencode({k: str(v) for k, v in body.items() if v is not None}), None, path
        return method, f"{V2}/{path}", body, path

    def oversized(self, rng):
        size = rng.choice([33 * 1024 * 1024] + [2 * 1024 * 1024] * 5)
        return "POST", f"{V2}/experiments/create", b'{"name": "' + b"x" * size + b'"}', f"a {size}-byte body"

    makers = [any_operation] * 6 + [run_search] * 3 + [experiment_search, registry_search, log_batch, artifact,
                                                       artifact, permission, permission, oversized]
