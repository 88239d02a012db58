"""Health, version and server-info: what monitors and clients probe."""

from __future__ import annotations

import tracking
from tracking.state import host


def health():
    """GET /health -> 200 OK."""
    return "OK", 200, {"Content-Type": "text/plain; charset=utf-8"}


def version():
    """GET /version -> the server's version."""
    return tracking.__version__, 200, {"Content-Type": "text/plain; charset=utf-8"}


def server_info():
    """GET server-info -> {"store_type", "workspaces_enabled"}; needs no workspace header."""
    return {"store_type": "SqlStore", "workspaces_enabled": host().settings.workspaces_enabled}
