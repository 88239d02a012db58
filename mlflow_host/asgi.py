"""Under uvicorn MLflow serves some routes through FastAPI itself (the AI Gateway, OTLP
ingest, jobs, the assistant), beside its Flask app. Those routes have no rule of the auth layer
yet, so they are admin-only: this middleware signs the caller in through the layer (the same
credentials, caches, lockouts) and refuses anyone else before FastAPI answers."""

from __future__ import annotations

import json

from flask import Flask
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match, Mount

from auth.layer import current_layer
from tracking import hostkit


def guarded_fastapi_app(flask_app: Flask):
    """MLflow's FastAPI app around the Flask app, with FastAPI's own routes admin-only."""
    from mlflow.server.fastapi_app import create_fastapi_app

    fastapi_app = create_fastapi_app(flask_app)
    fastapi_app.add_middleware(AdminOnlyNativeRoutes, flask_app=flask_app, router=fastapi_app.router)
    return fastapi_app


class AdminOnlyNativeRoutes:
    """ASGI middleware: a request that a FastAPI route (not the mounted Flask app) would serve
    must come from a signed-in admin."""

    def __init__(self, app, flask_app: Flask, router):
        self.app, self.flask_app, self.router = app, flask_app, router

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self._native(scope):
            refusal = await run_in_threadpool(self._refusal, scope)
            if refusal is not None:
                status, body, headers = refusal
                await send({"type": "http.response.start", "status": status,
                            "headers": [(b"content-type", b"application/json"),
                                        *[(k.lower().encode(), v.encode()) for k, v in headers.items()]]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def _native(self, scope) -> bool:
        for route in self.router.routes:
            if isinstance(route, Mount):
                continue
            match, _ = route.matches(scope)
            if match is not Match.NONE:
                return True
        return False

    def _refusal(self, scope):
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        client = (scope.get("client") or ("", 0))[0]
        with self.flask_app.test_request_context(scope["path"], method=scope["method"], headers=headers,
                                                 environ_base={"REMOTE_ADDR": client}):
            try:
                user = current_layer().authenticate()
                if not getattr(user, "is_admin", False):
                    raise hostkit.PermissionDenied(
                        f"{scope['method']} {scope['path']} is for admins only on this server.")
            except hostkit.ApiError as exc:
                body = json.dumps({"error_code": exc.error_code, "message": exc.message}).encode()
                return exc.status, body, dict(getattr(exc, "headers", {}))
        return None
