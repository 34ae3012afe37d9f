"""The outbox relay: the table's stream feeds it each commit's events (in-process: tests/support/stream.py,
through the real outbox_relay handler); a failed publish stays in the outbox until the sweeper."""

from __future__ import annotations

import json

from foodshare import clock, events_relay
from foodshare.data.models import EventItem, UserItem
from foodshare.settings import get_settings
from foodshare.catalog import CONSUMERS, SCHEDULED_JOBS
from tests.support.event_source import function_invoker
from tests.support.schedules import scheduled_event
from tests.support import flows, stream


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
    assert backbone.deliver() == sum("FoodShared" in c.event_types for c in CONSUMERS)  # one copy to each subscriber
    sharer.refresh()
    assert (int(sharer.shared_count), float(sharer.score)) == (1, 62.0)


def test_an_event_the_stream_never_relayed_is_swept(backbone):
    """The relay is down until the records age out of the stream: the outbox still has the event."""
    c = flows.community()
    with stream.paused():
        flows.share(c["sharer"], c["group"])
    assert stream.skip_pending() > 0
    assert [e.event_type for e in _outbox()] == ["FoodShared"]
    clock.advance(get_settings().outbox_sweep_grace_seconds + 1)
    assert events_relay.sweep() == 1
    backbone.deliver()
    assert int(UserItem.get(*UserItem.key(c["sharer"])).shared_count) == 1


def _with_bus(name: str):
    from dataclasses import replace

    return replace(get_settings(), event_bus_name=name)


def test_the_relay_is_given_the_commits_event_items_and_publishes_them_in_order(backbone, monkeypatch):
    """What the stream carries for a commit: one INSERT per event item (the filter drops the rest)."""
    c = flows.community()
    given: list[list[dict]] = []
    relay = events_relay.relay_stream
    monkeypatch.setattr(events_relay, "relay_stream", lambda records: (given.append(records), relay(records))[1])
    exchange_id = flows.claim(c["claimer"], flows.share(c["sharer"], c["group"]))
    claimed = [[r["dynamodb"]["NewImage"]["event_type"]["S"] for r in batch] for batch in given]
    assert claimed[-1] == ["FoodClaimed"]  # the claim's commit; its CreditsHeld has no subscriber (next test)
    assert all(r["eventName"] == "INSERT" and r["dynamodb"]["NewImage"]["outbox_pk"]["S"].startswith("OUTBOX#")
               for batch in given for r in batch)
    assert _outbox() == []
    assert any(m["detail"]["data"].get("exchangeId") == exchange_id for m in backbone.queued("notifications"))


def test_an_event_no_consumer_subscribes_to_is_stored_but_never_put_on_the_bus(backbone, monkeypatch):
    """CreditsHeld (the claim's hold) is in the event store for audit and replay, outside the outbox: neither the
    stream relay, the sweeper nor a relay-mode writer publishes it; a subscribed type still goes out."""
    from foodshare import catalog

    assert not catalog.published("CreditsHeld") and catalog.published("FoodClaimed")
    put: list[str] = []
    publish = events_relay.publish
    monkeypatch.setattr(events_relay, "publish", lambda items: publish(
        [put.append(i.event_type) or i for i in items]))
    c = flows.community()
    flows.claim(c["claimer"], flows.share(c["sharer"], c["group"]))
    (held,) = _stored("CreditsHeld")
    assert held.outbox_pk is None and held.published_at is None and json.loads(held.detail)["eventType"] == "CreditsHeld"
    assert "CreditsHeld" not in put and "FoodClaimed" in put
    assert events_relay.sweep(grace_seconds=0) == 0  # nothing left in the outbox, and CreditsHeld never was
    assert all(m["detail-type"] != "CreditsHeld" for c_ in CONSUMERS for m in backbone.queued(c_.name))
    monkeypatch.setattr(catalog, "PUBLISHED_WITHOUT_SUBSCRIBER", frozenset({"CreditsHeld"}))
    flows.claim(c["claimer"], flows.share(c["sharer"], c["group"]))
    assert put.count("CreditsHeld") == 1  # an outside integration named there gets it


def test_the_relay_publishes_nothing_but_new_outbox_items():
    """A record the filter should have kept out (the relay's own clearing rewrite, any other item) is ignored."""
    c = flows.community()
    item = _stored("UserRegistered")[0]
    image = {"pk": {"S": item.pk}, "sk": {"S": item.sk}, "event_type": {"S": item.event_type}}
    modify = {"eventName": "MODIFY", "dynamodb": {"NewImage": {**image, "outbox_pk": {"S": "OUTBOX#1"}}}}
    other = {"eventName": "INSERT", "dynamodb": {"NewImage": {"pk": {"S": f"USER#{c['sharer']}"}, "sk": {"S": "PROFILE"}}}}
    assert events_relay.relay_stream([modify, other]) == 0
    assert not stream.matches(events_relay.STREAM_FILTER, modify) and not stream.matches(events_relay.STREAM_FILTER, other)


def test_with_outbox_delivery_relay_the_writer_publishes_after_its_commit(backbone, monkeypatch):
    """The `relay` mode (cdk.json outbox_delivery) keeps the old path: no stream relay needed."""
    from foodshare import hooks

    monkeypatch.setenv("OUTBOX_DELIVERY", "relay")
    get_settings.cache_clear()
    hooks.reset()
    try:
        c = flows.community()
        with stream.paused():
            flows.share(c["sharer"], c["group"])
        assert _outbox() == []
        assert [m["detail-type"] for m in backbone.queued("reputation_consumer")][-1] == "FoodShared"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        hooks.reset()


def test_a_transaction_that_failed_streams_nothing_and_publishes_nothing(backbone):
    """Only what a transaction committed reaches the stream: a second report of one subject loses on its
    lock's condition after its event item was written in the emulator; no stream record may remain, or the
    relay would publish (and re-create) an event that never happened."""
    from tests.support.api import call

    c = flows.community()
    food_id = flows.share(c["sharer"], c["group"])
    body = {"subjectType": "food", "subjectId": food_id, "reason": "spam"}
    assert call("POST", "/reports", user=c["claimer"], json=body).status == 201
    backbone.deliver()
    with stream.paused():
        again = call("POST", "/reports", user=c["claimer"], json={**body, "reason": "unsafe_food"})
    assert again.status == 409 and again.body["error"]["code"] == "already_reported"
    assert stream.skip_pending() == 0
    assert [json.loads(e.detail)["data"]["reason"] for e in _stored("ReportFiled")] == ["spam"]


def test_a_backlog_in_the_outbox_is_swept_a_share_a_run_and_what_a_cut_off_run_published_stays_published(
        backbone, monkeypatch):
    """Found by an audit: the sweeper read the whole stale outbox into memory before publishing any of it, with no
    share per run. After a bus or relay outage (thousands of events), reading alone ran past the sweeper's 60 s
    timeout: each run was cut off before publishing anything, and so was the next, for as long as the backlog
    lasted. Now it publishes ten at a time as it reads, at most its share a run."""
    c = flows.community()
    backbone.deliver()
    with stream.paused():
        for i in range(12):
            flows.share(c["sharer"], c["group"], title=f"Meal {i}")
    stream.skip_pending()
    assert len(_outbox()) == 12
    clock.advance(get_settings().outbox_sweep_grace_seconds + 1)

    query, read = EventItem.outbox.query, []

    def cut_off_after_eleven(*args, **kwargs):  # the run's timeout strikes as it reads the twelfth (of 4 shards)
        for item in query(*args, **kwargs):
            if len(read) == 11:
                raise TimeoutError("Task timed out after 60.00 seconds")
            read.append(item)
            yield item

    monkeypatch.setattr(EventItem.outbox, "query", cut_off_after_eleven)
    try:
        _run_job("outbox_sweeper")
    except TimeoutError:
        pass
    monkeypatch.setattr(EventItem.outbox, "query", query)
    assert len(_outbox()) <= 2  # the first ten it read went out before the cut

    monkeypatch.setattr(events_relay, "SWEEP_PER_RUN", 1, raising=False)
    left = len(_outbox())
    assert _run_job("outbox_sweeper") == {"published": 1}
    assert len(_outbox()) == left - 1
    monkeypatch.undo()
    _run_job("outbox_sweeper")
    assert _outbox() == []
    backbone.deliver()
    assert int(UserItem.get(*UserItem.key(c["sharer"])).shared_count) == 12
