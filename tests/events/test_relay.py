"""The outbox relay: publish at once after commit; a failed publish stays in the outbox until the sweeper."""

from __future__ import annotations

import json

from foodshare import clock, events_relay
from foodshare.data.models import EventItem, UserItem
from foodshare.settings import get_settings
from foodshare.catalog import CONSUMERS, SCHEDULED_JOBS
from local.event_source import function_invoker
from local.schedules import scheduled_event
from tests.support import flows


def _outbox() -> list[EventItem]:
    return [e for shard in range(4) for e in EventItem.outbox.query(f"OUTBOX#{shard}")]


def _stored(event_type: str) -> list[EventItem]:
    return list(EventItem.scan(EventItem.pk.startswith("EVENTLOG#") & (EventItem.event_type == event_type)))


def _run_job(name: str) -> dict:
    job = next(j for j in SCHEDULED_JOBS if j.name == name)
    return function_invoker(name)(scheduled_event(job))


def test_a_commit_publishes_its_events_with_the_envelope_and_empties_the_outbox(backbone):
    c = flows.community()
    food_id = flows.share(c["sharer"], c["group"])
    assert _outbox() == []
    shared = _stored("FoodShared")
    assert len(shared) == 1 and shared[0].published_at is not None
    queued = backbone.queued("reputation_consumer")
    assert [(m["source"], m["detail-type"]) for m in queued] == [("foodshare.food", "FoodShared")]
    assert queued[0]["detail"] == json.loads(shared[0].detail)
    assert queued[0]["detail"]["data"]["foodId"] == food_id


def test_a_failed_publish_is_recovered_by_the_sweeper_and_applied_once(backbone, monkeypatch):
    c = flows.community()
    backbone.deliver()
    # The bus refuses everything (the real PutEvents error from moto): the API call still succeeds.
    monkeypatch.setattr(events_relay, "get_settings", lambda: _with_bus("no-such-bus"))
    food_id = flows.share(c["sharer"], c["group"])
    monkeypatch.undo()
    stuck = _outbox()
    assert [e.event_type for e in stuck] == ["FoodShared"] and json.loads(stuck[0].detail)["data"]["foodId"] == food_id
    assert backbone.deliver() == 0

    assert _run_job("outbox_sweeper") == {"published": 0}  # still within the grace period: the fast path's turn
    clock.advance(get_settings().outbox_sweep_grace_seconds + 1)
    assert _run_job("outbox_sweeper") == {"published": 1}
    assert _outbox() == []
    backbone.deliver()
    sharer = UserItem.get(*UserItem.key(c["sharer"]))
    assert (int(sharer.shared_count), float(sharer.score)) == (1, 62.0)

    # A second publish of the same event (at-least-once) changes nothing.
    events_relay.publish(_stored("FoodShared"))
    subscribed = sum("FoodShared" in consumer.event_types for consumer in CONSUMERS)
    assert backbone.deliver() == subscribed  # one copy to each subscribed consumer
    sharer.refresh()
    assert (int(sharer.shared_count), float(sharer.score)) == (1, 62.0)


def test_an_event_lost_between_commit_and_publish_is_swept(backbone, monkeypatch):
    """The function dies after the commit: no after-commit hook runs at all."""
    c = flows.community()
    monkeypatch.setattr(events_relay, "after_commit", lambda events: None)
    monkeypatch.setattr("foodshare.hooks._hooks", [("foodshare.events_relay", lambda events: None)])
    flows.share(c["sharer"], c["group"])
    monkeypatch.undo()
    assert [e.event_type for e in _outbox()] == ["FoodShared"]
    clock.advance(get_settings().outbox_sweep_grace_seconds + 1)
    assert events_relay.sweep() == 1
    backbone.deliver()
    assert int(UserItem.get(*UserItem.key(c["sharer"])).shared_count) == 1


def _with_bus(name: str):
    from dataclasses import replace

    return replace(get_settings(), event_bus_name=name)
