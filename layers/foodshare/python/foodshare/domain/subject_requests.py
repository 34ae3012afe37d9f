"""The record of data-subject requests (GDPR Art. 15-21): every request's type, time and outcome.

Written in the same transaction as what the request changed, so the record and the
change exist together; read by `GET /me/requests` and included in the export.
Types: access and portability (exports), rectification (PUT /me), erasure, restriction
and objection (PUT /me/privacy).
"""

from __future__ import annotations

from foodshare import clock, ids
from foodshare.data.models import DataSubjectRequestItem
from foodshare.data.transaction import UnitOfWork

TYPES = ("access", "rectification", "erasure", "portability", "restriction", "objection")
COMPLETED, PENDING, FAILED = "completed", "pending", "failed"


def record(uow: UnitOfWork, user_id: str, kind: str, outcome: str = COMPLETED, detail: str | None = None,
           request_id: str | None = None) -> DataSubjectRequestItem:
    if kind not in TYPES:
        raise ValueError(f"unknown data-subject request type {kind!r}")
    now = clock.now_iso()
    request_id = request_id or ids.new_id()
    item = DataSubjectRequestItem(
        *DataSubjectRequestItem.key(user_id, request_id),
        request_id=request_id,
        user_id=user_id,
        type=kind,
        requested_at=now,
        outcome=outcome,
        completed_at=now if outcome == COMPLETED else None,
        detail=detail,
    )
    uow.save(item)
    return item


PAGE, PAGE_MAX = 50, 100


def page(user_id: str, limit: int, after: str | None) -> tuple[list[DataSubjectRequestItem], bool]:
    """The person's requests after request `after`, oldest first, `limit` at a time (every profile or privacy change
    adds one, so the record grows with use); the flag says whether later requests remain."""
    pk, first = DataSubjectRequestItem.key(user_id, after or "")
    found = list(DataSubjectRequestItem.query(
        pk, DataSubjectRequestItem.sk.between(first, "DSR#~"),
        limit=limit + 2,  # the cursor's request itself may be among them
    ))
    found = [r for r in found if not (after and r.sk == first)][: limit + 1]
    return found[:limit], len(found) > limit
