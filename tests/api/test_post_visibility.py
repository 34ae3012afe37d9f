"""Who sees a post: `GET /food/{foodId}` and the posts `GET /me/exchanges` shows answer as `GET /food` decides
(`domain/visibility.py`, one rule): a post the list hides from someone is, to them, a post that does not exist."""

from __future__ import annotations

import json

from tests.support import api, flows
from tests.support.api import call
from tests.support.apigw import build_event, match_route
from tests.support.round_trips import measure

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


def test_a_partner_post_the_terms_hide_from_the_list_is_not_found_by_id_unless_one_claimed_it():
    c = flows.community()  # sam, cleo in Kiez Kitchen (cleo's home: Berlin)
    south = flows.group("bea", "South")
    flows.partnership("sam", c["group"], "bea", south, maxDistanceKm=10, minReputation=70)
    near = flows.share("bea", south, title="Near", pickupLocation={**flows.BERLIN, "label": "x"})
    far = flows.share("bea", south, title="Far", pickupLocation={**flows.POTSDAM, "label": "y"})  # ~27 km
    assert _titles("cleo") == []  # a score of 60, under the terms' 70
    assert _as_missing(near, "cleo") and _as_missing(far, "cleo")

    flows.set_score("cleo", 75)
    assert _titles("cleo") == ["Near"]
    shown = call("GET", f"/food/{near}", user="cleo")
    assert shown.status == 200 and shown.body["fromPartnerGroup"] is True
    assert _as_missing(far, "cleo")  # farther than the terms' 10 km from her home, judged on the area shown
    refused = call("POST", f"/food/{far}/claims", user="cleo")  # the claim too (API 5.2.4: was terms_not_met)
    assert (refused.status, refused.error_code) == (404, "not_found")
    flows.user("cleo", location=None)  # no home: the distance term cannot hold
    assert _titles("cleo") == [] and _as_missing(near, "cleo")

    flows.user("cleo")  # home in Berlin again
    exchange = flows.claim("cleo", near)
    flows.set_score("cleo", 60)  # the terms no longer hold for her; her claim does
    mine = call("GET", f"/food/{near}", user="cleo")
    assert mine.status == 200 and mine.body["fromPartnerGroup"] is True
    assert mine.body["pickupLocation"]["precision"] == "exact"
    flows.complete("bea", "cleo", exchange)
    assert call("GET", f"/food/{near}", user="cleo").body["status"] == "completed"
    assert _as_missing(near, "sam")  # the same terms for sam: a score of 60


def test_through_two_partnerships_with_one_group_the_list_the_read_and_the_claim_take_the_same_terms():
    for name in ("sam", "bea", "cleo"):
        flows.user(name)
    first, second = sorted(flows.group("sam", name) for name in ("North", "East"))
    for group in (first, second):
        flows.join("cleo", group, "sam")
    south = flows.group("bea", "South")
    flows.partnership("sam", first, "bea", south, maxDistanceKm=10, minReputation=0)
    flows.partnership("sam", second, "bea", south, maxDistanceKm=50, minReputation=0)
    far = flows.share("bea", south, title="Far", pickupLocation={**flows.POTSDAM, "label": "y"})  # ~27 km
    assert _titles("cleo") == ["Far"]  # through the wider terms
    assert call("GET", f"/food/{far}", user="cleo").status == 200
    claimed = call("POST", f"/food/{far}/claims", user="cleo")
    assert claimed.status == 201 and claimed.body["viaPartnership"] is True, claimed


def test_a_moderators_restriction_leaves_the_members_shared_posts_listed_readable_and_claimable_alike():
    """A moderator's (or the fraud rules') restriction stops posting and claiming in the group; what the member
    shared before stays as it was, in the list and by id alike (`visibility.sees` does not take it). Not the
    `restricted` of discovery's sharers, which is the person's own restriction of processing (above)."""
    c = flows.community()  # sam (admin), cleo
    group = c["group"]
    flows.user("ida")
    flows.join("ida", group, "sam")
    food = flows.share("cleo", group, title="Soup")
    restricted = call("POST", f"/groups/{group}/moderation/actions", user="sam",
                      json={"action": "restrict", "memberHandle": flows.handle("cleo", group), "days": 3,
                            "reason": "Three no-shows this month"})
    assert restricted.status == 201, restricted
    assert call("POST", "/food", user="cleo", json=flows.post_body(group)).error_code == "restricted"
    assert _titles("ida") == ["Soup"]
    assert call("GET", f"/food/{food}", user="ida").status == 200
    assert call("POST", f"/food/{food}/claims", user="ida").status == 201


def test_the_read_sends_the_calls_it_did_a_partners_terms_judged_on_their_profile_read_with_the_links():
    c = flows.community()
    south = flows.group("bea", "South")
    flows.user("bea")
    flows.user("eve")  # in no group
    flows.partnership("sam", c["group"], "bea", south, maxDistanceKm=10, minReputation=0)
    food = flows.share("sam", c["group"])
    get, batch, query = "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"
    # the post; the membership, the sharer's profile and the exchange the post names; for someone not in its group:
    # their groups, then their groups' links to it with their own profile (the terms' score and home)
    for who, status, calls, items in (("sam", 200, {get: 1}, 1), ("cleo", 200, {get: 1, batch: 1}, 3),
                                      ("bea", 200, {get: 1, batch: 2, query: 1}, 5),
                                      ("eve", 404, {get: 1, batch: 1, query: 1}, 2)):
        path = f"/food/{food}"
        event = build_event(match_route("GET", path), path, query_string="", headers={}, body=None,
                            claims=api.claims_for(who))
        trips = measure("posting", event)
        assert (trips.status, dict(trips.aws), trips.items_read) == (status, calls, items), (who, trips.describe())
