"""One state change = one DynamoDB transaction, holding the change and its domain events.

Each write may name the domain error its condition failing means (for example
"already claimed"), so a lost race surfaces as the right 409 and nothing is half-written.
A change of one item (a consumer's processed marker, a counter carrying its own once-condition)
is sent as that item's own conditional write: as atomic, at half the write units of a transaction.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from foodshare import hooks
from foodshare.data import schema
from foodshare.data.models import EventItem, table_connection
from foodshare.errors import ConcurrentUpdate, DomainError
from foodshare.events import NOTICES, DomainEvent

T = TypeVar("T")
MAX_ATTEMPTS = 4
CONFLICT_ATTEMPTS = 4  # sends of one transaction that only met other transactions on its items
CONFLICT_BACKOFF_S = 0.01  # the first wait's upper bound; doubled for each further attempt
# PynamoDB sends a transaction's items grouped by kind in this order; cancellation
# reasons come back in the order sent, so ops are kept in it too.
_SEND_ORDER = {"condition_check": 0, "delete": 1, "save": 2, "update": 3}
CONCURRENT = "Another change to the same data happened at the same time; please retry."


@dataclass
class _Op:
    kind: str
    args: tuple
    kwargs: dict
    on_condition_failure: DomainError | None


def event_item(event: DomainEvent) -> EventItem:
    """The event-store item of an event; in the outbox (its sparse index) only when the event goes on the bus.

    An event type no consumer subscribes to (`catalog.published`) is stored, not published: the stream relay's
    filter passes only outbox items, so it costs neither PutEvents nor the outbox's index writes and clearing.
    """
    from foodshare.catalog import published

    pk, sk = EventItem.key(event.id, event.occurred_at)
    shard = int(event.id[-2:], 36) % schema.OUTBOX_SHARDS
    outbox = {"outbox_pk": f"OUTBOX#{shard}", "outbox_sk": event.id} if published(event.type) else {}
    return EventItem(
        pk,
        sk,
        event_id=event.id,
        event_type=event.type,
        source=event.source,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        detail=json.dumps(event.envelope(), separators=(",", ":"), sort_keys=True),
        **outbox,
    )


class UnitOfWork:
    """Collects the writes and events of one state change, then commits them atomically.

    `allow_no_events` is for event consumers' bookkeeping (processed markers, read
    models, reputation history): those writes follow from an event already in the
    store, so they need not record one of their own. Domain changes keep the default.
    """

    def __init__(self, *, allow_no_events: bool = False) -> None:
        self._ops: list[_Op] = []
        self.events: list[DomainEvent] = []
        self.notices: list[DomainEvent] = []  # events.NOTICES: for the after-commit hooks only, never stored
        self.allow_no_events = allow_no_events

    def save(self, item: Any, condition: Any = None, *, on_fail: DomainError | None = None,
             first: bool = False) -> None:
        """`first`: ahead of the writes already added (its failed condition is the one reported)."""
        self._ops.insert(0 if first else len(self._ops), _Op("save", (item,), {"condition": condition}, on_fail))

    def update(self, item: Any, actions: list, condition: Any = None, *, on_fail: DomainError | None = None) -> None:
        self._ops.append(_Op("update", (item, actions), {"condition": condition}, on_fail))

    def delete(self, item: Any, condition: Any = None, *, on_fail: DomainError | None = None) -> None:
        self._ops.append(_Op("delete", (item,), {"condition": condition}, on_fail))

    def check(self, model: type, key: tuple[str, str], condition: Any, *, on_fail: DomainError) -> None:
        self._ops.append(_Op("condition_check", (model, *key), {"condition": condition}, on_fail))

    @property
    def has_writes(self) -> bool:
        return bool(self._ops or self.events)

    def record(self, event_type: str, actor_id: str | None, payload: dict) -> DomainEvent:
        if event_type in NOTICES:
            raise ValueError(f"{event_type} is never stored: add it to `notices` (after-commit hooks only)")
        event = DomainEvent(type=event_type, actor_id=actor_id, payload=payload)
        self.events.append(event)
        return event

    def commit(self) -> list[DomainEvent]:
        if not self.events and not self.allow_no_events:
            raise RuntimeError("a state change must record at least one domain event")
        ops = self._ops + [
            _Op("save", (event_item(e),), {"condition": EventItem.pk.does_not_exist()}, None) for e in self.events
        ]
        if len(ops) == 1 and ops[0].kind != "condition_check":
            _write_one(ops[0])
        else:
            _transact(ops)
        hooks.run_after_commit(self.events + self.notices)
        return self.events


def _transact(ops: list[_Op]) -> None:
    added = {id(op): i for i, op in enumerate(ops)}
    ops = sorted(ops, key=lambda op: _SEND_ORDER[op.kind])
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            with TransactWrite(connection=table_connection().connection) as transaction:
                for op in ops:
                    getattr(transaction, op.kind)(*op.args, **op.kwargs)
            return
        except TransactWriteError as exc:
            if attempt == CONFLICT_ATTEMPTS or not _only_conflicts(exc):
                raise _domain_error(exc, ops, added) from exc
            _back_off(attempt)


def _write_one(op: _Op) -> None:
    """One item's write as its own conditional PutItem / UpdateItem / DeleteItem (1 write unit per KB; in a
    transaction 2): a failed condition is the op's domain error, as in a transaction."""
    item, condition = op.args[0], op.kwargs["condition"]
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            if op.kind == "save":
                item.save(condition=condition)
            elif op.kind == "update":
                item.update(actions=op.args[1], condition=condition)
            else:
                item.delete(condition=condition)
            return
        except (PutError, UpdateError, DeleteError) as exc:
            code = exc.cause_response_code
            if code == "ConditionalCheckFailedException":
                if _resent(exc):  # the refusal may be of this write's own first send, which went through
                    raise ConcurrentUpdate(CONCURRENT) from exc
                raise op.on_condition_failure or ConcurrentUpdate(CONCURRENT) from exc
            if code != "TransactionConflictException":
                raise
            if attempt == CONFLICT_ATTEMPTS:
                raise ConcurrentUpdate(CONCURRENT) from exc
            _back_off(attempt)  # a transaction was writing the item: nothing was written, sending again is safe


def _resent(exc: Exception) -> bool:
    """Whether the SDK sent the write again after getting no answer (a timeout, a 5xx). A transaction's request
    token makes such a resend a no-op; a single write has none, so its condition can refuse it because the first
    send was applied. It is then answered as a conflict: the caller reads again (`with_retries`) and finds what
    is there, instead of reporting the write's own effect as someone else's (a duplicate, "already claimed")."""
    response = getattr(getattr(exc, "cause", None), "response", None) or {}
    return int(response.get("ResponseMetadata", {}).get("RetryAttempts", 0) or 0) > 0


def _back_off(attempt: int) -> None:
    time.sleep(random.uniform(0, CONFLICT_BACKOFF_S * 2 ** (attempt - 1)))


def _only_conflicts(exc: TransactWriteError) -> bool:
    """Cancelled only because another transaction was writing one of its items (a group's board takes every
    listing change of the group): nothing was written and no condition failed, so sending it again is safe."""
    reasons = [r for r in exc.cancellation_reasons or [] if r is not None]
    return bool(reasons) and all(r.code == "TransactionConflict" for r in reasons)


def _domain_error(exc: TransactWriteError, ops: list[_Op], added: dict[int, int]) -> DomainError:
    """The answer of the failed condition the unit of work was given first (`added`: each op's place in it).
    Reasons come in the order sent, which groups ops by kind; the domain's order says which answer wins when
    several conditions fail at once (a post claimed meanwhile is `already_claimed`, whatever else failed)."""
    reasons = exc.cancellation_reasons or []
    failed = [op for op, reason in zip(ops, reasons)
              if reason is not None and reason.code == "ConditionalCheckFailed" and op.on_condition_failure]
    if failed:
        return min(failed, key=lambda op: added[id(op)]).on_condition_failure
    return ConcurrentUpdate(CONCURRENT)


def with_retries(operation: Callable[[], T], attempts: int = MAX_ATTEMPTS) -> T:
    """Run an optimistic read-modify-write again when it lost a race."""
    for attempt in range(1, attempts + 1):
        try:
            return operation()
        except ConcurrentUpdate:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")
