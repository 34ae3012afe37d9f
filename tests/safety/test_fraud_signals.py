"""Fraud signals through the real path: API changes -> bus -> fraud_signals and reputation consumers."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from foodshare import clock, invariants, replay
from foodshare.data.models import EventItem, RiskItem
from foodshare.settings import get_settings
from ops import restore

from tests.support import flows
from tests.support.event_source import drain
from tests.support.api import call


@pytest.fixture(autouse=True)
def generous_limits(settings_env):
    """The fairness rules would slow a ring down, not stop it: lift them to test detection alone."""
    settings_env(CLAIM_LIMITS="50/50/50/50/50", DAILY_CREDIT_LIMITS="50/50/50/50/50", MAX_CREDIT_BALANCE="500",
                 WELCOME_CREDITS="100")


def _trade(sharer: str, claimer: str, group: str, stars: tuple[int, int] = (5, 5)) -> None:
    exchange = flows.claim(claimer, flows.share(sharer, group, title=f"Food from {sharer}"))
    flows.complete(sharer, claimer, exchange)
    for who, rating in ((claimer, stars[0]), (sharer, stars[1])):
        assert call("POST", f"/exchanges/{exchange}/ratings", user=who, json={"stars": rating}).status == 201


def _rating_gain(user_id: str) -> float:
    """What ratings did to the user's score, net of anything taken back."""
    from foodshare import reputation

    lines = reputation.history(user_id, limit=1000)
    return sum(float(h.applied) for h in lines if h.kind in ("rated_high", "rated_low", "reversed_rated_high",
                                                             "reversed_rated_low", "ring_rating"))


def _flagged(event_pattern: str) -> set[str]:
    return {json.loads(e.detail)["data"]["userId"] for e in EventItem.scan(EventItem.pk.startswith("EVENTLOG#"))
            if e.event_type == "FraudFlagged" and json.loads(e.detail)["data"]["pattern"] == event_pattern}


def _group_with_a_ring() -> tuple[str, list[str]]:
    """A group of sam (admin), a ring of four (r1-r4) and two honest members (ann, bob)."""
    flows.user("sam")
    group = flows.group("sam")
    ring = ["r1", "r2", "r3", "r4"]
    for name in ring + ["ann", "bob"]:
        flows.user(name)
        flows.join(name, group, "sam")
    return group, ring


def test_a_ring_of_four_rating_each_other_daily_is_flagged_restricted_and_gains_nothing(backbone):
    admin = "sam"
    group, ring = _group_with_a_ring()
    flagged_on = None
    for day in range(7):
        for i, sharer in enumerate(ring):
            if call("POST", "/food", user=sharer, json=flows.post_body(group)).error_code == "restricted":
                continue  # the ring tries every day; once flagged it is restricted in the group
            _trade(sharer, ring[(i + 1 + day % 3) % 4], group)
        if flagged_on is None and _flagged("reputation_manipulation"):
            flagged_on = day
        if day % 3 == 0:
            _trade("ann", "bob", group)  # honest neighbours, twice a week or so
        backbone.deliver()
        clock.advance(86400)
    assert _flagged("reputation_manipulation") == set(ring) and flagged_on is not None and flagged_on <= 3
    for member in ring:
        risk = RiskItem.get(*RiskItem.key(member))
        assert set(risk.ring_members) == set(ring) and float(risk.risk) >= 0.8
        assert _rating_gain(member) == 0, member  # taken back, and later ones ignored
    assert _rating_gain("ann") > 0 and _rating_gain("bob") > 0
    assert _flagged("reputation_manipulation") & {"ann", "bob"} == set()
    # Moderators see why, in words; the members are restricted in the group.
    flags = call("GET", f"/groups/{group}/moderation", user=admin).body["flagged"]
    assert {f["member"]["handle"] for f in flags} == {flows.handle(m, group) for m in ring}
    assert all(sorted(f["evidence"]["ringMembers"]) == sorted(flows.handle(m, group) for m in ring) for f in flags)
    assert all("rate each other far more than anyone else" in f["explanation"] for f in flags)
    refused = call("POST", f"/food/{flows.share('ann', group)}/claims", user="r1")
    assert refused.status == 409 and refused.error_code == "restricted"


def _reputation(user_id: str) -> dict:
    reply = call("GET", f"/users/{user_id}/reputation", user=user_id)  # one's own: score, counts, history
    assert reply.status == 200, reply
    return reply.body


def _redeliver_fraud_flags(backbone) -> None:
    """Each recorded FraudFlagged once more to the reputation consumer, as the bus would on a retry."""
    from tests.support.backbone import clients

    for e in EventItem.scan(EventItem.pk.startswith("EVENTLOG#")):
        if e.event_type == "FraudFlagged":
            message = {"version": "0", "id": e.event_id, "detail-type": e.event_type, "source": e.source,
                       "time": e.occurred_at, "detail": json.loads(e.detail)}
            clients()[1].send_message(QueueUrl=backbone.sources["reputation_consumer"].queue.url,
                                      MessageBody=json.dumps(message))
    backbone.deliver()


def test_a_rings_ratings_leave_the_rating_counts_and_average_once_and_later_ones_never_enter(backbone):
    """Found in review: taking back a ring's ratings gave back their score points but left them in the members'
    ratingsReceived and averageRating (a 5.0 average over many ratings after being caught)."""
    admin = "sam"
    flows.user(admin)
    group = flows.group(admin)
    ring = ["r1", "r2", "r3", "r4"]
    for name in ring + ["ann"]:
        flows.user(name)
        flows.join(name, group, admin)
    for day in range(5):
        for i, sharer in enumerate(ring):
            if call("POST", "/food", user=sharer, json=flows.post_body(group)).error_code == "restricted":
                continue
            _trade(sharer, ring[(i + 1 + day % 3) % 4], group, stars=(3, 5) if day == 0 else (5, 5))
        backbone.deliver()
        clock.advance(86400)
    assert _flagged("reputation_manipulation") == set(ring)
    assert all(_reputation(m)["counts"]["ratingsReceived"] == 0 for m in ring)
    assert all(_reputation(m)["averageRating"] is None for m in ring)
    _redeliver_fraud_flags(backbone)  # a redelivery takes nothing out twice
    assert all(_reputation(m)["counts"]["ratingsReceived"] == 0 for m in ring)
    clock.advance(7 * 86400)  # the restriction ends
    _trade("r1", "ann", group, stars=(4, 5))  # an honest rating from outside the ring counts
    _trade("r2", "r1", group)  # a later rating inside the ring does not
    backbone.deliver()
    r1 = _reputation("r1")
    assert (r1["counts"]["ratingsReceived"], r1["averageRating"]) == (1, 4.0), r1["counts"]
    assert (_reputation("ann")["counts"]["ratingsReceived"], _reputation("ann")["averageRating"]) == (1, 5.0)
    items = restore.scan(get_settings().table_name)  # score and history still agree
    assert invariants.check(items, clock.now(), get_settings().outbox_sweep_grace_seconds) == []
    counts = {m: (_reputation(m)["counts"]["ratingsReceived"], _reputation(m)["averageRating"]) for m in ring}
    replay.rebuild()  # the event store replayed gives the same counts
    assert {m: (_reputation(m)["counts"]["ratingsReceived"], _reputation(m)["averageRating"]) for m in ring} == counts


def _group_rating(group_id: str, viewer: str) -> tuple[int, float | None]:
    """The group summary's rating figures as a member reads them (through the cache)."""
    reply = call("GET", f"/groups/{group_id}/summary", user=viewer)
    assert reply.status == 200, reply
    return reply.body["ratingsCount"], reply.body["averageRating"]


@pytest.mark.parametrize("lines_without_group", [False, True])
def test_a_rings_ratings_leave_the_group_summary_once_and_a_cached_summary_shows_it(backbone, monkeypatch,
                                                                                   lines_without_group):
    """Found in review: a detected ring's ratings were taken out of each member's counts and average, but the group
    summary (`GET /groups/{groupId}/summary`) kept counting them (the read-model consumer's group totals), and later
    ratings inside the ring still entered it: a caught ring kept its group's average up. 3-star ratings here, so the
    reversal moves no score: no ReputationChanged makes the cached summary stale, only the group's own change.
    `lines_without_group`: rating lines written before lines kept their group; the reversal reads it from the
    rating's event in the event store."""
    from foodshare import group_activity
    from foodshare.data.models import ReputationHistoryItem

    monkeypatch.setenv("CACHE_SETTLE_MS", "0")  # store cache entries at once: the summary read is served from it
    get_settings.cache_clear()
    group, ring = _group_with_a_ring()
    _trade("ann", "bob", group, stars=(4, 5))  # honest ratings: they stay
    backbone.deliver()
    assert _group_rating(group, "ann") == (2, 4.5)
    before_fraud = [s for name, s in backbone.sources.items() if name != "fraud_signals"]
    for day in range(6):
        for i, sharer in enumerate(ring):
            if call("POST", "/food", user=sharer, json=flows.post_body(group)).error_code == "restricted":
                continue
            _trade(sharer, ring[(i + 1 + day % 3) % 4], group, stars=(3, 3))
        drain(before_fraud)  # the day's ratings are in the group's figures, the ring is not found yet
        if lines_without_group:
            for line in ReputationHistoryItem.scan(ReputationHistoryItem.sk.startswith("REPHIST#")
                                                   & ReputationHistoryItem.group_id.exists()):
                line.update([ReputationHistoryItem.group_id.remove()])
        counted = _group_rating(group, "ann")
        assert counted[0] > 2 and _group_rating(group, "ann") == counted  # the second read: from the cache
        backbone.deliver()  # fraud signals, then the reputation consumer takes the ring's ratings back if found
        if _flagged("reputation_manipulation"):
            break
        clock.advance(86400)
    assert _flagged("reputation_manipulation") == set(ring)
    assert _group_rating(group, "ann") == (2, 4.5)  # the cached summary of before the reversal is not served
    _redeliver_fraud_flags(backbone)  # a redelivery takes nothing out twice
    assert _group_rating(group, "ann") == (2, 4.5)
    clock.advance(7 * 86400)  # the restriction ends
    _trade("r1", "ann", group, stars=(2, 5))  # honest ratings with someone outside the ring count
    _trade("r2", "r1", group)  # a later rating inside the ring does not enter the group's figures either
    backbone.deliver()
    assert _group_rating(group, "ann") == (4, 4.0)
    items = restore.scan(get_settings().table_name)
    assert invariants.check(items, clock.now(), get_settings().outbox_sweep_grace_seconds) == []
    replay.rebuild()  # the event store replayed gives the same figures
    assert (group_activity.summary(group)["ratingsCount"], group_activity.summary(group)["averageRating"]) == (4, 4.0)


def _seed_ratings(rated: str, rater: str, n: int, groups: list[str]) -> None:
    """`n` rating lines from `rater` in `rated`'s history over the last 30 days, the profile and the groups' rating
    totals moved as the consumer would (score, counts): a month of ratings before the ring was found, without 60
    trades through the API. Every tenth is 5★ (+3), the others 3★ (no points, only counts); each given in one of
    `groups` in turn."""
    from foodshare import reputation
    from foodshare import reputation_rules as rules
    from foodshare.data.models import GroupActivityItem, ReputationHistoryItem, UserItem

    user = UserItem.get(*UserItem.key(rated))
    score, stars_total = float(user.score), 0
    for i in range(n):
        stars = 5 if i % 10 == 0 else 3
        kind = rules.rating_impact_kind(stars)
        applied = rules.IMPACTS[kind].points
        at = clock.iso(clock.now() - timedelta(days=30) + timedelta(hours=12 * i))
        ReputationHistoryItem(
            *ReputationHistoryItem.key(rated, at, f"seeded-{rated}-{i:03d}", kind), user_id=rated,
            event_id=f"seeded-{rated}-{i:03d}", event_type="RatingSubmitted", kind=kind, points=applied,
            applied=applied, previous_score=score, new_score=score + applied, reason=reputation.LABELS[kind],
            occurred_at=at, source_user_id=rater, stars=stars, group_id=groups[i % len(groups)]).save()
        GroupActivityItem(*GroupActivityItem.key(groups[i % len(groups)])).update(
            [GroupActivityItem.ratings_count.add(1), GroupActivityItem.rating_stars_total.add(stars)])
        score, stars_total = score + applied, stars_total + stars
    user.update([UserItem.score.set(score), UserItem.trust_level.set(rules.trust_level(score)),
                 UserItem.ratings_received.add(n), UserItem.rating_stars_total.add(stars_total)])


@pytest.mark.parametrize("crash_between_chunks", [False, True])
def test_a_ring_member_with_more_ratings_than_one_transaction_holds_has_them_all_taken_back_once(
        backbone, monkeypatch, crash_between_chunks):
    """Found in review: a ring's reversal took back all of a member's rating lines in one transaction (a mark and a
    reversal line each), and DynamoDB holds at most 100 items in one: a member with more than about 49 ratings from
    the ring made it fail on every delivery, to the DLQ, never reversed. It now goes in chunks; a redelivery after
    a crash between chunks goes on with the lines left instead of taking the first marked one for "done". The
    ratings also leave their groups' rating totals in each chunk's transaction, one item a group: given in 40
    groups, a chunk of 40 lines would need 121 items."""
    from foodshare import hooks
    from foodshare.data.models import GroupActivityItem

    admin = "sam"
    flows.user(admin)
    group = flows.group(admin)
    ring = ["r1", "r2", "r3", "r4"]
    for name in ring:
        flows.user(name)
        flows.join(name, group, admin)
    elsewhere = [f"{group}-partner-{i}" for i in range(39)]  # groups r1 was rated in (their totals only)
    _seed_ratings("r1", "r2", 120, [group, *elsewhere])
    crashed: list[bool] = []
    if crash_between_chunks:  # the consumer dies right after r1's first chunk commits: SQS delivers it again
        after_commit = hooks.run_after_commit

        def crash_once(events):
            after_commit(events)
            if not crashed and any(e.type == "ReputationChanged" and e.payload["userId"] == "r1"
                                   and e.payload["causeEventType"] == "FraudFlagged" for e in events):
                crashed.append(True)
                raise RuntimeError("the Lambda ran out of time")

        monkeypatch.setattr(hooks, "run_after_commit", crash_once)
    for day in range(5):
        for i, sharer in enumerate(ring):
            if call("POST", "/food", user=sharer, json=flows.post_body(group)).error_code == "restricted":
                continue
            _trade(sharer, ring[(i + 1 + day % 3) % 4], group)
        backbone.deliver()
        clock.advance(86400)
    assert _flagged("reputation_manipulation") == set(ring)
    assert backbone.dead_letters("reputation_consumer") == []
    assert crashed == ([True] if crash_between_chunks else [])
    r1 = _reputation("r1")
    assert (r1["counts"]["ratingsReceived"], r1["averageRating"]) == (0, None), r1["counts"]
    assert _rating_gain("r1") == 0
    assert all(_reputation(m)["counts"]["ratingsReceived"] == 0 for m in ring)
    assert _group_rating(group, "r3") == (0, None)
    _redeliver_fraud_flags(backbone)  # a redelivery takes nothing out twice
    assert _reputation("r1")["counts"]["ratingsReceived"] == 0 and _rating_gain("r1") == 0
    assert _group_rating(group, "r3") == (0, None)
    items = restore.scan(get_settings().table_name)  # score and history, groups' totals and lines still agree
    assert invariants.check(items, clock.now(), get_settings().outbox_sweep_grace_seconds) == []
    assert [GroupActivityItem.get(*GroupActivityItem.key(g)).ratings_count for g in elsewhere] == [0] * 39


def test_honest_neighbours_trading_twice_a_week_for_a_month_are_not_flagged(backbone):
    c = flows.community()
    for week in range(4):
        for _ in range(2):
            _trade("sam", "cleo", c["group"])
            _trade("cleo", "sam", c["group"], stars=(4, 5))
            clock.advance(3 * 86400)
        backbone.deliver()
    assert not any(e.event_type == "FraudFlagged" for e in EventItem.scan(EventItem.pk.startswith("EVENTLOG#")))
    assert _rating_gain("sam") > 0


def test_a_member_who_keeps_cancelling_claims_is_flagged_for_credit_abuse(backbone):
    c = flows.community()
    for _ in range(8):
        exchange = flows.claim("cleo", flows.share("sam", c["group"]))
        assert call("POST", f"/exchanges/{exchange}/cancel", user="cleo").status == 200
    backbone.deliver()
    assert _flagged("credit_abuse") == {"cleo"}
    [flag] = call("GET", f"/groups/{c['group']}/moderation", user="sam").body["flagged"]
    assert flag["kind"] == "credit_abuse" and "7 claims in 7 days, 7 of them cancelled" in flag["explanation"]  # at the threshold


def test_a_claimed_post_whose_exchange_closed_after_its_window_is_no_expired_post_of_its_sharer(backbone):
    """Found by an audit: a claim cancelled after the pickup window (by the claimer, or by a moderator's removal of
    either side) expires the post with `FoodExpired`, which fraud counted as a post nobody claimed against the sharer,
    who may be the innocent side. Only posts whose window ended unclaimed (the expiry job's) count."""
    from foodshare.data.models import SignalDayItem

    c = flows.community()
    exchange = flows.claim("cleo", flows.share("sam", c["group"]))
    clock.advance(4 * 3600)
    assert call("POST", f"/exchanges/{exchange}/cancel", user="cleo").status == 200
    backbone.deliver()
    assert [e.event_type for e in EventItem.scan()].count("FoodExpired") == 1
    assert sum(int(d.expired_posts) for d in SignalDayItem.query("USER#sam", SignalDayItem.sk.startswith("SIGNALS#"))) == 0


def test_a_moderators_longer_restriction_landing_while_a_flag_is_applied_is_not_shortened(backbone, monkeypatch):
    """Found by a race audit: a fraud flag restricts the member for a week unless a longer restriction is held, as
    read; the restriction was then put whatever was there by the time it was written. A moderator restricting the
    member for 30 days between that read and the write was cut to the flag's week (and the moderator's action no longer
    named by it, an appeal of it lifting nothing). The flag's restriction now holds only while none longer is there:
    the consumer reads again and keeps the moderator's."""
    from foodshare.data.models import RestrictionItem

    c = flows.community()
    for _ in range(8):
        exchange = flows.claim("cleo", flows.share("sam", c["group"]))
        assert call("POST", f"/exchanges/{exchange}/cancel", user="cleo").status == 200
    get, raced = RestrictionItem.get.__func__, []

    def read_then_restricted(cls, *args, **kwargs):
        try:
            return get(cls, *args, **kwargs)  # none held yet: DoesNotExist
        finally:
            if not raced:
                raced.append(None)
                raced[0] = call("POST", f"/groups/{c['group']}/moderation/actions", user="sam", json={
                    "action": "restrict", "reason": "Keeps cancelling", "days": 30,
                    "memberHandle": flows.handle("cleo", c["group"])})

    monkeypatch.setattr(RestrictionItem, "get", classmethod(read_then_restricted))
    backbone.deliver()
    monkeypatch.undo()
    assert _flagged("credit_abuse") == {"cleo"}
    assert raced and raced[0].status == 201, raced
    held = RestrictionItem.get(*RestrictionItem.key(c["group"], "cleo"))
    assert held.action_id == raced[0].body["actionId"]
    assert clock.parse_iso(held.until) >= clock.now() + timedelta(days=29)


def test_two_events_scoring_one_member_at_once_keep_each_others_flag(backbone, monkeypatch):
    """Found by a race audit: scoring a member read their risk item and wrote it back whole, unconditionally. Two of
    their events handled at once (two consumer instances): the one that read first wrote last and dropped what the
    other had added: the pattern it flagged (flagged again by the next event: a second `FraudFlagged`, the moderators
    told and the member restricted anew) or a rating ring's members (ratings from the ring, ignored once it is
    detected, counted again). The write now holds only while the item is as read: the loser is built again."""
    from foodshare import fraud
    from foodshare.consumers import Delivered
    from foodshare.data.models import RiskItem

    c = flows.community()

    def claimed_and_cancelled() -> str:
        exchange = flows.claim("cleo", flows.share("sam", c["group"]))
        assert call("POST", f"/exchanges/{exchange}/cancel", user="cleo").status == 200
        return exchange

    for _ in range(6):
        claimed_and_cancelled()
    backbone.deliver()
    kept = flows.claim("cleo", flows.share("sam", c["group"]))  # cancelled at the end (a claim once restricted: none)
    seventh = claimed_and_cancelled()  # its cancel takes cleo over the credit_abuse threshold
    [cancel] = [json.loads(e.detail) for e in EventItem.scan(EventItem.pk.startswith("EVENTLOG#"))
                if e.event_type == "ExchangeCancelled" and json.loads(e.detail)["data"]["exchangeId"] == seventh]
    read, raced = fraud._risk, []

    def read_then_flagged(user_id: str):
        current = read(user_id)
        if user_id == "cleo" and not raced:  # the seventh claim is scored; its cancel, by another instance, meanwhile
            raced.append(None)
            raced[0] = fraud.apply(Delivered.of(cancel))
        return current

    monkeypatch.setattr(fraud, "_risk", read_then_flagged)
    backbone.deliver()
    monkeypatch.undo()
    assert raced == [True]
    assert RiskItem.get(*RiskItem.key("cleo")).flagged == {"credit_abuse"}
    assert call("POST", f"/exchanges/{kept}/cancel", user="cleo").status == 200  # scored: over the threshold still
    backbone.deliver()
    flags = [json.loads(e.detail)["data"] for e in EventItem.scan(EventItem.pk.startswith("EVENTLOG#"))
             if e.event_type == "FraudFlagged"]
    assert [(f["userId"], f["pattern"]) for f in flags] == [("cleo", "credit_abuse")]
