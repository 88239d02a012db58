"""Reading a request's fields: typed, bounded, with messages that say what to fix.

GET requests carry their fields in the query string (as the mlflow client sends them); other
methods carry a JSON object body. Unknown fields are ignored, as newer clients send extra ones.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable

from flask import request

from tracking.errors import InvalidParameter, MalformedRequest

NON_FINITE = {"nan": math.nan, "infinity": math.inf, "inf": math.inf,
              "-infinity": -math.inf, "-inf": -math.inf}
# ASCII digits only: str.isdigit() also accepts '²', which int() refuses.
_INTEGER_TEXT = re.compile(r"-?[0-9]+")


@dataclass(frozen=True)
class Field:
    """One request field: its name, kind, whether it is required and its size bound."""

    name: str
    kind: str = "string"  # string | id | int | float | bool | strings | objects
    required: bool = False
    max_length: int = 1000
    item: tuple["Field", ...] = ()  # the fields of each object, for kind "objects"


def body() -> dict[str, Any]:
    """The request's JSON object body ({} when empty)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        value = request.get_json(force=True, silent=False, cache=True)
    except Exception:
        raise MalformedRequest("The request body is not valid JSON; send a JSON object.") from None
    if not isinstance(value, dict):
        raise MalformedRequest("The request body must be a JSON object, e.g. {\"name\": \"x\"}.")
    return value


def read(*fields: Field) -> dict[str, Any]:
    """The declared fields of this request, converted and checked."""
    if request.method == "GET":
        source = {f.name: _query_value(f) for f in fields if f.name in request.args}
    else:
        source = body() or {f.name: _query_value(f) for f in fields if f.name in request.args}
    return convert(source, fields)


def convert(source: dict[str, Any], fields: tuple[Field, ...], where: str = "") -> dict[str, Any]:
    """Check and convert each declared field of one JSON object."""
    values = {}
    for f in fields:
        raw = source.get(f.name)
        label = f"{where}{f.name}"
        if raw is None:
            if f.required:
                raise InvalidParameter(f"Missing value for required parameter '{label}'.")
            values[f.name] = None
            continue
        values[f.name] = _CONVERTERS[f.kind](raw, f, label)
    return values


def _query_value(f: Field):
    if f.kind in ("strings", "objects"):
        return request.args.getlist(f.name)
    return request.args.get(f.name)


def _string(raw, f: Field, label: str) -> str:
    if not isinstance(raw, str):
        raise InvalidParameter(
            f"Parameter '{label}' must be a string, got {type(raw).__name__} {_show(raw)}."
        )
    if len(raw) > f.max_length:
        raise InvalidParameter(
            f"Parameter '{label}' is {len(raw)} characters long; the limit is {f.max_length}."
        )
    if "\x00" in raw:
        raise InvalidParameter(f"Parameter '{label}' must not contain NUL characters.")
    if not _is_encodable(raw):
        raise InvalidParameter(
            f"Parameter '{label}' contains an unpaired UTF-16 surrogate escape (e.g. \\ud800); "
            "send valid Unicode text."
        )
    return raw


def _is_encodable(text: str) -> bool:
    # JSON may escape lone surrogates, which no database can store as UTF-8.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _id(raw, f: Field, label: str) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    return _string(raw, f, label)


def _int(raw, f: Field, label: str) -> int:
    if isinstance(raw, str) and _INTEGER_TEXT.fullmatch(raw.strip()):
        # Past 20 characters it is out of the 64-bit range (and int() refuses thousands of
        # digits): stand in an out-of-range value for the range check below to report.
        raw = int(raw.strip()) if len(raw.strip()) <= 20 else 2**64
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise InvalidParameter(f"Parameter '{label}' must be an integer, got {_show(raw)}.")
    if not -(2**63) <= raw < 2**63:
        raise InvalidParameter(f"Parameter '{label}' is out of the 64-bit integer range.")
    return raw


def _float(raw, f: Field, label: str) -> float:
    if isinstance(raw, str) and raw.strip().lower() in NON_FINITE:
        return NON_FINITE[raw.strip().lower()]
    if isinstance(raw, str):
        try:
            return float(raw)
        except ValueError:
            pass
    if not isinstance(raw, (int, float)) or isinstance(raw, bool):
        raise InvalidParameter(
            f"Parameter '{label}' must be a number (or \"NaN\", \"Infinity\"), got {_show(raw)}."
        )
    try:
        return float(raw)
    except OverflowError:  # an integer literal with hundreds of digits
        raise InvalidParameter(
            f"Parameter '{label}' is too large for a double; send \"Infinity\" if you mean it."
        ) from None


def _bool(raw, f: Field, label: str) -> bool:
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    if not isinstance(raw, bool):
        raise InvalidParameter(f"Parameter '{label}' must be true or false, got {_show(raw)}.")
    return raw


def _strings(raw, f: Field, label: str) -> list[str]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise InvalidParameter(f"Parameter '{label}' must be a list of strings, got {_show(raw)}.")
    _check_count(raw, label)
    return [_id(item, f, f"{label}[{i}]") for i, item in enumerate(raw)]


def _objects(raw, f: Field, label: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise InvalidParameter(f"Parameter '{label}' must be a list of objects, got {_show(raw)}.")
    _check_count(raw, label)
    items = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise InvalidParameter(f"Each item of '{label}' must be an object; item {i} is not.")
        items.append(convert(item, f.item, f"{label}[{i}]."))
    return items


MAX_LIST_ITEMS = 10_000


def _check_count(raw: list, label: str) -> None:
    if len(raw) > MAX_LIST_ITEMS:
        raise InvalidParameter(
            f"Parameter '{label}' has {len(raw)} items; the limit is {MAX_LIST_ITEMS}."
        )


def _show(raw) -> str:
    text = repr(raw)
    return text if len(text) <= 60 else text[:57] + "..."


_CONVERTERS: dict[str, Callable[[Any, Field, str], Any]] = {
    "string": _string, "id": _id, "int": _int, "float": _float, "bool": _bool,
    "strings": _strings, "objects": _objects,
}
