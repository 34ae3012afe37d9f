"""JSON parsed strictly, for whatever the caller sends: request bodies, webhook updates and page cursors.

Its own module so that the domain (cursors) can use it without importing the resolver (`api/http.py`).
"""

from __future__ import annotations

import json
from typing import Any

# Integer literals longer than this are refused before Python parses them (no field needs them).
MAX_INT_DIGITS = 32


def _invalid_json(message: str, doc: str, pos: int = 0) -> json.JSONDecodeError:
    return json.JSONDecodeError(message, doc, pos)


def strict_json(text: str) -> Any:
    """JSON as RFC 8259 defines it: no NaN/Infinity, no numbers that overflow, bounded nesting.

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
        return json.loads(text, parse_constant=constant, parse_float=number, parse_int=integer)
    except RecursionError:
        raise _invalid_json("nested too deeply", text) from None
