"""Erasure consumer: SQS messages of ErasureSegmentRequested -> one segment of the table swept for an erased person.

DELETE /me freezes and winds down the account at once and records one message per segment of a
parallel scan; each message is one invocation (and one retry, then the queue's DLQ) here. A segment
is idempotent (domain/erasure.py), so a redelivery changes nothing twice. The segment that completes
the set purges the cache of the person (every Redis key naming them) before the erasure is recorded
completed, so a failed purge is retried with it.
"""

from __future__ import annotations

from foodshare.cache import purge
from foodshare.consumers import Delivered, sqs_handler
from foodshare.domain import erasure


def apply(event: Delivered) -> None:
    if event.event_type != "ErasureSegmentRequested":
        return
    data = event.data
    erased = erasure.sweep_segment(data["requestId"], int(data["segment"]), int(data["totalSegments"]))
    if erased is not None:
        purge.purge(erased.markers, erased.group_ids)
        erasure.complete(data["requestId"])


handler = sqs_handler(apply)
