"""The few exception classes a handler may raise, and the one place that turns them into JSON.

Every error leaves the server as ``{"error_code": ..., "message": ...}`` with MLflow's codes, so the
stock client raises a readable ``RestException``. No view builds an error response by hand.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the client must see, with its HTTP status and MLflow error code."""

    status = 400
    error_code = "INVALID_PARAMETER_VALUE"

    def __init__(self, message: str, **details):
        super().__init__(message)
        self.message = message
        self.details = details  # further fields of the JSON body (e.g. /ready's databases)


class InvalidParameter(ApiError):
    """A request field is missing, of the wrong type, too large or otherwise invalid."""


class MalformedRequest(ApiError):
    """The request body cannot be read at all (not JSON, not an object)."""

    error_code = "MALFORMED_REQUEST"


class AlreadyExists(ApiError):
    """A create would duplicate a unique name."""

    error_code = "RESOURCE_ALREADY_EXISTS"


class NotFound(ApiError):
    """The addressed resource does not exist (in the request's workspace)."""

    status = 404
    error_code = "RESOURCE_DOES_NOT_EXIST"


class EndpointNotFound(ApiError):
    """No such route, or a route switched off by the server's configuration."""

    status = 404
    error_code = "ENDPOINT_NOT_FOUND"


class InvalidState(ApiError):
    """The request conflicts with the current state (for example deleting a non-empty workspace)."""

    status = 409
    error_code = "INVALID_STATE"


class PermissionDenied(ApiError):
    """An authenticated caller lacks the permission the route needs."""

    status = 403
    error_code = "PERMISSION_DENIED"


class Unauthenticated(ApiError):
    """Missing or wrong credentials."""

    status = 401
    error_code = "UNAUTHENTICATED"
    headers = {"WWW-Authenticate": 'Basic realm="mlflow"'}


class Unavailable(ApiError):
    """A backing database cannot be reached; the request may be retried."""

    status = 503
    error_code = "TEMPORARILY_UNAVAILABLE"


_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "ENDPOINT_NOT_FOUND",
    405: "BAD_REQUEST",
    413: "REQUEST_LIMIT_EXCEEDED",
    415: "BAD_REQUEST",
}


def error_body(status: int, error_code: str, message: str, **details):
    """A JSON error response in MLflow's shape (plus any further fields)."""
    response = jsonify(error_code=error_code, message=message, **details)
    response.status_code = status
    return response


def _api_error(exc: ApiError):
    response = error_body(exc.status, exc.error_code, exc.message, **exc.details)
    response.headers.update(getattr(exc, "headers", {}))
    return response


def _http_error(exc: HTTPException):
    original = getattr(exc, "original_exception", None)
    if isinstance(original, DBAPIError):  # raised outside the view (an after_request function)
        return _database_error(original)
    if isinstance(original, PoolTimeout):
        return _unavailable(original)
    code = _HTTP_CODES.get(exc.code or 500, "INTERNAL_ERROR")
    response = error_body(exc.code or 500, code, _describe_http_error(exc))
    for name in ("Allow", "WWW-Authenticate", "Retry-After"):
        if name in exc.get_response().headers:
            response.headers[name] = exc.get_response().headers[name]
    return response


def _describe_http_error(exc: HTTPException) -> str:
    if exc.code == 404:
        return "No API endpoint at this path; see docs/rest-api.md for the routes this server serves."
    if exc.code == 405:
        return f"This endpoint does not accept the HTTP method used; allowed: {exc.valid_methods}."
    if exc.code == 413:
        return "The request body is too large; split it into smaller requests."
    return exc.description or exc.name


# Errors a database raises because of a statement's own size or shape, not because it is down:
# PostgreSQL's class 54 (program limit exceeded: stack depth, too many columns or arguments) and
# SQLite's limits. They are the request's fault (a 400), never a 503 telling an operator the
# database is down.
_SQLITE_LIMITS = ("too many", "too large", "too big", "parser stack overflow", "too complex",
                  "at most 64 tables")


def _is_statement_limit(exc: DBAPIError) -> bool:
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(state, str):
        return state.startswith("54")
    return type(orig).__module__.startswith("sqlite3") and any(
        words in str(orig).lower() for words in _SQLITE_LIMITS)


def _database_error(exc: DBAPIError):
    if _is_statement_limit(exc):
        log.warning("a request exceeded a database limit: %s", str(exc.orig).split("\n")[0][:200])
        return error_body(400, "INVALID_PARAMETER_VALUE",
                          "The request is too large or complex for the database (too many filters, "
                          "ordering keys or values); make it smaller.")
    if isinstance(exc, DataError):  # e.g. a value longer than MySQL's 64 KB TEXT: the request's fault
        return error_body(400, "INVALID_PARAMETER_VALUE",
                          "A value of the request does not fit the database (too long or out of range); "
                          "shorten it.")
    if isinstance(exc, (OperationalError, InterfaceError)) or exc.connection_invalidated:
        return _unavailable(exc)
    return _unexpected(exc)


def _unavailable(exc: Exception):
    # Refused or dropped connections, statement timeouts, an exhausted pool: the request may be
    # retried. The body never carries the driver's text (it can hold SQL and parameters).
    orig = getattr(exc, "orig", None)
    log.error("database unavailable: %s: %s", type(orig or exc).__name__, str(orig or exc).split("\n")[0][:200])
    return error_body(503, "TEMPORARILY_UNAVAILABLE", "The database is unavailable; retry shortly.")


def _unexpected(exc: Exception):
    log.exception("unhandled error")
    return error_body(500, "INTERNAL_ERROR", "Internal error; the server log has the details.")


def register_plugin_error_handlers(app: Flask) -> None:
    """On another host's app, whose own errors stay its own: render a plugin's errors (and
    its database's) as the JSON of this toolkit."""
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(PoolTimeout, _unavailable)


def register_error_handlers(app: Flask) -> None:
    """Route every exception through one JSON renderer."""
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(PoolTimeout, _unavailable)
    app.register_error_handler(Exception, _unexpected)
