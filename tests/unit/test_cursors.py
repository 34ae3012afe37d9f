"""The sealing of page cursors (`cursors.Seal`): what a client holds reads as nothing, and opens only unchanged, for
the caller and the list it was made for. The routes that seal are tested through their handlers (tests/api)."""

from __future__ import annotations

import base64

import pytest

from foodshare import cursors
from foodshare.errors import ValidationFailed

SEAL = cursors.Seal("cleo", "GET /groups/01J0000000000000000000000Z/invites")
CODE = "01J0000000000000000000000Z-K7Q2XR9M4A"


def _raw(cursor: str) -> bytes:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


def test_a_sealed_cursor_opens_for_its_caller_and_list_and_reads_as_nothing():
    cursor = cursors.encode(CODE, SEAL)
    assert cursors.decode(cursor, seal=SEAL) == CODE
    assert cursors.encode(CODE, SEAL) == cursor  # one page's cursor is the same each time
    assert CODE.encode() not in _raw(cursor) and b"K7Q2XR9M4A" not in _raw(cursor) and "K7Q2" not in cursor
    assert len(cursor) < 100  # far within the routes' 512 characters
    for other in (cursors.Seal("sam", SEAL.scope), cursors.Seal("cleo", SEAL.scope.replace("invites", "x")),
                  cursors.Seal("cleo" + SEAL.scope, ""), cursors.Seal("", "cleo" + SEAL.scope)):
        with pytest.raises(ValidationFailed):
            cursors.decode(cursor, seal=other)
    with pytest.raises(ValidationFailed):
        cursors.decode(cursor)  # not a cursor of an unsealed list either


def test_any_change_to_a_sealed_cursor_is_refused():
    raw = _raw(cursors.encode([CODE, 12], SEAL))
    for at in range(len(raw)):
        for flip in (0x01, 0x80):
            changed = raw[:at] + bytes([raw[at] ^ flip]) + raw[at + 1:]
            with pytest.raises(ValidationFailed) as refused:
                cursors.decode(base64.urlsafe_b64encode(changed).decode(), seal=SEAL)
            assert refused.value.fields == {"cursor": "not a cursor from a previous page"}
    for cut in (raw[:-1], raw[:16], raw[:3], raw + b"\x00", b""):
        with pytest.raises(ValidationFailed):
            cursors.decode(base64.urlsafe_b64encode(cut).decode(), seal=SEAL)
    unsealed = cursors.encode([CODE, 12])  # the value as it is, not sealed: refused where the list seals
    with pytest.raises(ValidationFailed):
        cursors.decode(unsealed, seal=SEAL)
