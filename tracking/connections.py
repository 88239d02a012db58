"""Keep-alive connections survive an early answer: a body the app did not read is read and
discarded before the response goes out (issue 10).

The auth layer answers 401, 403 and 429, and a handler may answer 400, before anything reads the
request body. Left unread, the body broke the connection: the client's next request on it failed
with "Remote end closed connection without response". Draining is bounded by the request size
limit the app already enforces, plus a little (OVERFLOW_BYTES): a body a little over the limit is
read and discarded too, so that its client, still sending, reads the 413 instead of losing the
connection mid-send. Past that (or for a chunked body) the answer carries `Connection: close` for
servers that pass it on (gunicorn drops that header; it then decides for itself whether to keep
the connection), and a client still sending may see the connection reset.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

_CHUNK = 64 * 1024
OVERFLOW_BYTES = 8 * 1024 * 1024  # how far past the size limit a refused body is still read off


def _drain(response: Response) -> Response:
    length = request.content_length
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if not length and not chunked:
        return response
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    if chunked or not limit or length > limit + OVERFLOW_BYTES:
        response.headers["Connection"] = "close"
        return response
    # Past the limit, Werkzeug's request.stream refuses to be read; the server's own input
    # stream stops at the declared length.
    stream = request.stream if length <= limit else request.environ["wsgi.input"]
    if getattr(stream, "is_exhausted", False):
        return response
    try:
        while stream.read(_CHUNK):
            pass
    except (OSError, ValueError):  # the client went away or broke off mid-body
        response.headers["Connection"] = "close"
    return response


def register_body_draining(app: Flask) -> None:
    """Read what is left of every request body before answering."""
    app.after_request(_drain)
