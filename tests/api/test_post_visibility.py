"""Who sees a post: `GET /food/{foodId}` and the posts `GET /me/exchanges` shows answer as `GET /food` decides
(`domain/visibility.py`, one rule): a post the list hides from someone is, to them, a post that does not exist."""

from __future__ import annotations

import json

from tests.support import flows
from tests.support.api import call

UNKNOWN = "01J0000000000000000000000X"


def _titles(user: str) -> list[str]:
    reply = call("GET", "/food", user=user)
    assert reply.status == 200, reply
    return sorted(item["title"] for item in reply.body["items"])


def _as_missing(food_id: str, user: str) -> bool:
    """Whether `user` is answered for `food_id` exactly as for a post that does not exist."""
    reply = call("GET", f"/food/{food_id}", user=user)
    missing = call("GET", f"/food/{UNKNOWN}", user=user)
    assert missing.status == 404, missing
    return reply.status == 404 and json.dumps(reply.body) == json.dumps(missing.body).replace(UNKNOWN, food_id)


def _posts_in_my_exchanges(user: str) -> dict[str, dict | None]:
    reply = call("GET", "/me/exchanges", user=user)
    assert reply.status == 200, reply
    return {x["exchangeId"]: x["food"] for x in reply.body["exchanges"]}


def test_a_removed_post_is_shown_to_its_sharer_only_and_to_everyone_else_as_a_missing_one():
    c = flows.community()  # sam (admin), cleo
    group = c["group"]
    flows.user("ida")
    flows.join("ida", group, "sam")
    food = flows.share("cleo", group, title="Counterfeit watches", description="Cheap, no questions")
    cancelled = flows.claim("ida", food)  # ida holds an exchange on it, cancelled: the post is available again
    assert call("POST", f"/exchanges/{cancelled}/cancel", user="ida").status == 200
    assert call("GET", f"/food/{food}", user="ida").status == 200
    removed = call("POST", f"/groups/{group}/moderation/actions", user="sam",
                   json={"action": "remove_post", "foodId": food, "reason": "Selling, not sharing"})
    assert removed.status == 201, removed

    own = call("GET", f"/food/{food}", user="cleo")
    assert own.status == 200 and own.body["status"] == "removed" and own.body["title"] == "Counterfeit watches"
    for who in ("ida", "sam"):  # a member, the one who removed it: as if it did not exist
        assert _as_missing(food, who), who
        assert _titles(who) == []
    # the exchange it had: its record for both, the post for its sharer only
    assert call("GET", f"/exchanges/{cancelled}", user="ida").body["foodId"] == food
    assert _posts_in_my_exchanges("ida") == {cancelled: None}
    assert _posts_in_my_exchanges("cleo")[cancelled]["status"] == "removed"


def test_a_restricted_sharers_posts_are_shown_by_id_to_themselves_and_to_an_active_claimer_only():
    c = flows.community()  # sam (sharer), cleo
    group = c["group"]
    flows.user("ida")
    flows.join("ida", group, "sam")
    soup = flows.share("sam", group, title="Soup")  # ida's claim is open: she needs the place and the window
    pie = flows.share("sam", group, title="Pie")  # cleo's claim is over
    bread = flows.share("sam", group, title="Bread")  # nobody's
    active = flows.claim("ida", soup)
    done = flows.claim("cleo", pie)
    flows.complete("sam", "cleo", done)
    assert call("GET", f"/food/{pie}", user="cleo").status == 200

    assert call("PUT", "/me/privacy", user="sam", json={"restricted": True}).status == 200
    assert _titles("cleo") == [] and _titles("ida") == []  # the list: out of discovery (docs/privacy.md)
    for food in (soup, pie, bread):
        assert call("GET", f"/food/{food}", user="sam").status == 200  # their own views keep working
        assert _as_missing(food, "cleo"), food
    mine = call("GET", f"/food/{soup}", user="ida")
    assert mine.status == 200 and mine.body["pickupLocation"]["precision"] == "exact"
    assert _as_missing(bread, "ida") and _as_missing(pie, "ida")
    assert _posts_in_my_exchanges("ida")[active]["title"] == "Soup"
    assert _posts_in_my_exchanges("cleo") == {done: None}
    assert _posts_in_my_exchanges("sam")[done]["title"] == "Pie"

    assert call("PUT", "/me/privacy", user="sam", json={"restricted": False}).status == 200
    assert _titles("cleo") == ["Bread"]
    for food in (pie, bread):
        assert call("GET", f"/food/{food}", user="cleo").status == 200
    assert _posts_in_my_exchanges("cleo")[done]["title"] == "Pie"
