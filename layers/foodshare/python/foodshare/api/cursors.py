"""Opaque page cursors: URL-safe base64 of a small JSON value."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from foodshare.errors import ValidationFailed


def encode(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise ValidationFailed("The cursor is not valid.", fields={"cursor": "not a cursor from a previous page"})
