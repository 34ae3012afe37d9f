"""Settling exchanges nobody closed: the `food_expiry` job, EXCHANGE_SETTLE_HOURS (72) after the pickup window.

Through the real path: the job's handler run with the scheduler's event on moto, the exchange, post, balances,
ledger and events as the table holds them, the GET routes' answers, the consumers fed by the emulated backbone.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from foodshare import clock, invariants
from foodshare.catalog import SCHEDULED_JOBS
from foodshare.data.models import EventItem, ExchangeItem, FoodItem
from foodshare.domain import settlement
from foodshare.settings import get_settings
from ops import restore
from tests.support import flows
from tests.support.api import call
from tests.support.event_source import function_invoker
from tests.support.schedules import scheduled_event

NOTHING = {"expired": 0, "completed": 0, "lapsed": 0, "notSettled": 0}


def _run_job() -> dict:
    job = next(j for j in SCHEDULED_JOBS if j.name == "food_expiry")
    return function_invoker(job.name)(scheduled_event(job))


def _claimed(c: dict) -> tuple[str, str]:
    """A post of sam's whose window ends in 1.5 hours, claimed by cleo: (food id, exchange id)."""
    food = flows.share("sam", c["group"], pickupEnd=clock.iso(clock.now() + timedelta(hours=1.5)))
    return food, flows.claim("cleo", food)


def _past_the_grace() -> None:
    clock.advance((1.5 + 72) * 3600 + 60)


def _events(*types: str) -> list[dict]:
    found = [json.loads(e.detail) for e in EventItem.scan(EventItem.pk.startswith("EVENTLOG#"))
             if e.event_type in types]
    return sorted(found, key=lambda e: (e["occurredAt"], e["eventId"]))


def _credits(user: str) -> dict:
    reply = call("GET", "/me/credits", user=user)
    assert reply.status == 200, reply
    return reply.body


def _consistent() -> None:
    """The balance is the ledger's sum, `credits_held` the open claims, exchanges and posts agree."""
    items = restore.scan(get_settings().table_name)
    found = [v for v in invariants.check(items, clock.now(), 10**9)]
    assert found == []


def test_one_confirmation_completes_after_the_grace_pays_the_sharer_and_counts_without_the_pickup_bonus(backbone):
    c = flows.community()
    food, exchange = _claimed(c)
    assert call("POST", f"/exchanges/{exchange}/confirm", user="cleo").status == 200  # sam never confirms
    clock.advance(2 * 3600)
    assert _run_job() == NOTHING  # the window is over, but the grace is not: nothing expires, nothing settles
    clock.advance(71 * 3600)
    assert _run_job() == NOTHING
    clock.advance(1800)
    assert _run_job() == NOTHING | {"completed": 1}
    assert _run_job() == NOTHING  # run again: applied once

    item = ExchangeItem.get(*ExchangeItem.key(exchange))
    assert (item.status, item.auto_settled, item.sharer_confirmed, item.claimer_confirmed) == (
        "completed", True, False, True)
    post = FoodItem.get(*FoodItem.key(food))
    assert (post.status, post.expiry_pk, post.exchange_id) == ("completed", None, exchange)  # out of the index
    # GET routes: the post is completed, the sharer paid, the claimer's hold gone
    assert call("GET", f"/food/{food}", user="sam").body["status"] == "completed"
    sam, cleo = _credits("sam"), _credits("cleo")
    assert (sam["balance"], sam["held"], cleo["balance"], cleo["held"]) == (4, 0, 2, 0)
    assert [(t["reason"], t["amount"]) for t in sam["transactions"]][0] == ("exchange_completed", 1)
    # the exchange as its routes answer it: a late confirmation by sam meets a completed exchange
    late = call("POST", f"/exchanges/{exchange}/confirm", user="sam")
    assert late.status == 409 and late.error_code == "invalid_state"
    again = call("POST", f"/exchanges/{exchange}/confirm", user="cleo")  # cleo's own confirmation: the exchange
    assert again.status == 200 and again.body["status"] == "completed" and again.body["autoSettled"] is True

    completed = _events("ExchangeCompleted", "PickupConfirmed", "CreditsTransferred", "ExchangeLapsed")
    assert sorted((e["eventType"], e["actorId"] or "") for e in completed) == [  # the job: no second confirmation
        ("CreditsTransferred", "sam"), ("ExchangeCompleted", ""), ("PickupConfirmed", "cleo")]
    assert [e["data"].get("settled") for e in completed if e["eventType"] == "ExchangeCompleted"] == [True]
    _consistent()

    backbone.deliver()  # reputation and the group's read model follow, as after any completion
    mine = {u: call("GET", f"/users/{u}/reputation", user=u).body for u in ("sam", "cleo")}
    assert mine["sam"]["counts"]["exchangesCompleted"] == mine["cleo"]["counts"]["exchangesCompleted"] == 1
    assert [h["impact"] for h in mine["cleo"]["history"]] == ["exchange_completed"]  # no reliable_pickup
    summary = call("GET", f"/groups/{c['group']}/summary", user="sam").body
    assert summary["completedExchangesLast30Days"] == 1
    # rating stays open, as after any completion
    assert call("POST", f"/exchanges/{exchange}/ratings", user="cleo", json={"stars": 5}).status == 201


def test_with_no_confirmation_it_lapses_the_hold_goes_back_and_nobody_is_blamed(backbone):
    c = flows.community()
    food, exchange = _claimed(c)
    assert _credits("cleo")["held"] == 1
    _past_the_grace()
    assert _run_job() == NOTHING | {"lapsed": 1}
    assert _run_job() == NOTHING

    item = ExchangeItem.get(*ExchangeItem.key(exchange))
    assert (item.status, item.auto_settled, item.completed_at) == ("lapsed", True, None)
    assert call("GET", f"/food/{food}", user="sam").body["status"] == "expired"
    assert FoodItem.get(*FoodItem.key(food)).expiry_pk is None
    cleo = _credits("cleo")
    assert (cleo["balance"], cleo["held"]) == (3, 0)  # the hold back: no penalty
    assert [(t["reason"], t["amount"]) for t in cleo["transactions"]] == [("claim_lapsed", 1), ("claim_hold", -1),
                                                                           ("welcome", 3)]
    assert _credits("sam")["balance"] == 3  # not paid
    for route in ("cancel", "no-show", "confirm"):  # closed for good
        late = call("POST", f"/exchanges/{exchange}/{route}", user="sam")
        assert (late.status, late.error_code, late.body["error"]["message"]) == (
            409, "invalid_state", "The exchange is lapsed.")
    lapsed = _events("ExchangeLapsed", "ExchangeCancelled", "ExchangeNoShow", "FoodExpired", "CreditsReleased")
    assert sorted((e["eventType"], e["actorId"] or "") for e in lapsed) == [
        ("CreditsReleased", "cleo"), ("ExchangeLapsed", "")]
    assert [e["data"]["reason"] for e in lapsed if e["eventType"] == "CreditsReleased"] == ["claim_lapsed"]
    _consistent()

    backbone.deliver()
    cleo_rep = call("GET", "/users/cleo/reputation", user="cleo").body
    assert cleo_rep["score"] == 60 and cleo_rep["history"] == []
    assert cleo_rep["counts"] | {"foodShared": 0} == {"foodShared": 0, "exchangesCompleted": 0,
                                                       "exchangesCancelled": 0, "noShows": 0, "ratingsReceived": 0}
    # the active-claim slot is free again: cleo claims once more
    flows.claim("cleo", flows.share("sam", c["group"]))


def test_a_late_confirmation_racing_the_job_has_one_winner(backbone, monkeypatch):
    """The job read both exchanges; before its transactions, the claimer confirms the first (nobody had: the job
    was about to lapse it) and completes the second (the sharer had confirmed: the job was about to complete it)."""
    c = flows.community()
    _, lapsing = _claimed(c)
    _, completing = _claimed(c)
    assert call("POST", f"/exchanges/{completing}/confirm", user="sam").status == 200
    _past_the_grace()
    read = settlement.reads.get_many

    def then_cleo_confirms(keys):
        found = read(keys)
        for exchange in (lapsing, completing):
            assert call("POST", f"/exchanges/{exchange}/confirm", user="cleo").status == 200
        return found

    monkeypatch.setattr(settlement.reads, "get_many", then_cleo_confirms)
    # the first lost its race: read again, one confirmation now, so completed; the second was completed by cleo
    assert _run_job() == NOTHING | {"completed": 1}
    monkeypatch.setattr(settlement.reads, "get_many", read)
    assert _run_job() == NOTHING
    statuses = {x: ExchangeItem.get(*ExchangeItem.key(x)) for x in (lapsing, completing)}
    assert [(s.status, bool(s.auto_settled)) for s in statuses.values()] == [("completed", True), ("completed", False)]
    completed = _events("ExchangeCompleted", "ExchangeLapsed")
    assert sorted((e["data"]["exchangeId"], e["data"].get("settled", False)) for e in completed) == sorted(
        [(lapsing, True), (completing, False)])
    assert (_credits("sam")["balance"], _credits("cleo")["balance"], _credits("cleo")["held"]) == (5, 1, 0)
    _consistent()


def test_overlapping_runs_settle_each_exchange_once(backbone, monkeypatch):
    c = flows.community()
    exchanges = [_claimed(c)[1] for _ in range(2)]
    assert call("POST", f"/exchanges/{exchanges[0]}/confirm", user="cleo").status == 200
    _past_the_grace()
    read, inner = settlement.reads.get_many, []

    def another_run_meanwhile(keys):
        found = read(keys)
        if not inner:
            inner.append(None)
            inner[0] = settlement.settle_due()  # a second run, starting after this one read
        return found

    monkeypatch.setattr(settlement.reads, "get_many", another_run_meanwhile)
    assert _run_job() == NOTHING  # the first run lost both races and found them settled
    assert (inner[0].completed, inner[0].lapsed) == (1, 1)
    assert len(_events("ExchangeCompleted")) == 1 and len(_events("ExchangeLapsed")) == 1
    assert len(_events("CreditsReleased")) == 1 and len(_events("CreditsTransferred")) == 1
    _consistent()


def test_a_claimed_post_stays_in_the_expiry_index_until_its_exchange_closes(backbone):
    c = flows.community()
    food, exchange = _claimed(c)
    post = FoodItem.get(*FoodItem.key(food))
    assert (post.status, post.avail_pk, post.expiry_pk) == ("claimed", None, f"EXPIRES#{post.pickup_end[:13]}")
    clock.advance(2 * 3600)
    assert _run_job() == NOTHING  # not expired by the expiry: it is claimed
    assert call("POST", f"/exchanges/{exchange}/no-show", user="sam").status == 200
    assert FoodItem.get(*FoodItem.key(food)).expiry_pk is None
    relisted = flows.share("sam", c["group"])
    cancelled = flows.claim("cleo", relisted)
    assert call("POST", f"/exchanges/{cancelled}/cancel", user="cleo").status == 200
    assert FoodItem.get(*FoodItem.key(relisted)).expiry_pk is not None  # available again, indexed as such
    completed = flows.claim("cleo", relisted)
    flows.complete("sam", "cleo", completed)
    assert FoodItem.get(*FoodItem.key(relisted)).expiry_pk is None
    _consistent()


def test_a_run_settles_at_most_its_share_and_the_next_run_the_rest(backbone):
    c = flows.community()
    for _ in range(3):
        _claimed(c)
    _past_the_grace()
    assert (settlement.settle_due(per_run=2).lapsed, settlement.settle_due(per_run=2).lapsed) == (2, 1)
    _consistent()


@pytest.mark.parametrize("value", ["0", "-1", "three"])
def test_a_malformed_settle_hours_is_refused_naming_it(monkeypatch, value):
    monkeypatch.setenv("EXCHANGE_SETTLE_HOURS", value)
    get_settings.cache_clear()
    try:
        with pytest.raises(ValueError, match="EXCHANGE_SETTLE_HOURS" if value != "three" else "three"):
            get_settings()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()


def test_exchanges_that_cannot_be_settled_do_not_hold_back_the_others(backbone, monkeypatch):
    """Found by an audit: a run counted its failures toward its share, so as many exchanges failing every time
    (a post out of step) as a run's share stopped every run before it settled anything else."""
    from foodshare.domain import exchanges
    from foodshare.errors import Conflict

    c = flows.community()
    stuck = {_claimed(c)[1]}  # its window ends first, so a run reads it first
    clock.advance(60)
    for _ in range(2):
        _claimed(c)
    _past_the_grace()
    real = exchanges.settle

    def failing_for_some(exchange, now, grace):
        if exchange.exchange_id in stuck:
            raise Conflict("The post is out of step.", code="invalid_state")
        return real(exchange, now, grace)

    monkeypatch.setattr(exchanges, "settle", failing_for_some)
    result = settlement.settle_due(per_run=2)  # counted together, the failure and one lapse used the share
    assert (result.lapsed, len(result.failed)) == (2, 1), result


def test_ratings_after_settlement_open_for_the_window_from_the_settlement_and_never_for_a_lapse(backbone):
    """A settled completion opens ratings as a confirmed one does, for the rating window counted from when the job
    completed it (its `completedAt`); a lapsed exchange, which nobody confirmed, is never rated by either side."""
    c = flows.community()
    _, settled = _claimed(c)
    _, lapsed = _claimed(c)
    assert call("POST", f"/exchanges/{settled}/confirm", user="sam").status == 200
    _past_the_grace()
    assert _run_job() == NOTHING | {"completed": 1, "lapsed": 1}
    for who in ("sam", "cleo"):
        refused = call("POST", f"/exchanges/{lapsed}/ratings", user=who, json={"stars": 1})
        assert (refused.status, refused.error_code) == (409, "invalid_state"), refused
    clock.advance(14 * 86400 - 120)  # 14 days after the settlement, less a minute: still open
    assert call("POST", f"/exchanges/{settled}/ratings", user="sam", json={"stars": 4}).status == 201
    clock.advance(120)
    late = call("POST", f"/exchanges/{settled}/ratings", user="cleo", json={"stars": 4})
    assert (late.status, late.error_code) == (409, "rating_window_closed"), late
    backbone.deliver()
    assert call("GET", "/users/cleo/reputation", user="cleo").body["counts"]["ratingsReceived"] == 1
    assert call("GET", "/users/sam/reputation", user="sam").body["counts"]["ratingsReceived"] == 0


def test_a_backlog_of_posts_to_expire_is_taken_a_share_a_run_and_the_settlement_still_runs(backbone, monkeypatch):
    """Found by an audit: the expiry had no share per run (the settlement has), so a backlog (the job down for hours,
    a burst of windows ending) made one run expire post after post, one transaction each, past the job's 60 s
    timeout: the run was cut off before the settlement and its metrics, and so was each retry until the backlog
    was gone. Now each run expires at most its share; the rest wait in the index for the next run."""
    from foodshare.domain import expiry

    monkeypatch.setattr(expiry, "PER_RUN", 2, raising=False)
    c = flows.community()
    _claimed(c)  # its window ends in 1.5 hours
    clock.advance(72 * 3600)
    for _ in range(3):
        flows.share("sam", c["group"], pickupEnd=clock.iso(clock.now() + timedelta(hours=1.5)))
    clock.advance(1.5 * 3600 + 60)  # the posts' windows are over, and the exchange's grace
    assert _run_job() == NOTHING | {"expired": 2, "lapsed": 1}
    assert _run_job() == NOTHING | {"expired": 1}
    assert _run_job() == NOTHING
    _consistent()


def _queries_of_a_run() -> tuple[dict, int]:
    from collections import Counter

    from tests.infra.aws_calls import invoking, recording

    job, calls = next(j for j in SCHEDULED_JOBS if j.name == "food_expiry"), []
    with recording(calls), invoking(job.name):
        result = function_invoker(job.name)(scheduled_event(job))
    return result, Counter(c.operation for c in calls if c.function == job.name)["dynamodb:Query"]


def test_a_run_reads_the_hour_buckets_since_the_last_run_not_the_whole_lookback(backbone, monkeypatch):
    """Found by an audit: every run (each minute) queried all EXPIRY_LOOKBACK_HOURS + 1 hour buckets twice, the
    expiry's and the settlement's (98 queries a run, 141,120 a day, each re-reading the claimed posts it filters
    out), to cover runs that were missed. Each loop now keeps how far a finished run got (`JOB#<loop>/MARK`) and
    reads from an hour before it: the buckets of a missed stretch are read, those already done are not. A settlement
    that failed keeps its loop's mark at its window, so the next run tries it again."""
    from foodshare.domain import exchanges
    from foodshare.errors import Conflict

    c = flows.community()
    assert _queries_of_a_run()[1] == 2 * (get_settings().expiry_lookback_hours + 1)  # no mark yet: the lookback
    result, queries = _queries_of_a_run()
    assert result == NOTHING and queries <= 4, queries  # the current hour and the one before, for each loop
    stuck = _claimed(c)[1]  # (its window ends in 1.5 hours)
    clock.advance(10 * 3600)  # the job stopped for 10 hours; a post whose window ended meanwhile expires
    flows.share("sam", c["group"], pickupEnd=clock.iso(clock.now() + timedelta(hours=1.5)))
    clock.advance(2 * 3600)
    assert _queries_of_a_run()[0] == NOTHING | {"expired": 1}
    clock.advance(62 * 3600)  # the exchange is due; settling it fails (an account gone, a post out of step)
    real = exchanges.settle

    def failing(exchange, now, grace):
        raise Conflict("The post is out of step.", code="invalid_state")

    monkeypatch.setattr(exchanges, "settle", failing)
    assert _queries_of_a_run()[0] == NOTHING | {"notSettled": 1}
    clock.advance(3 * 3600)
    assert _queries_of_a_run()[0] == NOTHING | {"notSettled": 1}  # tried again, hours later
    monkeypatch.setattr(exchanges, "settle", real)
    assert _queries_of_a_run()[0] == NOTHING | {"lapsed": 1}
    assert ExchangeItem.get(*ExchangeItem.key(stuck)).status == "lapsed"
    assert _queries_of_a_run()[1] <= 4
    _consistent()
