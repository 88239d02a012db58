"""Who is calling: HTTP Basic credentials checked against the auth database, at most one slow
password verification per request, none for a recently verified sign-in.

`authorization_function` in basic_auth.ini may name another function (module:function). It is
called with no arguments inside the request, as MLflow calls it, and returns a username (or an
object with a `.username`, such as werkzeug's Authorization), None to refuse, or a ready Response.
"""

from __future__ import annotations

import importlib
import logging

from flask import Response, request

from auth import passwords
from auth.config import BUILTIN_AUTHENTICATION
from auth.store import User
from tracking.hostapi import Unauthenticated

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
    """The user whose Basic credentials came with the request; 401 otherwise."""
    credentials = request.authorization
    if credentials is None or credentials.type != "basic" or not credentials.username:
        raise Unauthenticated(MESSAGE)
    username, password = credentials.username, credentials.password or ""
    cached = layer.credentials.get(username, password)
    if cached is not None:
        return cached
    # No user name holds a NUL (users/create refuses control characters), and PostgreSQL
    # refuses to compare one: such a name is an unknown user, checked in the same time.
    user = layer.store.get_user(username) if "\x00" not in username else None
    matches, new_hash = passwords.verify(password, user.password_hash if user else None)
    if not matches:
        log.info("failed sign-in for a user from %s", request.remote_addr)
        raise Unauthenticated(MESSAGE)
    if new_hash:
        layer.store.update_user(username, password_hash=new_hash)
    layer.credentials.put(username, password, user)
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
