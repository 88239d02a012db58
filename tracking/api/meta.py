"""Health, readiness, version and server-info: what monitors and clients probe."""

from __future__ import annotations

from flask import current_app, render_template, request

import tracking
from tracking import readiness
from tracking.errors import Unavailable
from tracking.state import host


def health():
    """GET /health -> 200 OK while the process serves; touches no database (see ready)."""
    return "OK", 200, {"Content-Type": "text/plain; charset=utf-8"}


def ready():
    """GET /ready -> 200 {"status": "ready", "databases": {name: "up"}} when every database
    answers; else 503 TEMPORARILY_UNAVAILABLE naming the ones that do not (and "databases")."""
    states = readiness.probe_all(current_app)
    down = [name for name, state in states.items() if state != "up"]
    if down:
        raise Unavailable(f"Not ready: cannot reach the {' and '.join(down)} database"
                          f"{'s' if len(down) > 1 else ''}.", databases=states)
    return {"status": "ready", "databases": states}


def version():
    """GET /version -> the server's version."""
    return tracking.__version__, 200, {"Content-Type": "text/plain; charset=utf-8"}


def server_info():
    """GET server-info -> {"store_type", "workspaces_enabled"}; needs no workspace header."""
    return {"store_type": "SqlStore", "workspaces_enabled": host().settings.workspaces_enabled}


def home():
    """GET / -> a short HTML page: what this server is, where its docs are, how to sign in (the
    client's "View run at http://host/#/experiments/..." links land here)."""
    body = render_template("home.html", version=tracking.__version__, url=request.host_url.rstrip("/"),
                           workspaces_enabled=host().settings.workspaces_enabled,
                           auth_hint=bool(host().settings.app_name))
    # The page has no scripts, forms or frames: a strict policy costs nothing.
    return body, 200, {"Content-Type": "text/html; charset=utf-8",
                       "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                  "frame-ancestors 'none'",
                       "X-Content-Type-Options": "nosniff"}
