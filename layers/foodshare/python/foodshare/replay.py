"""Audit and replay: rebuild every read model and all reputation from the event store alone.

The event log (EVENTLOG# items) is the complete history. A rebuild deletes what the
replayable consumers derived (processed markers, reputation history and the old cap windows,
group summaries), resets each profile's reputation to the starting values, then feeds
every stored event, in `occurredAt` then id order, through the very functions the live
consumers run. Run it with the consumers paused (their event source mappings disabled).
"""

from __future__ import annotations

import json

from foodshare import catalog, group_activity, reputation
from foodshare.consumers import Delivered
from foodshare.data.models import EventItem, Item, UserItem, table_connection
from foodshare.reputation_rules import INITIAL_SCORE, trust_level

# Consumer name -> how to re-apply one event (the events it emits are already in the store).
REBUILDERS = {
    reputation.CONSUMER: lambda event: reputation.apply(event, emit_events=False),
    group_activity.CONSUMER: group_activity.apply,
}
_REPUTATION_COUNTS = ("shared_count", "completed_count", "cancelled_count", "no_show_count", "ratings_received",
                      "rating_stars_total")
_DERIVED_SK_PREFIXES = ("REPHIST#", "REPCAP#", "DAY#", "ACTIVE#")
_DERIVED_SKS = ("ACTIVITY",)


def _is_derived(pk: str, sk: str) -> bool:
    if sk == "CONSUMED":
        return any(pk.startswith(f"CONSUMED#{name}#") for name in REBUILDERS)
    return sk in _DERIVED_SKS or sk.startswith(_DERIVED_SK_PREFIXES)


def rebuild() -> int:
    """Clear the derived state and re-apply every stored event; returns how many events were replayed."""
    with Item.batch_write() as batch:
        for key, _ in list(_derived_items()):
            batch.delete(Item(*key))
    for user in UserItem.scan(UserItem.sk == "PROFILE"):
        user.update([UserItem.score.set(INITIAL_SCORE), UserItem.trust_level.set(trust_level(INITIAL_SCORE)),
                     UserItem.rep_seq.remove(), UserItem.rep_pending.remove()]
                    + [getattr(UserItem, name).set(0) for name in _REPUTATION_COUNTS])
    stored = sorted(EventItem.scan(EventItem.pk.startswith("EVENTLOG#")), key=lambda e: (e.occurred_at, e.event_id))
    routes = {name: set(catalog.consumer(name).event_types) for name in REBUILDERS}
    for item in stored:
        event = Delivered.of(json.loads(item.detail))
        for name, apply in REBUILDERS.items():
            if event.event_type in routes[name]:
                apply(event)
    return len(stored)


def derived_state() -> dict:
    """Everything a rebuild recreates, as plain data: compare it before and after a replay."""
    state: dict = dict(_derived_items())
    for user in UserItem.scan(UserItem.sk == "PROFILE"):
        state[(user.pk, "REPUTATION")] = {
            "score": float(user.score),
            "trust_level": user.trust_level,
            **{name: int(getattr(user, name) or 0) for name in _REPUTATION_COUNTS},
        }
    return state



def _derived_items():
    """((pk, sk), raw attributes) of every derived item, read with a paged scan of the table."""
    start = None
    while True:
        page = table_connection().scan(exclusive_start_key=start, consistent_read=True)
        for raw in page.get("Items", []):
            key = (raw["pk"]["S"], raw["sk"]["S"])
            if _is_derived(*key):
                yield key, raw
        start = page.get("LastEvaluatedKey")
        if not start:
            return
