"""gunicorn's own answers, in the JSON error shape of every other answer.

gunicorn refuses some requests before Flask sees them (a request line over its limit, malformed
or oversized headers) and writes an HTML page for them. Clients parse `{"error_code", "message"}`
on every error, and the OpenAPI document promises it, so the server installs this writer instead.
"""

from __future__ import annotations

import json

from gunicorn import util

CODES = {400: "BAD_REQUEST", 403: "PERMISSION_DENIED", 414: "REQUEST_LIMIT_EXCEEDED",
         431: "REQUEST_LIMIT_EXCEEDED", 500: "INTERNAL_ERROR"}
HINTS = {414: " The request line (method, path and query string) may be at most 8190 bytes; "
              "send long fields in a POST body where the route takes one."}


def write_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """Write one JSON error response on a connection gunicorn is about to close."""
    if status_int == 400 and mesg.startswith("Request Line is too large"):
        status_int, reason = 414, "Request-URI Too Long"  # gunicorn < 26 says 400 for it, later ones 414
    message = f"{reason}: {mesg}"[:500].rstrip(".") + "." + HINTS.get(status_int, "")
    body = json.dumps({"error_code": CODES.get(status_int, "BAD_REQUEST"), "message": message})
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    util.write_nonblock(sock, (head + body).encode("latin-1"))


def install() -> None:
    """Use write_error for gunicorn's refusals in this process (and the workers it forks)."""
    util.write_error = write_error
