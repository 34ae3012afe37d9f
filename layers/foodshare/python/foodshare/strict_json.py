"""JSON parsed strictly, for whatever the caller sends: request bodies, webhook updates and page cursors.

Below the layers, beside `ids` and `clock`: the API's resolver (`api/http.py`), the bots and the page cursors
(`cursors`, which the domain uses) all parse with it, and the domain imports nothing of `api/`.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Integer literals longer than this are refused before Python parses them (no field needs them).
MAX_INT_DIGITS = 32
# A JSON escape of a surrogate code point (U+D800 to U+DFFF): half of a pair, or a lone one no UTF-8 text holds
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _invalid_json(message: str, doc: str, pos: int = 0) -> json.JSONDecodeError:
    return json.JSONDecodeError(message, doc, pos)


class NumberNotJson(json.JSONDecodeError):
    """A number JSON cannot hold (NaN, Infinity, one that overflows), and `field`: where the text held it, as a 400
    names a field (`location.lat`; list positions left out; `body` at the top). A client that wrote NaN for a
    latitude is told which latitude, not that its body is not JSON."""

    def __init__(self, message: str, doc: str, field: str):
        super().__init__(message, doc, 0)
        self.field = field


class _Refused:
    """Stands where the parser met a number JSON cannot hold, so the refusal can name the field holding it."""

    def __init__(self, message: str):
        self.message = message


def strict_json(text: str) -> Any:
    """JSON as RFC 8259 defines it: no NaN/Infinity, no numbers that overflow, bounded nesting, and strings of
    Unicode characters only (a lone surrogate, `"\\ud800"`, cannot be encoded as UTF-8: a key, a Redis command or
    a stored attribute holding one fails where it is used, a 500 far from the input).

    Every refusal is a JSONDecodeError (a ValueError), which Powertools turns into a request validation
    error (400 here; a NumberNotJson names its field); any other exception out of `json.loads` (RecursionError,
    ValueError for huge integers) would be a 500, and an infinite number would overflow where it is used
    (`int(inf)`).
    """
    refused: list[_Refused] = []

    def refuse(message: str) -> _Refused:
        refused.append(_Refused(message))
        return refused[-1]

    def constant(name: str) -> Any:
        return refuse(f"{name} is not a JSON number")

    def number(literal: str) -> float | _Refused:
        value = float(literal)
        if value in (float("inf"), float("-inf")):
            return refuse("number out of range")
        return value

    def integer(literal: str) -> int | _Refused:
        if len(literal.lstrip("-")) > MAX_INT_DIGITS:
            return refuse("integer out of range")
        return int(literal)

    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _invalid_json("not Unicode text", text, exc.start) from None
    try:
        value = json.loads(text, parse_constant=constant, parse_float=number, parse_int=integer)
    except RecursionError:
        raise _invalid_json("nested too deeply", text) from None
    if refused:  # the first one the value still holds (a later duplicate key drops one: still refused, as the body)
        try:
            located = _where(value)
        except RecursionError:  # nested nearly as deep as the parser allows: the body is named
            located = None
        field, found = located or ("body", refused[0])
        raise NumberNotJson(found.message, text, field)
    if _SURROGATE_ESCAPE.search(text) and not _unicode(value):
        raise _invalid_json("a string holds a lone surrogate", text)
    return value


def _where(value: Any, path: tuple[str, ...] = ()) -> tuple[str, _Refused] | None:
    """The field path of the first `_Refused` in the value, and it (None when it holds none)."""
    if isinstance(value, _Refused):
        return ".".join(path) or "body", value
    children = value.items() if isinstance(value, dict) else ((None, v) for v in value) if isinstance(value, list) else ()
    for key, child in children:
        if (found := _where(child, path if key is None else (*path, key))) is not None:
            return found
    return None


def _unicode(value: Any) -> bool:
    """Every string in the value (keys too) encodes as UTF-8; only walked when the text escapes a surrogate."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_unicode(k) and _unicode(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_unicode(v) for v in value)
    return True
