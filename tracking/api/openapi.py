"""The OpenAPI 3.1 document of every route, as shipped in the package (tracking/openapi.json).

The document is written by `python -m tools.openapi` from the route tables; the server only serves
the file, so what it serves is exactly what was reviewed and tested.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def _document() -> bytes:
    return files("tracking").joinpath("openapi.json").read_bytes()


def openapi_document():
    """GET openapi.json -> the OpenAPI document (public, like the other probes)."""
    return _document(), 200, {"Content-Type": "application/json"}
