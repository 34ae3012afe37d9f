"""What every event consumer shares: the delivered event, exactly-once effects, the SQS handler.

Exactly-once *effect* on an at-least-once backbone: each consumer writes a processed
marker (`CONSUMED#<consumer>#<eventId>`, put only if absent) in the same transaction
as its effect. A duplicate or replayed delivery fails that condition, and is then
acknowledged as a success without changing anything.

Two ways to write less, both opt-in per consumer (issue 15's cost):
- `idempotent_noop=True`: an event whose effect is empty commits nothing, not even the marker, when
  doing nothing again is also right (the state that made it a no-op never reverts: an erased user, a
  last-active moment already later);
- the effect itself carries the condition: `build` returns `GUARDED` when its writes include a put,
  keyed by the event id, conditioned on the item not existing and failing with `AlreadyConsumed`
  (`guarded_put`), or an update refusing the event's tag and failing with `ConcurrentUpdate` (built again,
  the read then shows the tag: fraud.py); a duplicate then fails that write and no separate marker is written. `build` may also
  raise `AlreadyConsumed` itself when what it reads shows the event applied (a line it marked), or write its
  effect itself under a once-condition of its own and return `COMMITTED` (the reputation consumer's single
  UpdateItem, reputation.py).
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


GUARDED = "guarded"  # what `build` returns when its own writes carry the once-condition
COMMITTED = "committed"  # what `build` returns when it wrote its effect itself, under its own once-condition


def guarded_put(uow: UnitOfWork, consumer: str, event: Delivered, item: Any) -> None:
    """Put `item` (its key names the event) only if absent: the effect's own once-condition."""
    uow.save(item, type(item).pk.does_not_exist(),
             on_fail=AlreadyConsumed(f"{consumer} already applied {event.event_id}"))


def applied(consumer: str, event: Delivered, *, consistent: bool = False) -> bool:
    """Whether `consumer`'s processed marker for `event` is written (`once`): for a consumer whose effect cannot share
    the marker's transaction (a chat message, a departure's writes), read before it acts."""
    try:
        ConsumedItem.get(*ConsumedItem.key(consumer, event.event_id), consistent_read=consistent)
    except ConsumedItem.DoesNotExist:
        return False
    return True


def once(consumer: str, event: Delivered, build: Callable[[UnitOfWork], Any], *, idempotent_noop: bool = False) -> bool:
    """Commit the effect `build` adds to a fresh UnitOfWork, unless `consumer` already applied `event`.

    `build` runs again on an optimistic conflict (it must read what it needs inside); it returns `GUARDED`
    when its writes carry the once-condition themselves (no marker then). With `idempotent_noop` an empty
    effect commits nothing. Returns False when the event was a duplicate or changed nothing.
    """

    def attempt() -> bool:
        uow = UnitOfWork(allow_no_events=True)
        try:
            built = build(uow)  # `build` may itself find the event applied (AlreadyConsumed)
            if built == COMMITTED:
                return True
            guarded = built == GUARDED
            if idempotent_noop and not uow.has_writes:
                return False
            if not guarded:
                uow.save(
                    ConsumedItem(*ConsumedItem.key(consumer, event.event_id), consumer=consumer,
                                 event_id=event.event_id, event_type=event.event_type),
                    ConsumedItem.pk.does_not_exist(),
                    on_fail=AlreadyConsumed(f"{consumer} already applied {event.event_id}"),
                    first=True,  # a duplicate is reported as one, before any optimistic condition of the effect
                )
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
