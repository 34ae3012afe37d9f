"""The table's DynamoDB stream feeding the outbox relay in-process, as Lambda's event source mapping does on AWS.

moto keeps a stream record for every item write in its table's stream shard (it serves no
DescribeStream/GetRecords in 5.2.5, but the records are there, with the NEW_IMAGE the table's
StreamSpecification asks for). After each commit in this process the feed takes the records
added since it last looked, keeps those the mapping's filter passes (catalog.OUTBOX_STREAM_FILTER,
matched with EventBridge's rules for the operators it uses) and invokes the real `outbox_relay`
handler with them, in batches of the mapping's size and in stream order. Only OUTBOX_DELIVERY=stream
(the default) relies on it; with `relay` the writers publish themselves and the feed passes nothing.

`paused()` stops the feed (a relay that is down: the sweeper's case); `pump()` feeds what is pending.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

_lock = threading.RLock()
_state = {"paused": False, "installed": False}
POSITION = "_foodshare_stream_position"  # on moto's table object: records already given to the mapping


def install() -> None:
    """Feed the relay after every commit in this process (once; idempotent)."""
    from foodshare import hooks

    if not hasattr(hooks, "also_after_commit"):  # code from before the stream relay publishes after commit itself
        return
    hooks.also_after_commit("tests.support.stream", lambda events: pump())
    _state["installed"] = True


@contextmanager
def paused() -> Iterator[None]:
    """The mapping is stopped: records wait in the stream (and their events in the outbox)."""
    before = _state["paused"]
    _state["paused"] = True
    try:
        yield
    finally:
        _state["paused"] = before


def skip_pending() -> int:
    """Drop what the stream holds now without relaying it (the records aged out); returns how many."""
    with _lock:
        table = _table()
        if table is None:
            return 0
        skipped = len(table.stream_shard.items) - getattr(table, POSITION, 0)
        setattr(table, POSITION, len(table.stream_shard.items))
        return skipped


def pump() -> int:
    """Give the relay every new record the filter passes; returns how many records it was given."""
    if _state["paused"] or not _state["installed"]:
        return 0
    from foodshare.catalog import OUTBOX_RELAY, OUTBOX_STREAM_FILTER

    from tests.infra.aws_calls import invoking
    from tests.support import api  # looked up at call time: tests may wrap api.invoke

    given = 0
    with _lock:
        table = _table()
        if table is None:
            return 0
        start = getattr(table, POSITION, 0)
        new = table.stream_shard.items[start:]
        setattr(table, POSITION, start + len(new))
        records = [r for r in (_record(item) for item in new) if matches(OUTBOX_STREAM_FILTER, r)]
        for first in range(0, len(records), OUTBOX_RELAY.batch_size):
            batch = records[first : first + OUTBOX_RELAY.batch_size]
            with invoking(OUTBOX_RELAY.name):  # its AWS calls are the relay's, not the writer's
                api.invoke({"Records": batch}, OUTBOX_RELAY.name)
            given += len(batch)
    return given


def _table():
    """moto's table object (None outside a moto account or without a stream)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from foodshare.settings import get_settings

    settings = get_settings()
    try:
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][settings.region].tables.get(settings.table_name)
    except KeyError:
        return None
    return table if table is not None and table.stream_shard is not None else None


def _record(item) -> dict:
    """The record as Lambda hands it over (moto's, with its time as epoch seconds and the region set)."""
    from foodshare.settings import get_settings

    record = copy.deepcopy(item.to_json())
    created = record["dynamodb"].get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        record["dynamodb"]["ApproximateCreationDateTime"] = created.timestamp()
    record["awsRegion"] = get_settings().region
    return record


def matches(pattern: dict, record: dict) -> bool:
    """EventBridge/Lambda filter matching for exact values, `prefix` and `exists`, nested by field."""
    for key, rule in pattern.items():
        value = record.get(key) if isinstance(record, dict) else None
        if isinstance(rule, dict):
            if not isinstance(value, dict) or not matches(rule, value):
                return False
            continue
        if not any(_matches_one(option, key, record, value) for option in rule):
            return False
    return True


def _matches_one(option, key: str, record: dict, value) -> bool:
    if isinstance(option, dict):
        if "prefix" in option:
            return isinstance(value, str) and value.startswith(option["prefix"])
        if "exists" in option:
            return (key in record) == bool(option["exists"])
        raise ValueError(f"filter operator not supported here: {option}")
    return value == option
