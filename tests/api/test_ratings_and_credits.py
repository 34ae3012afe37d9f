"""Ratings after completion, reputation reads, and the credits ledger pages."""

from __future__ import annotations

from foodshare import clock
from tests.support import flows
from tests.support.api import call


def _completed_exchange() -> str:
    return _completed()[0]


def _completed() -> tuple[str, str]:
    c = flows.community()
    food_id = flows.share("sam", c["group"])
    exchange_id = flows.claim("cleo", food_id)
    flows.complete("sam", "cleo", exchange_id)
    return exchange_id, food_id


def test_each_participant_rates_once():
    exchange_id, food_id = _completed()
    reply = call("POST", f"/exchanges/{exchange_id}/ratings", user="cleo", json={"stars": 5, "comment": "Lovely bread"})
    assert reply.status == 201
    # The rated person as the group knows them (the same handle as on the post), never their id.
    sam = call("GET", f"/food/{food_id}", user="cleo").body["sharer"]
    assert reply.body["ratedUser"] == {"handle": sam["handle"], "pseudonym": sam["pseudonym"], "mine": False}
    assert reply.body["stars"] == 5 and "sam" not in str(reply.body)
    duplicate = call("POST", f"/exchanges/{exchange_id}/ratings", user="cleo", json={"stars": 4})
    assert duplicate.status == 409 and duplicate.error_code == "already_rated"
    other = call("POST", f"/exchanges/{exchange_id}/ratings", user="sam", json={"stars": 4})
    assert other.status == 201 and "cleo" not in str(other.body)
    assert call("POST", f"/exchanges/{exchange_id}/ratings", user="eve", json={"stars": 1}).status == 404


def test_rating_validation():
    exchange_id = _completed_exchange()
    for body, field in (({"stars": 0}, "stars"), ({"stars": 6}, "stars"), ({}, "stars"),
                        ({"stars": 3, "comment": "x" * 501}, "comment")):
        reply = call("POST", f"/exchanges/{exchange_id}/ratings", user="cleo", json=body)
        assert reply.status == 400 and field in reply.body["error"]["fields"], body


def test_rating_needs_completion_and_open_window():
    c = flows.community()
    exchange_id = flows.claim("cleo", flows.share("sam", c["group"]))
    early = call("POST", f"/exchanges/{exchange_id}/ratings", user="cleo", json={"stars": 5})
    assert early.status == 409 and early.error_code == "invalid_state"
    flows.complete("sam", "cleo", exchange_id)
    clock.advance(14 * 24 * 3600 + 60)
    late = call("POST", f"/exchanges/{exchange_id}/ratings", user="cleo", json={"stars": 5})
    assert late.status == 409 and late.error_code == "rating_window_closed"


def test_reputation_own_by_id_and_others_by_handle_only():
    c = flows.community()
    food_id = flows.share("sam", c["group"])
    own = call("GET", "/users/sam/reputation", user="sam")
    assert own.status == 200 and own.body["userId"] == "sam"
    assert own.body["score"] == 60 and own.body["trustLevel"] == "developing"
    assert set(own.body["counts"]) >= {"foodShared", "exchangesCompleted", "exchangesCancelled", "noShows",
                                       "ratingsReceived"}
    # Others: the raw id is not an address any more; the handle from the post is.
    assert call("GET", "/users/sam/reputation", user="cleo").status == 404
    sharer = call("GET", f"/food/{food_id}", user="cleo").body["sharer"]
    other = call("GET", f"/users/{sharer['handle']}/reputation", user="cleo")
    assert other.status == 200
    assert other.body == {"handle": sharer["handle"], "pseudonym": sharer["pseudonym"], "mine": False,
                          "trustLevel": "developing"}
    # A handle means nothing to someone outside the groups it was shown in.
    flows.user("eve")
    assert call("GET", f"/users/{sharer['handle']}/reputation", user="eve").status == 404
    assert call("GET", "/users/nobody/reputation", user="cleo").status == 404


def test_credit_ledger_pages_newest_first():
    c = flows.community()
    foods = [flows.share("sam", c["group"], title=f"Meal {i}") for i in range(3)]
    for food_id in foods:
        exchange_id = flows.claim("cleo", food_id)
        call("POST", f"/exchanges/{exchange_id}/cancel", user="cleo")
    first = call("GET", "/me/credits", user="cleo", query={"limit": 4})
    assert first.status == 200 and first.body["balance"] == 3
    assert [t["reason"] for t in first.body["transactions"]] == ["claim_cancelled", "claim_hold"] * 2
    second = call("GET", "/me/credits", user="cleo", query={"limit": 4, "cursor": first.body["nextCursor"]})
    assert [t["reason"] for t in second.body["transactions"]] == ["claim_cancelled", "claim_hold", "welcome"]
    assert second.body["nextCursor"] is None
    assert [t["balanceAfter"] for t in second.body["transactions"]] == [3, 2, 3]
    assert call("GET", "/me/credits", user="cleo", query={"limit": 0}).status == 400
    assert call("GET", "/me/credits", user="cleo", query={"cursor": "%%%"}).status == 400
