"""The outbox relay: puts recorded events on the bus and clears them from the outbox.

One code path (`publish`: schema check, PutEvents in tens, clear what the bus accepted),
three callers:
- `relay_stream` (the `outbox_relay` function, OUTBOX_DELIVERY=stream): the table's stream
  feeds it the new event-log items through an event source mapping filtered by
  `STREAM_FILTER`, so no request waits for the bus (docs/events.md);
- `after_commit` (OUTBOX_DELIVERY=relay only): the writer publishes its own events;
- `sweep` (the scheduled outbox sweeper) publishes whatever is still in the outbox after a
  grace period: the relay failed, PutEvents refused an entry, a record aged out of the stream.
Delivery is therefore at-least-once; consumers make duplicates harmless.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import timedelta
from functools import lru_cache
from itertools import chain, islice

from foodshare import clock, event_schemas
from foodshare.catalog import OUTBOX_STREAM_FILTER
from foodshare.data import schema
from foodshare.data.models import EventItem, botocore_client
from foodshare.data.transaction import event_item
from foodshare.events import DomainEvent
from foodshare.observability import logger
from foodshare.settings import get_settings

MAX_ENTRIES_PER_PUT = 10  # the PutEvents limit
SWEEP_PAGE_SIZE = 100
SWEEP_PER_RUN = 2000  # stale events a sweep sends at most (200 PutEvents: well within the sweeper's 60 s timeout)


@lru_cache(maxsize=1)
def _events_client():
    """botocore (not boto3) keeps s3transfer out of every writer's cold start."""
    return botocore_client("events")


STREAM_FILTER = OUTBOX_STREAM_FILTER  # what the event source mapping passes to relay_stream


def after_commit(events: list[DomainEvent]) -> None:
    publish(item for item in (event_item(e) for e in events) if item.outbox_pk)  # what is in the outbox


def relay_stream(records: list[dict]) -> int:
    """Publish the event items of a batch of stream records, in stream order; returns how many were accepted."""
    items = [EventItem.from_raw_data(r["dynamodb"]["NewImage"]) for r in records if _is_outbox_insert(r)]
    return publish(items)


def _is_outbox_insert(record: dict) -> bool:
    """The filter again, in code: a mapping without it (or a replayed record) must not publish anything else."""
    image = record.get("dynamodb", {}).get("NewImage", {})
    return record.get("eventName") == "INSERT" and image.get("outbox_pk", {}).get("S", "").startswith("OUTBOX#")


def publish(items: Iterable[EventItem]) -> int:
    """Publish events (schema-checked) in batches of ten, read as they go; returns how many the bus accepted.

    An event the bus did not accept, or whose detail breaks its schema, stays in the
    outbox: the sweeper tries again, and the error log says why.
    """
    published = 0
    pending = iter(items)  # read as published: a long stream is not held in memory first
    while read := list(islice(pending, MAX_ENTRIES_PER_PUT)):
        chunk = [item for item in read if _valid(item)]
        if not chunk:
            continue
        response = _events_client().put_events(Entries=[_entry(item) for item in chunk])
        accepted = []
        for item, result in zip(chunk, response["Entries"]):
            if result.get("ErrorCode"):
                logger.warning("bus refused event", extra={"eventId": item.event_id, "error": result["ErrorCode"]})
            else:
                accepted.append(item)
        _clear_from_outbox(accepted)
        published += len(accepted)
    return published


def _valid(item: EventItem) -> bool:
    try:
        event_schemas.validate(item.event_type, json.loads(item.detail))
        return True
    except event_schemas.InvalidEvent as exc:
        logger.error("event breaks its schema; left in the outbox", extra={"eventId": item.event_id, "error": str(exc)})
        return False


def _entry(item: EventItem) -> dict:
    return {
        "EventBusName": get_settings().event_bus_name,
        "Source": item.source,
        "DetailType": item.event_type,
        "Detail": item.detail,
        "Time": clock.parse_iso(item.occurred_at),
    }


def _clear_from_outbox(items: list[EventItem]) -> None:
    """Drop published items from the sparse outbox index, noting when they were published.

    The items are rewritten whole with one BatchWriteItem: an event item never changes
    except for these attributes, so the rewrite is idempotent and needs no condition.
    """
    now = clock.now_iso()
    with EventItem.batch_write() as batch:
        for item in items:
            item.outbox_pk = item.outbox_sk = None
            item.published_at = now
            batch.save(item)


def sweep(grace_seconds: int | None = None) -> int:
    """Publish the events still in the outbox that are older than the grace period, up to `SWEEP_PER_RUN` sent (the
    rest next run), ten at a time as the shards are read: after an outage's backlog, reading it all first ran past
    the timeout, run after run, before anything was published. Events breaking their schema are read and left, not
    counted: however many, they hold back no valid one."""
    grace = get_settings().outbox_sweep_grace_seconds if grace_seconds is None else grace_seconds
    cutoff = clock.iso(clock.now() - timedelta(seconds=grace))
    stale = chain.from_iterable(
        EventItem.outbox.query(f"OUTBOX#{shard}", filter_condition=EventItem.occurred_at <= cutoff,
                               page_size=SWEEP_PAGE_SIZE)
        for shard in range(schema.OUTBOX_SHARDS))
    return publish(islice((item for item in stale if _valid(item)), SWEEP_PER_RUN))
