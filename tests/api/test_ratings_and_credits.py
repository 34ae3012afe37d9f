"""Ratings after completion, reputation reads, and the credits ledger pages."""

from __future__ import annotations

import pytest

from foodshare import clock
from foodshare.errors import ValidationFailed
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


def test_stars_of_another_type_are_refused_naming_the_field():
    """Found by an audit: `{"stars": true}` was taken as a 1-star rating (a client's boolean cost the rated person
    2.5 points and counted towards their low-rating suspension) and `"5"` as 5. Both are 400 naming `stars`; a
    whole number written as 4.0 is still 4."""
    from foodshare.data.models import RatingItem

    exchange_id = _completed_exchange()
    for stars in (True, False, "5", "4"):
        reply = call("POST", f"/exchanges/{exchange_id}/ratings", user="cleo", json={"stars": stars})
        assert reply.status == 400 and "stars" in reply.body["error"]["fields"], (stars, reply.body)
    assert list(RatingItem.query(f"EXCHANGE#{exchange_id}", RatingItem.sk.startswith("RATING#"))) == []
    rated = call("POST", f"/exchanges/{exchange_id}/ratings", user="cleo", json={"stars": 4.0})
    assert rated.status == 201 and rated.body["stars"] == 4


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


def test_lines_from_before_derived_balances_page_and_cursors_from_before_are_refused():
    """Lines written before issue 15 store their balance_after: the pages derive the same balances. A cursor of
    before API 5.4.0 (a line id alone, or line, balance and the credits route's own seal) is refused, naming it, as
    any cursor of another shape is: ask for the first page again."""
    from foodshare import ids
    from foodshare import cursors
    from foodshare.data.models import LedgerEntryItem, UserItem

    flows.user("cleo")
    old = []
    for amount, after in ((-1, 2), (1, 3), (-1, 2)):  # a hold, its release, a hold: as written then
        entry_id = ids.new_id()
        LedgerEntryItem(*LedgerEntryItem.key("cleo", entry_id), entry_id=entry_id, user_id="cleo", amount=amount,
                        balance_after=after, reason="claim_hold" if amount < 0 else "claim_cancelled",
                        created_at=clock.now_iso()).save()
        old.append(entry_id)
    UserItem.get(*UserItem.key("cleo")).update(
        actions=[UserItem.credit_balance.set(2), UserItem.ledger_head.remove()])  # a profile from before
    first = call("GET", "/me/credits", user="cleo", query={"limit": 2}).body
    assert [t["balanceAfter"] for t in first["transactions"]] == [2, 3]
    older = call("GET", "/me/credits", user="cleo", query={"limit": 2, "cursor": first["nextCursor"]}).body
    assert [(t["amount"], t["balanceAfter"]) for t in older["transactions"]] == [(-1, 2), (3, 3)]
    assert older["nextCursor"] is None
    for bad in (cursors.encode(old[1]), cursors.encode([old[1], 2, "0" * 32]), cursors.encode(["x", "2"]),
                cursors.encode({"a": 1}), cursors.encode(["", 1])):
        refused = call("GET", "/me/credits", user="cleo", query={"cursor": bad})
        assert refused.status == 400 and refused.body["error"]["fields"] == {
            "cursor": "not a cursor from a previous page"}, refused.body


def test_a_cursor_carries_a_balance_only_the_server_vouches_for():
    """Found by an audit (API 5.3.2): the next page's balances are derived from the balance its cursor carries,
    which was taken as sent: a cursor edited to another balance (or another person's cursor) showed lines with
    balances the ledger never had (-5 after a +1), and any text as the entry id paged from there ("~": the newest
    lines again). A cursor is sealed (`cursors.Seal`, since API 5.4.0 the rule of every sealed list): it reads as
    nothing, and an edited one, one made up, another person's or another list's is 400 naming `cursor`."""
    from foodshare import cursors

    c = flows.community()
    for food_id in [flows.share("sam", c["group"], title=f"Meal {i}") for i in range(2)]:
        assert call("POST", f"/exchanges/{flows.claim('cleo', food_id)}/cancel", user="cleo").status == 200
    first = call("GET", "/me/credits", user="cleo", query={"limit": 2}).body
    honest = call("GET", "/me/credits", user="cleo", query={"limit": 2, "cursor": first["nextCursor"]})
    assert [t["balanceAfter"] for t in honest.body["transactions"]] == [3, 2], honest.body
    seal = cursors.Seal("cleo", "GET /me/credits")
    entry_id, balance = cursors.decode(first["nextCursor"], seal=seal)  # what only the server can read
    with pytest.raises(ValidationFailed):
        cursors.decode(first["nextCursor"])  # ... a client reads nothing in it
    sams = call("GET", "/me/credits", user="sam", query={"limit": 1}).body  # (sam has one line: no cursor)
    assert sams["nextCursor"] is None
    flipped = first["nextCursor"][:-3] + ("A" if first["nextCursor"][-3] != "A" else "B") + first["nextCursor"][-2:]
    for bad in (cursors.encode([entry_id, -5]), cursors.encode([entry_id, balance]), cursors.encode(["~", balance]),
                cursors.encode([entry_id, -5], cursors.Seal("sam", "GET /me/credits")),
                cursors.encode([entry_id, -5], cursors.Seal("cleo", "GET /me/exchanges")), flipped, "~"):
        refused = call("GET", "/me/credits", user="cleo", query={"cursor": bad})
        assert refused.status == 400 and "cursor" in refused.body["error"]["fields"], (bad, refused.body)
    others = call("GET", "/me/credits", user="sam", query={"cursor": first["nextCursor"]})  # cleo's, sent by sam
    assert others.status == 400 and "cursor" in others.body["error"]["fields"], others.body


def test_a_line_committed_between_the_page_and_the_profile_is_not_missed(monkeypatch):
    """GET /me/credits queries the ledger, then reads the profile: a release landing in between is in the balance
    but not on the page, so the page is queried again (the profile's ledger_head names the line it must hold)."""
    from foodshare.domain import credits, exchanges

    c = flows.community()
    exchange_id = flows.claim("cleo", flows.share("sam", c["group"]))
    query, landed = credits._ledger, []

    def release_meanwhile(*args):
        page = query(*args)
        if not landed:
            landed.append(exchanges.cancel(exchange_id, "cleo"))
        return page

    monkeypatch.setattr(credits, "_ledger", release_meanwhile)
    body = call("GET", "/me/credits", user="cleo").body
    assert body["balance"] == 3
    assert [(t["reason"], t["balanceAfter"]) for t in body["transactions"]] == [
        ("claim_cancelled", 3), ("claim_hold", 2), ("welcome", 3)]


def _ban(moderator: str, group_id: str, member: str) -> None:
    reply = call("POST", f"/groups/{group_id}/moderation/actions", user=moderator,
                 json={"action": "ban", "reason": "Harassed a member", "memberHandle": flows.handle(member, group_id)})
    assert reply.status == 201, reply


def _ratings_of(exchange_id: str) -> list:
    from foodshare.data.models import RatingItem

    return list(RatingItem.query(f"EXCHANGE#{exchange_id}", RatingItem.sk.startswith("RATING#")))


def test_a_member_banned_from_the_exchanges_group_can_no_longer_rate_in_it():
    """Found by an audit: a member banned from the group still rated the other side of a completed exchange (a
    harasser rating their reporter 1★, counting towards the reporter's low-rating suspension). It is 403 `banned`
    and nothing is written; the other side still rates them."""
    from foodshare.data.models import ReceivedRatingsItem

    exchange_id, _ = _completed()
    group_id = call("GET", f"/exchanges/{exchange_id}", user="sam").body["groupId"]
    _ban("sam", group_id, "cleo")
    refused = call("POST", f"/exchanges/{exchange_id}/ratings", user="cleo", json={"stars": 1})
    assert refused.status == 403 and refused.error_code == "banned", refused.body
    assert _ratings_of(exchange_id) == []
    assert [m for m in ReceivedRatingsItem.query("USER#sam", ReceivedRatingsItem.sk.startswith("RATED#"))] == []
    assert call("POST", f"/exchanges/{exchange_id}/ratings", user="sam", json={"stars": 2}).status == 201


def test_a_ban_landing_while_a_rating_is_in_flight_refuses_it(monkeypatch):
    """The rating reads the exchange, then commits: the ban is checked in its transaction, so one decided in
    between still refuses it (403 `banned`, nothing written)."""
    from foodshare.domain import exchanges

    exchange_id, _ = _completed()
    group_id = call("GET", f"/exchanges/{exchange_id}", user="sam").body["groupId"]
    read, banned = exchanges.get_for_participant, []

    def then_banned(*args):
        found = read(*args)
        if not banned:
            banned.append(True)
            _ban("sam", group_id, "cleo")
        return found

    monkeypatch.setattr(exchanges, "get_for_participant", then_banned)
    refused = call("POST", f"/exchanges/{exchange_id}/ratings", user="cleo", json={"stars": 1})
    assert banned and refused.status == 403 and refused.error_code == "banned", refused.body
    assert _ratings_of(exchange_id) == []
