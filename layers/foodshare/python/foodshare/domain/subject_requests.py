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


def of(user_id: str) -> list[DataSubjectRequestItem]:
    """The person's requests, oldest first."""
    return list(DataSubjectRequestItem.query(f"USER#{user_id}", DataSubjectRequestItem.sk.startswith("DSR#")))
