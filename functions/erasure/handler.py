"""Erasure consumer, the one that winds people down: SQS messages of ErasureStarted and ErasureSegmentRequested
(docs/privacy.md, "Erasure"), and of a member's departure from one group, MemberLeft and ModerationActionTaken
(domain/departures.py; docs/trust-safety.md, "Departures").

DELETE /me freezes the account and records `ErasureStarted`; here it is wound down (open exchanges
cancelled, posts withdrawn, groups left or handed over, export documents deleted) and one
`ErasureSegmentRequested` is recorded per segment of a parallel scan; each segment is one invocation
(and one retry, then the queue's DLQ) here. Both steps are idempotent (domain/erasure.py), so a
redelivery changes nothing twice. The segment that completes the set purges the cache of the person
(every Redis key naming them) before the erasure is recorded completed, so a failed purge is retried with it.
"""

from __future__ import annotations

from foodshare.cache import purge
from foodshare.consumers import Delivered, sqs_handler
from foodshare.domain import departures, erasure


def apply(event: Delivered) -> None:
    data = event.data
    if event.event_type == "ErasureStarted":
        wound = erasure.wind_down(data["requestId"])
        if wound is not None:  # their chats' and groups' cached views, with what the wind-down changed
            purge.forget(wound.markers, wound.group_ids)
    elif event.event_type == "ErasureSegmentRequested":
        erased = erasure.sweep_segment(data["requestId"], int(data["segment"]), int(data["totalSegments"]))
        if erased is not None:
            purge.purge(erased.markers, erased.group_ids)
            erasure.complete(data["requestId"])
    else:  # MemberLeft, ModerationActionTaken: what the departed member had open in the group ends (once)
        departures.apply(event)


handler = sqs_handler(apply)
