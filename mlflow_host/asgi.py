"""Under uvicorn MLflow serves some routes through FastAPI itself (the AI Gateway's invocations,
OTLP trace ingest, jobs, the assistant), beside its Flask app. This middleware authorizes each
such request through the auth layer before FastAPI answers: the same credentials, caches,
lockouts, rules (by the operation mlflow_host/operations.py names the route) and audit trail, in
a Flask request context built from the request. A route it does not name is admin-only."""

from __future__ import annotations

import json

from flask import Flask, g
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match, Mount

from auth import hook
from auth.layer import current_layer
from mlflow_host import missing_workspace, otlp, request_checks
from mlflow_host.host import NATIVE_FIELDS, NATIVE_OPERATION
from mlflow_host.operations import native_name
from tracking import hostkit


def guarded_fastapi_app(flask_app: Flask):
    """MLflow's FastAPI app around the Flask app, with FastAPI's own routes authorized."""
    from mlflow.server.fastapi_app import create_fastapi_app

    fastapi_app = create_fastapi_app(flask_app)
    fastapi_app.add_middleware(GuardedNativeRoutes, flask_app=flask_app, router=fastapi_app.router)
    return fastapi_app


class GuardedNativeRoutes:
    """ASGI middleware: a request that a FastAPI route (not the mounted Flask app) would serve
    passes the rule of its operation first."""

    def __init__(self, app, flask_app: Flask, router):
        self.app, self.flask_app, self.router = app, flask_app, router

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = self._native(scope)
        if route is None:  # the Flask app's: MLflow's answer to a missing workspace is taken back
            await self.app(scope, receive, self._hiding_missing_workspaces(scope, receive, send))
            return
        operation, body = native_name(getattr(route, "path", "") or ""), b""
        if operation == "exportOtlpTraces":  # its trace ids are checked: read it, then hand it on
            body = await _body(receive, otlp.MAX_BYTES)
            if body is None:
                await _answer(send, *_error(hostkit.InvalidParameter(
                    f"The body is larger than {otlp.MAX_BYTES} bytes, the largest OTLP export taken; "
                    "send fewer spans at once.")))
                return
            receive = _replaying(body, receive)
        refusal = await run_in_threadpool(self._refusal, scope, operation, body)
        if refusal is not None:
            await _answer(send, *refusal)
            return
        await self.app(scope, receive, _errors_as_json(send))

    def _hiding_missing_workspaces(self, scope, receive, send):
        """A send() that replaces MLflow's 404 for a missing workspace (its middleware answers
        before the Flask app, leaving the body unread) by the layer's answer for a non-admin."""

        async def answer(start, body: bytes) -> None:
            replaced = None
            if missing_workspace.is_mlflows_answer(404, body, _headers(scope).get("x-mlflow-workspace")):
                request_body = await _body(receive, otlp.MAX_BYTES) or b""
                replaced = await run_in_threadpool(self._as_empty, scope, request_body)
            if replaced is None:
                await send(start)
                await send({"type": "http.response.body", "body": body})
            else:
                await _answer(send, *replaced)

        return _holding(send, lambda status: status == 404, answer)

    def _as_empty(self, scope, body: bytes):
        with self._context(scope, body):
            return missing_workspace.answer_as_empty()

    def _context(self, scope, body: bytes = b"", **environ):
        """A Flask request context of the ASGI request, its headers as FastAPI reads them."""
        client = (scope.get("client") or ("", 0))[0]
        return self.flask_app.test_request_context(
            scope["path"], method=scope["method"], headers=_headers(scope), data=body,
            query_string=scope.get("query_string", b"").decode("latin-1"),
            environ_base={"REMOTE_ADDR": client, **environ})

    def _native(self, scope):
        """The FastAPI route (not the mounted Flask app) that would serve the request, if any."""
        return _matching(self.router.routes, scope)

    def _refusal(self, scope, operation: str | None, body: bytes):
        headers = _headers(scope)
        fields = {"experiment_id": headers.get(otlp.EXPERIMENT_HEADER)} if operation == "exportOtlpTraces" else {}
        with self._context(scope, **{NATIVE_OPERATION: operation, NATIVE_FIELDS: fields}):
            try:
                answer = hook.authorize()
                if answer is not None:  # a custom authentication function answered itself
                    return answer.status_code, answer.get_data(), dict(answer.headers)
                user = g.get("auth_user")
                if operation == "exportOtlpTraces" and user is not None and not user.is_admin:
                    request_checks.check_otlp_export(fields["experiment_id"],
                                                     otlp.trace_ids(body, headers.get("content-encoding")))
            except hostkit.ApiError as exc:
                if exc.status == 403:
                    current_layer().audit.record("request.denied", f"{scope['method']} {scope['path']}"[:512],
                                                 "denied", reason=g.get("auth_denial") or exc.message)
                return _error(exc)
        return None


def _matching(routes, scope):
    for route in routes:
        if isinstance(route, Mount):
            continue
        included = getattr(route, "original_router", None)  # an included router, as FastAPI keeps it
        if included is not None and (found := _matching(included.routes, scope)) is not None:
            return found
        match, _ = route.matches(scope)  # an included router matching otherwise: admin-only
        if match is not Match.NONE:
            return route
    return None


def _headers(scope) -> dict[str, str]:
    """The request's headers as FastAPI reads them: the first of each name; a name spelt with
    '_' is left out (Flask would read X_MLflow_Workspace as X-MLflow-Workspace, FastAPI not)."""
    found: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").lower()
        if "_" not in name and name not in found:
            found[name] = raw_value.decode("latin-1")
    return found


async def _body(receive, most: int) -> bytes | None:
    """The whole request body, or None past `most` bytes."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > most:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes, original):
    """A receive() that hands the body read already to the app, then the server's own messages
    (a disconnect)."""
    sent = False

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive


# FastAPI's own error bodies ({"detail": ...}) in MLflow's shape, by status
ERROR_CODES = {400: "INVALID_PARAMETER_VALUE", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
               404: "RESOURCE_DOES_NOT_EXIST", 405: "BAD_REQUEST", 413: "REQUEST_LIMIT_EXCEEDED",
               422: "INVALID_PARAMETER_VALUE", 429: "REQUEST_LIMIT_EXCEEDED", 503: "TEMPORARILY_UNAVAILABLE"}


def _holding(send, holds, answer):
    """A send() that keeps back a response whose status `holds` and hands its start message and
    whole body to `answer` (a coroutine that sends what replaces them); others pass as they are."""
    held: dict = {}

    async def sending(message):
        if message["type"] == "http.response.start" and holds(message["status"]):
            held.update(start=message, chunks=[])
            return
        if "start" not in held or message["type"] != "http.response.body":
            await send(message)
            return
        held["chunks"].append(message.get("body", b""))
        if not message.get("more_body"):
            await answer(held.pop("start"), b"".join(held.pop("chunks")))

    return sending


def _errors_as_json(send):
    """A send() that hands a FastAPI route's error answer (4xx, 5xx) over as
    {"error_code", "message"}; every other answer (streams too) passes as it is."""

    async def answer(start, body: bytes) -> None:
        body = _mlflow_error(start["status"], body)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (b"content-type", b"content-length")]
        await send({**start, "headers": [*headers, (b"content-type", b"application/json"),
                                         (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    return _holding(send, lambda status: status >= 400, answer)


def _mlflow_error(status: int, body: bytes) -> bytes:
    try:
        found = json.loads(body)
    except ValueError:
        found = body.decode("utf-8", "replace")[:500] or f"HTTP {status}"
    if isinstance(found, dict) and "detail" in found and len(found) == 1:
        found = found["detail"]
    if isinstance(found, dict) and isinstance(found.get("error_code"), str) and "message" in found:
        return json.dumps(found).encode()
    if isinstance(found, list):  # FastAPI's validation errors
        found = "; ".join(str(item.get("msg", item)) if isinstance(item, dict) else str(item) for item in found)
    code = ERROR_CODES.get(status, "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST")
    return json.dumps({"error_code": code, "message": str(found)[:1000]}).encode()


def _error(exc: hostkit.ApiError):
    body = json.dumps({"error_code": exc.error_code, "message": exc.message}).encode()
    return exc.status, body, dict(getattr(exc, "headers", {}))


async def _answer(send, status: int, body: bytes, headers: dict[str, str]) -> None:
    kept = {k.lower(): str(v) for k, v in headers.items() if k.lower() != "content-length"}
    kept.setdefault("content-type", "application/json")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-length", str(len(body)).encode()),
                            *[(k.encode("latin-1"), v.encode("latin-1")) for k, v in kept.items()]]})
    await send({"type": "http.response.body", "body": body})
