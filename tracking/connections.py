"""Keep-alive connections survive an early answer: a body the app did not read is read and
discarded before the response goes out (issue 10).

The auth layer answers 401, 403 and 429, and a handler may answer 400, before anything reads the
request body. Left unread, the body broke the connection: the client's next request on it failed
with "Remote end closed connection without response". Draining is bounded by the request size
limit the app already enforces, so a client can make the server read no more than it would have
read for a valid request. Past that limit (or for a chunked body) the answer carries
`Connection: close` for servers that pass it on (gunicorn drops that header; it then decides for
itself whether to keep the connection).
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

_CHUNK = 64 * 1024


def _drain(response: Response) -> Response:
    length = request.content_length
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if not length and not chunked:
        return response
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    if chunked or not limit or length > limit:
        response.headers["Connection"] = "close"
        return response
    stream = request.stream
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
