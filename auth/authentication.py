"""Who is calling: HTTP Basic credentials checked against the auth database, at most one slow
password verification per request, none for a sign-in verified recently from the same address;
failed sign-ins are counted and locked out (auth.lockout) and audited (auth.audit).

`authorization_function` in basic_auth.ini may name another function (module:function). It is
called with no arguments inside the request, as MLflow calls it, and returns a username (or an
object with a `.username`, such as werkzeug's Authorization), None to refuse, or a ready Response.
"""

from __future__ import annotations

import importlib
import logging

from flask import Response, g, request

from auth import audit, passwords
from auth.config import BUILTIN_AUTHENTICATION
from auth.lockout import TooManyAttempts, client_address
from auth.store import User
from tracking.hostkit import Unauthenticated

log = logging.getLogger(__name__)
MESSAGE = "You are not authenticated: send the HTTP Basic credentials of a wsauth user."


def load_function(name: str):
    """The configured authentication function; the built-in one for MLflow's name."""
    if name == BUILTIN_AUTHENTICATION:
        return None
    module, _, attribute = name.partition(":")
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"authorization_function {name} cannot be loaded: {exc}") from None


def basic(layer) -> User:
    """The user whose Basic credentials came with the request; 401 otherwise, 429 while the name
    is locked out from this address."""
    credentials = request.authorization
    if credentials is None or credentials.type != "basic" or not credentials.username:
        raise Unauthenticated(MESSAGE)
    username, password = credentials.username, credentials.password or ""
    address = g.client_address = client_address(request.remote_addr, request.headers.get("X-Forwarded-For"),
                                                 layer.config.trusted_proxies)
    cached = layer.credentials.get(username, password, address)
    if cached is not None:
        return cached
    g.auth_attempted_user = username[:255]
    try:
        with layer.guard.attempt(username, address) as attempt:
            # No user name holds a NUL (users/create refuses control characters), and PostgreSQL
            # refuses to compare one: such a name is an unknown user, checked in the same time.
            user = layer.store.get_user(username) if "\x00" not in username else None
            matches, new_hash = passwords.verify(password, user.password_hash if user else None)
            if matches:
                attempt.succeeded()
            else:
                log.info("failed sign-in for a user from %s", address)
                layer.audit.record("login.failed", f"user {username[:255]}", audit.FAILURE)
            if not matches and attempt.failed():
                log.warning("sign-ins of a user from %s locked for %s s after repeated failures", address,
                            layer.config.login_lockout_seconds)
                layer.audit.record("login.locked", f"user {username[:255]}", audit.DENIED,
                                   seconds=layer.config.login_lockout_seconds)
                layer.locked_out(username)
    except TooManyAttempts:
        layer.audit.record("login.refused", f"user {username[:255]}", audit.DENIED, reason="locked out")
        raise
    if not matches:
        raise Unauthenticated(MESSAGE)
    if new_hash:
        layer.store.rehash(username, new_hash)
    layer.credentials.put(username, password, address, user)
    return user


def custom(layer, function) -> User | Response:
    """The user a custom function vouches for (who must exist in the auth database)."""
    result = function()
    if isinstance(result, Response):
        return result
    username = getattr(result, "username", result)
    user = layer.store.get_user(username) if isinstance(username, str) and username else None
    if user is None:
        raise Unauthenticated(MESSAGE)
    return user
