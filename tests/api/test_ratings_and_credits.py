"""Ratings after completion, reputation reads, and the credits ledger pages."""

from __future__ import annotations

from foodshare import clock
from tests.support import flows
from tests.support.api import call


def _completed_exchange() -> str:
    c = flows.community()
    exchange_id = flows.claim("cleo", flows.share("sam", c["group"]))
    flows.complete("sam", "cleo", exchange_id)
    return exchange_id


def test_each_participant_rates_once():
    exchange_id = _completed_exchange()
    reply = call("POST", f"/exchanges/{exchange_id}/ratings", user="cleo", json={"stars": 5, "comment": "Lovely bread"})
    assert reply.status == 201
    assert reply.body["ratedUserId"] == "sam" and reply.body["stars"] == 5
    duplicate = call("POST", f"/exchanges/{exchange_id}/ratings", user="cleo", json={"stars": 4})
    assert duplicate.status == 409 and duplicate.error_code == "already_rated"
    other = call("POST", f"/exchanges/{exchange_id}/ratings", user="sam", json={"stars": 4})
    assert other.status == 201 and other.body["ratedUserId"] == "cleo"
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


def test_reputation_of_a_user():
    flows.user("sam")
    reply = call("GET", "/users/sam/reputation", user="cleo")
    assert reply.status == 200
    assert reply.body["score"] == 60 and reply.body["trustLevel"] == "developing"
    assert set(reply.body["counts"]) >= {"foodShared", "exchangesCompleted", "exchangesCancelled", "noShows",
                                         "ratingsReceived"}
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
