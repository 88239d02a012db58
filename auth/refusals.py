"""The layer's refusals that depend on the request: a logged 403, and the 404 of a workspace
route on a server without workspaces (the same for admins and everyone else)."""

from __future__ import annotations

import logging

from flask import g, request

from tracking import hostkit

log = logging.getLogger("auth.hook")


def deny(message: str) -> None:
    """Refuse the request with 403, saying why; the reason is kept for the audit trail."""
    log.info("denied %s %s for user id %s: %s", request.method, request.path, getattr(g.get("auth_user"), "id", None),
             message)
    g.auth_denial = message
    raise hostkit.PermissionDenied(message)


def workspaces_off() -> hostkit.EndpointNotFound:
    """The 404 of a workspace route on a server that runs without workspaces."""
    return hostkit.EndpointNotFound(
        f"{request.path} is disabled because this server runs without workspaces; restart it "
        "with --enable-workspaces."
    )
