"""What every event consumer shares: the delivered event, exactly-once effects, the SQS handler.

Exactly-once *effect* on an at-least-once backbone: each consumer writes a processed
marker (`CONSUMED#<consumer>#<eventId>`, put only if absent) in the same transaction
as its effect. A duplicate or replayed delivery fails that condition, and is then
acknowledged as a success without changing anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from foodshare import clock
from foodshare.data.models import ConsumedItem
from foodshare.data.transaction import UnitOfWork, with_retries
from foodshare.errors import DomainError


class AlreadyConsumed(DomainError):
    """The consumer has already applied this event."""


@dataclass(frozen=True)
class Delivered:
    """An event as a consumer receives it: the envelope the relay put in `detail`."""

    event_id: str
    event_type: str
    occurred_at: str
    actor_id: str | None
    data: dict

    @classmethod
    def of(cls, envelope: dict) -> Delivered:
        return cls(envelope["eventId"], envelope["eventType"], envelope["occurredAt"], envelope.get("actorId"),
                   envelope["data"])

    @property
    def moment(self) -> datetime:
        return clock.parse_iso(self.occurred_at)


def once(consumer: str, event: Delivered, build: Callable[[UnitOfWork], None]) -> bool:
    """Commit the effect `build` adds to a fresh UnitOfWork, unless `consumer` already applied `event`.

    `build` runs again on an optimistic conflict (it must read what it needs inside).
    Returns False when the event was a duplicate.
    """

    def attempt() -> bool:
        uow = UnitOfWork(allow_no_events=True)
        uow.save(
            ConsumedItem(*ConsumedItem.key(consumer, event.event_id), consumer=consumer, event_id=event.event_id,
                         event_type=event.event_type),
            ConsumedItem.pk.does_not_exist(),
            on_fail=AlreadyConsumed(f"{consumer} already applied {event.event_id}"),
        )
        build(uow)
        try:
            uow.commit()
        except AlreadyConsumed:
            return False
        return True

    return with_retries(attempt)


def sqs_handler(apply: Callable[[Delivered], Any]) -> Callable[[dict, Any], dict]:
    """A Lambda handler for SQS batches of EventBridge events, reporting partial batch failures.

    A record whose `apply` raises is reported in `batchItemFailures`: SQS retries it
    alone (its neighbours are deleted) until its redrive policy moves it to the DLQ.
    """
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from foodshare import snapstart
    from foodshare.observability import logger

    snapstart.install()
    processor = BatchProcessor(event_type=EventType.SQS)

    def record_handler(record: SQSRecord) -> None:
        apply(Delivered.of(record.json_body["detail"]))

    @logger.inject_lambda_context(clear_state=True)
    def handler(event: dict, context: Any) -> dict:
        return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                        context=context)

    return handler
