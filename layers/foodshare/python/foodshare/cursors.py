"""Opaque page cursors: URL-safe base64 of a small JSON value, sealed where the value must not be read or set.

Below the layers: the handlers decode the cursors they are sent, and the domain (discovery, whose page cache keys
hold the cursor) encodes the next one; the domain imports nothing of `api/`.

One rule for every paged route: a cursor is decoded here, strictly, and its value checked against the shape the
route's cursors have (`decode`, `after`); anything else is 400 `validation_error` naming `cursor`. A route whose
cursor would carry what its caller may not read (the key of an item the page read but does not show them) or what
the server must vouch for (a balance its next page derives from) seals it (`Seal`): the value is encrypted and
authenticated with the identity key, bound to the caller and the list it pages (route and path), so it reads as
nothing, and an edited one, one made up, another person's or another list's is refused. A route whose cursor only
holds the key of the last item its page showed, over a query bounded to what the caller may see, takes it as it is:
an edited one can only page from elsewhere in that same list (docs/api.md, "Page cursors").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from foodshare import identity_key
from foodshare.strict_json import strict_json
from foodshare.errors import ValidationFailed


@dataclass(frozen=True)
class Seal:
    """Whose cursor it is and which list it pages: a sealed cursor opens only for both."""

    caller: str
    scope: str  # the list: its route with the path as asked, e.g. "GET /groups/01J.../partnerships"


def encode(value: Any, seal: Seal | None = None) -> str:
    plain = json.dumps(value, separators=(",", ":")).encode()
    return _text(_sealed(plain, seal) if seal is not None else plain)


def decode(cursor: str, valid: Callable[[Any], bool] | None = None, seal: Seal | None = None) -> Any:
    """The cursor's value; 400 naming `cursor` when it is not one (with `seal`: not one sealed for that caller and
    list), or when `valid` (the shape a route's cursors have) refuses it. Parsed strictly (`strict_json`): a tampered
    cursor holding Infinity or 1e999 is refused here, not an overflow where the route uses the number."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        plain = _opened(raw, seal) if seal is not None else raw
        if plain is None:
            raise invalid()
        value = strict_json(plain.decode())
    except (ValueError, binascii.Error):
        raise invalid()
    if valid is not None and not valid(value):
        raise invalid()
    return value


def invalid() -> ValidationFailed:
    return ValidationFailed("The cursor is not valid.", fields={"cursor": "not a cursor from a previous page"})


def after(cursor: str | None, shape: str, seal: Seal | None = None) -> str | None:
    """The sort key a list's page ended at (GET /me/groups, /me/food, /me/exchanges, /me/requests, ...), from its
    cursor; 400 naming `cursor` unless it is a string matching `shape` (a regular expression) whole (sealed for
    `seal` when given). It only moves within the list's own partition (data/reads.by_user_page, prefix_page), and a
    shape of the ids the list holds keeps the key condition's bounds in order (text sorting after "~" put a BETWEEN's
    lower bound above its upper one)."""
    if cursor is None:
        return None
    return decode(cursor, lambda value: isinstance(value, str) and re.fullmatch(shape, value) is not None, seal)


def next_after(key: str | None, seal: Seal | None = None) -> str | None:
    """The cursor of the page after the one that ended at sort key `key` (None on the last page)."""
    return encode(key, seal) if key is not None else None


ULID = r"[0-9A-HJKMNP-TV-Z]{26}"  # ids.new_id (groups, exchanges, data-subject requests)
INVITE_SECRET = r"[0-9A-HJKMNP-TV-Z]{10}"  # an invite code's part after its group's id (ids.invite_code)


# ---- sealing: an SIV construction over HMAC-SHA256 (no cipher library in the layer) ----------------------------
# The tag is a MAC of the caller, the list and the value; it is also the IV of a keystream (HMAC of the tag and a
# counter) the value is XORed with. Deterministic (one page's cursor is the same each time it is given), unreadable
# without the key, and any change to the tag or the text fails the MAC. Its keys are derived for this use, so the identity
# key's other uses (handles, pseudonyms, areas) never meet a cursor's.
_TAG_BYTES = 16


def _keys() -> tuple[bytes, bytes]:
    root = identity_key.key()  # cached after its first read (a deployed stage: one Secrets Manager call a container)
    return (hmac.new(root, b"foodshare cursor mac", hashlib.sha256).digest(),
            hmac.new(root, b"foodshare cursor stream", hashlib.sha256).digest())


def _tag(key: bytes, seal: Seal, plain: bytes) -> bytes:
    parts = (seal.caller.encode("utf-8", "surrogatepass"), seal.scope.encode("utf-8", "surrogatepass"), plain)
    message = b"".join(len(part).to_bytes(4, "big") + part for part in parts)  # no two bindings read alike
    return hmac.new(key, message, hashlib.sha256).digest()[:_TAG_BYTES]


def _xor(key: bytes, tag: bytes, data: bytes) -> bytes:
    stream = b"".join(hmac.new(key, tag + n.to_bytes(4, "big"), hashlib.sha256).digest()
                      for n in range(-(-len(data) // 32)))
    return bytes(a ^ b for a, b in zip(data, stream))


def _sealed(plain: bytes, seal: Seal) -> bytes:
    mac_key, stream_key = _keys()
    tag = _tag(mac_key, seal, plain)
    return tag + _xor(stream_key, tag, plain)


def _opened(raw: bytes, seal: Seal) -> bytes | None:
    if len(raw) <= _TAG_BYTES:
        return None
    mac_key, stream_key = _keys()
    tag = raw[:_TAG_BYTES]
    plain = _xor(stream_key, tag, raw[_TAG_BYTES:])
    return plain if hmac.compare_digest(tag, _tag(mac_key, seal, plain)) else None


def _text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
