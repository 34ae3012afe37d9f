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


def strict_json(text: str) -> Any:
    """JSON as RFC 8259 defines it: no NaN/Infinity, no numbers that overflow, bounded nesting, and strings of
    Unicode characters only (a lone surrogate, `"\\ud800"`, cannot be encoded as UTF-8: a key, a Redis command or
    a stored attribute holding one fails where it is used, a 500 far from the input).

    Every refusal is a JSONDecodeError (a ValueError), which Powertools turns into a request validation
    error (400 here); any other exception out of `json.loads` (RecursionError, ValueError for huge integers)
    would be a 500, and an infinite number would overflow where it is used (`int(inf)`).
    """

    def constant(name: str) -> Any:
        raise _invalid_json(f"{name} is not JSON", text)

    def number(literal: str) -> float:
        value = float(literal)
        if value in (float("inf"), float("-inf")):
            raise _invalid_json("number out of range", text)
        return value

    def integer(literal: str) -> int:
        if len(literal.lstrip("-")) > MAX_INT_DIGITS:
            raise _invalid_json("integer out of range", text)
        return int(literal)

    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _invalid_json("not Unicode text", text, exc.start) from None
    try:
        value = json.loads(text, parse_constant=constant, parse_float=number, parse_int=integer)
    except RecursionError:
        raise _invalid_json("nested too deeply", text) from None
    if _SURROGATE_ESCAPE.search(text) and not _unicode(value):
        raise _invalid_json("a string holds a lone surrogate", text)
    return value


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
