"""Group summary and leaderboard, the expiry job, and replay from the event store equal to the live path."""

from __future__ import annotations

import json
from datetime import timedelta

from foodshare import clock, replay
from foodshare.catalog import SCHEDULED_JOBS
from foodshare.data.models import EventItem
from tests.support.event_source import function_invoker
from tests.support.schedules import scheduled_event
from tests.support import flows
from tests.support.api import call


def _summary(group_id: str, user: str = "cleo") -> dict:
    reply = call("GET", f"/groups/{group_id}/summary", user=user)
    assert reply.status == 200, reply
    return reply.body


def _exchange(group_id: str, stars: tuple[int, int] | None = (5, 5)) -> str:
    exchange = flows.claim("cleo", flows.share("sam", group_id))
    flows.complete("sam", "cleo", exchange)
    for who, n in zip(("cleo", "sam"), stars or ()):
        assert call("POST", f"/exchanges/{exchange}/ratings", user=who, json={"stars": n}).status == 201
    return exchange


def test_summary_counts_the_last_30_days_and_members_who_left_drop_out(backbone):
    c = flows.community()
    flows.user("ida")
    flows.join("ida", c["group"], "sam")
    _exchange(c["group"], stars=(5, 4))
    flows.share("ida", c["group"])
    backbone.deliver()
    assert _summary(c["group"]) | {"groupId": None} == {
        "groupId": None, "windowDays": 30, "activeMembers": 3, "postsLast30Days": 2,
        "completedExchangesLast30Days": 1, "averageRating": 4.5, "ratingsCount": 2}
    assert call("DELETE", f"/groups/{c['group']}/members/me", user="ida").status == 200
    assert _summary(c["group"])["activeMembers"] == 2

    clock.advance(20 * 86400)
    flows.share("sam", c["group"])
    backbone.deliver()
    assert (_summary(c["group"])["postsLast30Days"], _summary(c["group"])["activeMembers"]) == (3, 2)
    clock.advance(15 * 86400)  # the first day's activity is now 35 days old
    assert _summary(c["group"]) | {"groupId": None} == {
        "groupId": None, "windowDays": 30, "activeMembers": 1, "postsLast30Days": 1,
        "completedExchangesLast30Days": 0, "averageRating": 4.5, "ratingsCount": 2}


def test_a_person_who_restricted_processing_gets_no_activity_mark(backbone):
    """Found by an audit: a restricted member's post or pickup wrote their `ACTIVE#` mark (a record of their
    activity) and counted them among the group's active members. Their post still counts (a figure of the group)."""
    from foodshare.data.models import ActiveMemberItem

    c = flows.community()
    assert call("PUT", "/me/privacy", user="sam", json={"restricted": True}).status == 200
    flows.share("sam", c["group"])
    backbone.deliver()
    assert (_summary(c["group"])["postsLast30Days"], _summary(c["group"])["activeMembers"]) == (1, 0)
    assert list(ActiveMemberItem.scan(ActiveMemberItem.sk.startswith("ACTIVE#"))) == []
    assert call("PUT", "/me/privacy", user="sam", json={"restricted": False}).status == 200
    flows.share("sam", c["group"])
    backbone.deliver()
    assert (_summary(c["group"])["postsLast30Days"], _summary(c["group"])["activeMembers"]) == (2, 1)


def test_leaderboard_follows_scores_and_is_for_members_only(backbone):
    c = flows.community()
    flows.user("ida")
    flows.join("ida", c["group"], "sam")
    _exchange(c["group"], stars=(1, 5))  # sam rated 1 star, cleo 5
    backbone.deliver()
    board = call("GET", f"/groups/{c['group']}/leaderboard", user="ida").body["leaders"]
    own = {}
    for user in ("cleo", "sam", "ida"):
        row = next(e for e in call("GET", f"/groups/{c['group']}/leaderboard", user=user).body["leaders"] if e["mine"])
        own[user] = (row["rank"], row["handle"], row["score"])
    assert own["cleo"][0::2] == (1, 65.5) and own["sam"][0::2] == (2, 61) and own["ida"][0::2] == (3, 60)
    assert [(e["rank"], e["handle"]) for e in board] == [own[u][:2] for u in ("cleo", "sam", "ida")]
    assert all(e["pseudonym"] and e["trustLevel"] for e in board)
    assert [e["score"] is not None for e in board] == [False, False, True]  # only ida's own row: no exact scores of others
    assert not {"cleo", "sam"} & set(str(board).split("'"))
    flows.user("eve")
    assert call("GET", f"/groups/{c['group']}/leaderboard", user="eve").status == 404
    assert call("GET", f"/groups/{c['group']}/summary", user="eve").status == 404
    assert call("GET", f"/groups/{c['group']}/summary").status == 401


def _run_expiry() -> dict:
    job = next(j for j in SCHEDULED_JOBS if j.name == "food_expiry")
    return function_invoker(job.name)(scheduled_event(job))


def test_expiry_job_expires_only_available_posts_past_their_window_once():
    c = flows.community()
    ends_soon = clock.iso(clock.now() + timedelta(hours=1.5))
    stale = flows.share("sam", c["group"], pickupEnd=ends_soon)
    claimed = flows.share("sam", c["group"], pickupEnd=ends_soon)
    flows.claim("cleo", claimed)
    later = flows.share("sam", c["group"])  # ends in 3 h
    assert _run_expiry() == {"expired": 0, "completed": 0, "lapsed": 0, "notSettled": 0}
    clock.advance(2 * 3600)
    assert _run_expiry() == {"expired": 1, "completed": 0, "lapsed": 0, "notSettled": 0}
    assert _run_expiry() == {"expired": 0, "completed": 0, "lapsed": 0, "notSettled": 0}
    statuses = {f: call("GET", f"/food/{f}", user="sam").body["status"] for f in (stale, claimed, later)}
    assert statuses == {stale: "expired", claimed: "claimed", later: "available"}
    recorded = [json.loads(e.detail) for e in EventItem.scan(EventItem.pk.startswith("EVENTLOG#"))
                if e.event_type == "FoodExpired"]
    assert [(e["data"]["foodId"], e["actorId"]) for e in recorded] == [(stale, None)]


def test_replay_from_the_event_store_equals_the_live_path(backbone):
    c = flows.community()
    flows.user("ida")
    flows.join("ida", c["group"], "sam")
    _exchange(c["group"])
    cancelled = flows.claim("ida", flows.share("sam", c["group"]))
    assert call("POST", f"/exchanges/{cancelled}/cancel", user="ida").status == 200
    clock.advance(86400)
    _exchange(c["group"], stars=(2, 3))
    backbone.deliver()
    live = replay.derived_state()
    assert any(sk.startswith("REPHIST#") for _, sk in live) and any(sk.startswith("DAY#") for _, sk in live)
    assert replay.rebuild() > 0
    assert replay.derived_state() == live
