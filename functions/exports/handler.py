"""Exports consumer: SQS batches of ExportRequested -> the person's export document in the export bucket.

Idempotent per export (a ready export is not built again), so a redelivery changes nothing;
a failure is reported for that record alone and retried until the queue's DLQ.
"""

from __future__ import annotations

from foodshare.consumers import Delivered, sqs_handler
from foodshare.domain import exports


def apply(event: Delivered) -> None:
    if event.event_type == "ExportRequested":
        exports.build(event.data["userId"], event.data["exportId"])


handler = sqs_handler(apply)
