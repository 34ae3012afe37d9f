"""What belongs to the caller: GET /me/groups, /me/food, /me/exchanges and GET /exchanges/{exchangeId},
through the handlers. Others appear as their identity in the exchange's group, places are exact only where
GET /food/{foodId} shows them exactly, lists are paged with strict cursors, and someone else's exchange is not found."""

from __future__ import annotations

import base64

from foodshare.domain import identities
from tests.events.conftest import backbone  # noqa: F401  (the fixture: the erasure consumer)
from tests.support import api, flows
from tests.support.api import call
from tests.support.round_trips import measure


def _ids(body: dict, kind: str, field: str) -> list[str]:
    return [item[field] for item in body[kind]]


def test_my_groups_show_role_joined_and_who_i_am_in_each():
    c = flows.community()
    other = flows.group("cleo", "Elm Street")
    body = call("GET", "/me/groups", user="cleo").body
    assert body["nextCursor"] is None
    by_id = {g["groupId"]: g for g in body["groups"]}
    assert set(by_id) == {c["group"], other}
    assert by_id[c["group"]]["role"] == "member" and by_id[other]["role"] == "admin"
    assert by_id[c["group"]]["name"] == "Kiez Kitchen" and by_id[c["group"]]["joinedAt"]
    for group_id, shown in by_id.items():
        who = identities.in_group("cleo", group_id)
        assert shown["me"] == {"handle": who.handle, "pseudonym": who.pseudonym, "mine": True}
    assert by_id[c["group"]]["me"]["handle"] != by_id[other]["me"]["handle"]  # one identity per group
    assert call("GET", "/me/groups", user="nobody").body == {"groups": [], "nextCursor": None}
    assert call("DELETE", f"/groups/{other}/members/me", user="cleo").status == 200
    assert _ids(call("GET", "/me/groups", user="cleo").body, "groups", "groupId") == [c["group"]]


def test_my_food_pages_newest_first_with_status_and_exchange():
    c = flows.community()
    posts = [flows.share("sam", c["group"], title=f"Loaf {i}") for i in range(5)]
    exchange = flows.claim("cleo", posts[1])
    assert call("DELETE", f"/food/{posts[2]}", user="sam").status == 200
    pages = api.pages("/me/food", user="sam", limit=2)
    assert len(pages) == 3
    seen = [p for page in pages for p in page["posts"]]
    assert sorted(p["foodId"] for p in seen) == sorted(posts)
    assert [p["createdAt"] for p in seen] == sorted((p["createdAt"] for p in seen), reverse=True)
    by_id = {p["foodId"]: p for p in seen}
    assert by_id[posts[1]]["status"] == "claimed" and by_id[posts[1]]["exchangeId"] == exchange
    assert by_id[posts[2]]["status"] == "withdrawn" and by_id[posts[0]]["exchangeId"] is None
    assert all(p["pickupLocation"]["precision"] == "exact" and p["sharer"]["mine"] for p in seen)
    assert call("GET", "/me/food", user="cleo").body == {"posts": [], "nextCursor": None}  # nobody else's

    claimed = call("GET", "/me/food", user="sam", query={"status": "claimed"}).body
    assert _ids(claimed, "posts", "foodId") == [posts[1]] and claimed["nextCursor"] is None
    available, cursor = [], None
    while True:
        query = {"status": "available", "limit": "2", **({"cursor": cursor} if cursor else {})}
        body = call("GET", "/me/food", user="sam", query=query).body
        available += _ids(body, "posts", "foodId")
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert sorted(available) == sorted([posts[0], posts[3], posts[4]])


def test_bad_status_limit_and_tampered_cursors_are_400_naming_the_field():
    c = flows.community()
    for _ in range(3):
        flows.share("sam", c["group"])
    cursor = call("GET", "/me/food", user="sam", query={"limit": "1"}).body["nextCursor"]
    assert cursor is not None
    tampered = [cursor[:-2] + "!!", base64.urlsafe_b64encode(b'{"x":1}').decode(),
                base64.urlsafe_b64encode(b'"FOOD#../x"').decode(), base64.urlsafe_b64encode(b"1e999").decode()]
    for path in ("/me/food", "/me/exchanges", "/me/groups"):
        for bad in tampered:
            reply = call("GET", path, user="sam", query={"cursor": bad})
            assert reply.status == 400 and "cursor" in reply.body["error"]["fields"], (path, bad, reply)
        for limit in ("0", "1000", "x"):
            reply = call("GET", path, user="sam", query={"limit": limit})
            assert reply.status == 400 and "limit" in reply.body["error"]["fields"], (path, limit, reply)
    for path in ("/me/food", "/me/exchanges"):
        reply = call("GET", path, user="sam", query={"status": "sold"})
        assert reply.status == 400 and "status" in reply.body["error"]["fields"], reply
    reply = call("GET", "/me/food", user="sam", query={"status": "active"})  # an exchange's filter, not a post's
    assert reply.status == 400 and "status" in reply.body["error"]["fields"], reply


def test_an_exchange_is_shown_to_its_two_participants_only():
    c = flows.community()
    flows.user("eve")
    flows.join("eve", c["group"], "sam")  # a member of the same group, not a participant
    exchange = flows.claim("cleo", flows.share("sam", c["group"]))
    for who in ("sam", "cleo"):
        reply = call("GET", f"/exchanges/{exchange}", user=who)
        assert reply.status == 200 and reply.body["exchangeId"] == exchange
        assert reply.body["sharer"]["mine"] == (who == "sam") and reply.body["claimer"]["mine"] == (who == "cleo")
    for who in ("eve", "stranger"):
        reply = call("GET", f"/exchanges/{exchange}", user=who)
        assert (reply.status, reply.error_code) == (404, "not_found")
    unknown = call("GET", "/exchanges/01J0000000000000000000000X", user="eve")  # answered alike: no id confirmed
    assert (unknown.status, unknown.error_code) == (404, "not_found")
    assert call("GET", "/me/exchanges", user="eve").body == {"exchanges": [], "nextCursor": None}


def test_my_exchanges_both_sides_newest_first_with_identities_places_and_status():
    c = flows.community()
    g = c["group"]
    shared = flows.claim("cleo", flows.share("sam", g, title="Soup"))  # cleo claims from sam
    claimed = flows.claim("sam", flows.share("cleo", g, title="Jam"))  # sam claims from cleo
    done = flows.claim("cleo", flows.share("sam", g, title="Pie"))
    flows.complete("sam", "cleo", done)

    body = call("GET", "/me/exchanges", user="cleo").body
    assert _ids(body, "exchanges", "exchangeId") == [done, claimed, shared]  # newest claim first, both sides
    by_id = {x["exchangeId"]: x for x in body["exchanges"]}
    sam_in_g, cleo_in_g = identities.in_group("sam", g), identities.in_group("cleo", g)
    for x in body["exchanges"]:
        sharer, claimer = (x["sharer"], x["claimer"])
        expected_sharer, expected_claimer = ((sam_in_g, cleo_in_g) if x["exchangeId"] != claimed
                                             else (cleo_in_g, sam_in_g))
        assert (sharer["handle"], sharer["pseudonym"]) == (expected_sharer.handle, expected_sharer.pseudonym)
        assert (claimer["handle"], claimer["pseudonym"]) == (expected_claimer.handle, expected_claimer.pseudonym)
        assert x == call("GET", f"/exchanges/{x['exchangeId']}", user="cleo").body | {"food": x["food"]}
    # the place: exact to the claimer of an active claim and to the sharer; an area once the claim is over
    assert by_id[shared]["food"]["pickupLocation"]["precision"] == "exact"  # cleo's active claim
    assert by_id[claimed]["food"]["pickupLocation"]["precision"] == "exact"  # her own post
    assert by_id[done]["food"]["pickupLocation"]["precision"] == "area"  # her claim, completed
    assert by_id[done]["food"]["pickupLocation"]["label"] is None
    for x in body["exchanges"]:  # as GET /food/{foodId} shows the post to her
        assert x["food"]["pickupLocation"] == call("GET", f"/food/{x['foodId']}", user="cleo").body["pickupLocation"]
    assert by_id[claimed]["food"]["exchangeId"] == claimed and by_id[shared]["food"]["exchangeId"] is None

    active = call("GET", "/me/exchanges", user="cleo", query={"status": "active"}).body
    assert _ids(active, "exchanges", "exchangeId") == [claimed, shared]
    closed = call("GET", "/me/exchanges", user="cleo", query={"status": "completed"}).body
    assert _ids(closed, "exchanges", "exchangeId") == [done]

    pages = api.pages("/me/exchanges", user="sam", limit=1)
    assert [x["exchangeId"] for p in pages for x in p["exchanges"]] == [done, claimed, shared]


def test_a_partner_group_exchange_names_the_claimer_as_the_posts_group_knows_them():
    flows.user("sam")
    flows.user("bea")
    group_a, group_b = flows.group("sam", "Kiez Kitchen"), flows.group("bea", "Elm Street")
    flows.partnership("sam", group_a, "bea", group_b, maxDistanceKm=10, minReputation=0, maxClaimsPerMemberPerWeek=3)
    exchange = flows.claim("bea", flows.share("sam", group_a))
    for viewer in ("sam", "bea"):
        [x] = call("GET", "/me/exchanges", user=viewer).body["exchanges"]
        assert x["exchangeId"] == exchange and x["viaPartnership"] and x["groupId"] == group_a
        assert x["claimer"]["handle"] == identities.of("bea", group_a).handle  # in the post's group
        assert x["claimer"]["handle"] != identities.of("bea", group_b).handle  # never her own group's
        assert x["food"]["fromPartnerGroup"] == (viewer == "bea")
        assert x["food"]["pickupLocation"]["precision"] == "exact"  # sharer; claimer of the active claim


def test_after_an_erasure_the_counterpart_sees_the_anonymous_identity(backbone):  # noqa: F811
    c = flows.community()
    done = flows.claim("cleo", flows.share("sam", c["group"]))
    flows.complete("sam", "cleo", done)
    before = call("GET", f"/exchanges/{done}", user="sam").body["claimer"]
    code = call("POST", "/me/erasure", user="cleo").body["confirmationCode"]
    assert call("DELETE", "/me", user="cleo", json={"confirmationCode": code}).status == 202
    backbone.deliver()
    [x] = call("GET", "/me/exchanges", user="sam").body["exchanges"]
    assert x["claimer"] == call("GET", f"/exchanges/{done}", user="sam").body["claimer"]  # the other views' identity
    assert x["claimer"]["handle"] != before["handle"] and x["claimer"]["pseudonym"] != before["pseudonym"]
    from foodshare.data.models import ExchangeItem

    anon = ExchangeItem.get(*ExchangeItem.key(done)).claimer_id
    assert anon.startswith("anon-")
    shown = identities.of(anon, c["group"])
    assert (x["claimer"]["handle"], x["claimer"]["pseudonym"]) == (shown.handle, shown.pseudonym)


def test_each_list_is_one_query_and_one_batch_whatever_the_page():
    c = flows.community()
    flows.group("cleo", "Elm Street")
    for i in range(2):  # (the welcome credits)
        flows.claim("cleo", flows.share("sam", c["group"], title=f"Loaf {i}"))
        flows.claim("sam", flows.share("cleo", c["group"], title=f"Jam {i}"))
    for path, limit in (("/me/groups", "50"), ("/me/food", "100"), ("/me/exchanges", "30")):
        from tests.support.apigw import build_event, match_route

        matched = match_route("GET", path)
        event = build_event(matched, path, query_string=f"limit={limit}", headers={}, body=None,
                            claims=api.claims_for("cleo"))
        trips = measure(matched.function, event)
        assert trips.status == 200, trips
        assert trips.aws == {"dynamodb:Query": 1, "dynamodb:BatchGetItem": 1}, (path, trips.describe())
