"""Opaque page cursors: URL-safe base64 of a small JSON value.

Below the layers: the handlers decode the cursors they are sent, and the domain (discovery, whose page cache keys
hold the cursor) encodes the next one; the domain imports nothing of `api/`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from typing import Any

from foodshare.strict_json import strict_json
from foodshare.errors import ValidationFailed


def encode(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str, valid: Callable[[Any], bool] | None = None) -> Any:
    """The cursor's value; 400 naming `cursor` when it is not one, or when `valid` (the shape a route's cursors
    have) refuses it. Parsed strictly (`strict_json`): a tampered cursor holding Infinity or 1e999 is refused
    here, not an overflow where the route uses the number."""
    try:
        value = strict_json(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, binascii.Error):
        raise invalid()
    if valid is not None and not valid(value):
        raise invalid()
    return value


def invalid() -> ValidationFailed:
    return ValidationFailed("The cursor is not valid.", fields={"cursor": "not a cursor from a previous page"})


def after(cursor: str | None, shape: str) -> str | None:
    """The sort key a list's page ended at (GET /me/groups, /me/food, /me/exchanges, /me/requests, ...), from its
    cursor; 400 naming `cursor` unless it is a string matching `shape` (a regular expression) whole. It only moves
    within the list's own partition (data/reads.by_user_page, prefix_page), and a shape of the ids the list holds keeps
    the key condition's bounds in order (text sorting after "~" put a BETWEEN's lower bound above its upper one)."""
    if cursor is None:
        return None
    return decode(cursor, lambda value: isinstance(value, str) and re.fullmatch(shape, value) is not None)


ULID = r"[0-9A-HJKMNP-TV-Z]{26}"  # ids.new_id (groups, exchanges, data-subject requests)
INVITE_SECRET = r"[0-9A-HJKMNP-TV-Z]{10}"  # an invite code's part after its group's id (ids.invite_code)
