"""A member's departure from a group (they leave, a moderator removes or bans them) through the real path: the
request, the event on the erasure consumer's queue, its handler, the state after (docs/trust-safety.md,
"Departures"). Their available posts in that group go (withdrawn, `FoodWithdrawn`: the chat announcement is
edited), and only there; a removal or ban also cancels their open exchanges there without penalising the
counterpart; a voluntary leave lets them finish theirs."""

from __future__ import annotations

import json

import pytest
from foodshare import clock, invariants
from foodshare.bots import notifications
from foodshare.data.models import EventItem, ExchangeItem, FoodItem, UserItem
from foodshare.settings import get_settings

from ops import restore
from tests.events.test_reputation_consumer import _redeliver
from tests.support import flows
from tests.support.api import call


def _events(event_type: str) -> list[dict]:
    return [json.loads(e.detail) for e in EventItem.scan(EventItem.pk.startswith("EVENTLOG#"))
            if e.event_type == event_type]


def _status(food_id: str) -> str:
    return FoodItem.get(*FoodItem.key(food_id)).status


def _listed(user_id: str) -> set[str]:
    return {item["foodId"] for item in call("GET", "/food", user=user_id).body["items"]}


def _exchange(exchange_id: str) -> str:
    return ExchangeItem.get(*ExchangeItem.key(exchange_id)).status


def _credits(user_id: str) -> dict:
    return call("GET", "/me/credits", user=user_id).body


def _no_violations() -> None:
    items = restore.scan(get_settings().table_name)
    assert invariants.check(items, clock.now(), get_settings().outbox_sweep_grace_seconds) == []


def _two_groups() -> dict:
    """sam's group "g" with cleo and ida; olga's group "h" with cleo and ida too."""
    c = flows.community()
    flows.user("ida")
    flows.join("ida", c["group"], "sam")
    flows.user("olga")
    other = flows.group("olga", "Other")
    for name in ("cleo", "ida"):
        flows.join(name, other, "olga")
    return {"g": c["group"], "h": other}


def test_a_leaver_s_available_posts_in_that_group_go_and_nothing_else(backbone):
    groups = _two_groups()
    g, h = groups["g"], groups["h"]
    soup = flows.share("cleo", g, title="Soup")
    bread = flows.share("cleo", g, title="Bread")
    open_exchange = flows.claim("sam", bread)  # a claim on her post: she may finish it after leaving
    pears = flows.share("cleo", h, title="Pears")  # her other group's post
    backbone.deliver()
    assert soup in _listed("sam")

    assert call("DELETE", f"/groups/{g}/members/me", user="cleo").status == 200
    [left] = [m for m in backbone.queued("erasure") if m["detail-type"] == "MemberLeft"]
    backbone.deliver()

    assert _status(soup) == "withdrawn" and soup not in _listed("sam") and soup not in _listed("ida")
    refused = call("POST", f"/food/{soup}/claims", user="ida")
    assert refused.status == 409 and refused.error_code == "not_available"
    [withdrawn] = _events("FoodWithdrawn")  # the announcements consumer edits the chat message from it
    assert withdrawn["data"] == {"foodId": soup, "groupId": g, "sharerId": "cleo"}
    assert withdrawn["actorId"] == "cleo"
    assert _status(pears) == "available" and pears in _listed("ida")  # her other group: untouched
    assert _exchange(open_exchange) == "claimed" and _status(bread) == "claimed"
    flows.complete("cleo", "sam", open_exchange)  # confirm needs no membership

    _redeliver("erasure", backbone, left)  # a redelivery applies nothing twice
    backbone.deliver()
    assert len(_events("FoodWithdrawn")) == 1 and _status(pears) == "available"
    _no_violations()


def test_posts_made_after_rejoining_outlive_the_earlier_departure(backbone):
    groups = _two_groups()
    g = groups["g"]
    before = flows.share("cleo", g, title="Before")
    backbone.deliver()
    assert call("DELETE", f"/groups/{g}/members/me", user="cleo").status == 200
    clock.advance(2)  # the departure's event is still on its way when she is back
    flows.join("cleo", g, "sam")
    after = flows.share("cleo", g, title="After")
    backbone.deliver()
    assert _status(before) == "withdrawn"
    assert _status(after) == "available" and after in _listed("sam")


@pytest.mark.parametrize("action", ["ban", "remove_member"])
def test_a_ban_or_removal_takes_the_member_s_posts_off_and_cancels_their_exchanges_there_penalising_nobody(
        backbone, action):
    groups = _two_groups()
    g, h = groups["g"], groups["h"]
    listed = flows.share("ida", g, title="Listed")
    in_the_window = flows.share("ida", g, title="Claimed before the departure is applied")
    claimed_from_her = flows.share("ida", g, title="Claimed from her")
    as_sharer = flows.claim("cleo", claimed_from_her)
    cleos = flows.share("cleo", g, title="Cleo's")
    as_claimer = flows.claim("ida", cleos)
    elsewhere = flows.share("ida", h, title="Elsewhere")
    elsewhere_exchange = flows.claim("ida", flows.share("olga", h, title="Olga's"))
    backbone.deliver()
    scores = {u: call("GET", f"/users/{u}/reputation", user=u).body["score"] for u in ("cleo", "ida", "sam")}
    assert _credits("cleo")["held"] == 1 and _credits("ida")["held"] == 2

    banned = call("POST", f"/groups/{g}/moderation/actions", user="sam",
                  json={"action": action, "memberHandle": flows.handle("ida", g), "reason": "Selling"})
    assert banned.status == 201
    queued = backbone.queued("erasure")
    assert sorted(m["detail-type"] for m in queued) == ["MemberLeft", "ModerationActionTaken"]
    # Until the event is applied her post still shows available, but a claim of it is refused already (her profile
    # records the departure, which the claim's transaction checks): nobody is shown her place, nothing to cancel.
    too_late = call("POST", f"/food/{in_the_window}/claims", user="sam")
    assert too_late.status == 409 and too_late.error_code == "not_available", too_late
    backbone.deliver()

    refused = call("POST", f"/food/{listed}/claims", user="cleo")  # no meeting someone the group banned: her posts
    assert refused.status == 404 and refused.error_code == "not_found"  # are `removed`, as GET /food/{foodId} says
    assert listed not in _listed("cleo") and claimed_from_her not in _listed("cleo")
    assert {_status(f) for f in (listed, claimed_from_her, in_the_window)} == {"removed"}
    assert {e["data"]["foodId"] for e in _events("FoodWithdrawn")} == {listed, claimed_from_her, in_the_window}
    assert {_exchange(x) for x in (as_sharer, as_claimer)} == {"cancelled"} and not _exchanges_of(in_the_window)
    assert _status(cleos) == "available" and cleos in _listed("cleo")  # her post is back for the group
    cancelled = {e["data"]["exchangeId"]: e for e in _events("ExchangeCancelled")}
    assert set(cancelled) == {as_sharer, as_claimer}
    assert all(e["data"]["cause"] == "removed_from_group" and e["actorId"] is None for e in cancelled.values())
    for event in cancelled.values():  # both told, neither blamed; a removed sharer's post is not "available again"
        told = notifications.notices(event)
        assert {n.user_id for n in told} == {event["data"]["sharerId"], event["data"]["claimerId"]}
        assert all(n.reply.text.startswith("The exchange of") and "moderators removed one of you" in n.reply.text
                   and ("available again" in n.reply.text) == (event["data"]["closedBy"] != event["data"]["sharerId"])
                   for n in told)
    # Credits released; nobody's reputation moves for a cancellation the moderators caused.
    assert _credits("cleo")["held"] == 0 and _credits("ida")["held"] == 1 and _credits("sam")["held"] == 0
    assert {u: call("GET", f"/users/{u}/reputation", user=u).body["score"] for u in ("cleo", "ida", "sam")} == scores
    assert {u: int(UserItem.get(*UserItem.key(u)).cancelled_count or 0) for u in ("cleo", "ida", "sam")} == \
        {"cleo": 0, "ida": 0, "sam": 0}
    # Her other group: untouched.
    assert _status(elsewhere) == "available" and _exchange(elsewhere_exchange) == "claimed"

    for message in queued:
        _redeliver("erasure", backbone, message)
    backbone.deliver()
    assert len(_events("ExchangeCancelled")) == 2 and len(_events("FoodWithdrawn")) == 3
    _no_violations()


def _depart(departure: str, member: str, group_id: str) -> None:
    """`member` leaves `group_id`, or sam (its admin) removes or bans them; the departure's event is not applied."""
    if departure == "leave":
        assert call("DELETE", f"/groups/{group_id}/members/me", user=member).status == 200
        return
    acted = call("POST", f"/groups/{group_id}/moderation/actions", user="sam",
                 json={"action": departure, "memberHandle": flows.handle(member, group_id), "reason": "Selling"})
    assert acted.status == 201, acted


@pytest.mark.parametrize("canceller", ["sam", "cleo"], ids=["the-claimer-cancels", "the-leaver-cancels"])
def test_a_cancel_after_a_leave_takes_the_leaver_s_post_off_instead_of_relisting_it(backbone, canceller):
    """The exchange on her post outlives cleo's leave; cancelled while its window is open, the post does not come
    back for the group she left (whose members would be sent to her door): it is withdrawn, as her leave withdrew
    her available posts, and the claimer's credit is released."""
    groups = _two_groups()
    g = groups["g"]
    soup = flows.share("cleo", g, title="Soup")
    exchange = flows.claim("sam", soup)
    backbone.deliver()
    assert _credits("sam")["held"] == 1
    _depart("leave", "cleo", g)
    backbone.deliver()
    assert _exchange(exchange) == "claimed" and _status(soup) == "claimed"  # kept: she may finish it

    cancelled = call("POST", f"/exchanges/{exchange}/cancel", user=canceller)
    assert cancelled.status == 200 and cancelled.body["status"] == "cancelled", cancelled
    backbone.deliver()

    assert _status(soup) == "withdrawn" and soup not in _listed("sam") and soup not in _listed("ida")
    refused = call("POST", f"/food/{soup}/claims", user="ida")
    assert refused.status == 409 and refused.error_code == "not_available", refused
    assert _credits("sam")["held"] == 0
    [event] = _events("ExchangeCancelled")
    assert event["data"]["foodRelisted"] is False and "cause" not in event["data"]
    [withdrawn] = _events("FoodWithdrawn")  # the chat announcement is edited from it, discovery drops it
    assert withdrawn["data"] == {"foodId": soup, "groupId": g, "sharerId": "cleo"} and withdrawn["actorId"] == "cleo"
    assert not _events("FoodExpired")
    assert not any("available again" in n.reply.text for n in notifications.notices(event))
    _no_violations()


def test_a_cancel_before_the_leave_is_applied_relists_a_post_nobody_can_claim_until_the_departure_takes_it_off(
        backbone):
    groups = _two_groups()
    g = groups["g"]
    soup = flows.share("cleo", g, title="Soup")
    exchange = flows.claim("sam", soup)
    backbone.deliver()
    _depart("leave", "cleo", g)
    assert call("POST", f"/exchanges/{exchange}/cancel", user="sam").status == 200
    assert _status(soup) == "available"  # the departure has not been applied: nothing says she left
    refused = call("POST", f"/food/{soup}/claims", user="ida")
    assert refused.status == 409 and refused.error_code == "not_available", refused
    backbone.deliver()
    assert _status(soup) == "withdrawn" and soup not in _listed("ida")
    _no_violations()


def test_a_cancel_racing_the_departure_reads_again_and_takes_the_post_off(backbone, monkeypatch):
    """Sam's cancel reads the exchange before the departure is applied and writes after it: its write is
    conditioned on what it read of the sharer's departure, so it reads again and withdraws the post rather than
    re-listing it behind the departure's back."""
    from foodshare.domain import exchanges

    groups = _two_groups()
    g = groups["g"]
    soup = flows.share("cleo", g, title="Soup")
    exchange = flows.claim("sam", soup)
    backbone.deliver()
    _depart("leave", "cleo", g)
    read, raced = exchanges.get_for_participant, []

    def read_then_apply_the_departure(exchange_id, user_id):
        found = read(exchange_id, user_id)
        if not raced:
            raced.append(backbone.deliver())
        return found

    monkeypatch.setattr(exchanges, "get_for_participant", read_then_apply_the_departure)
    cancelled = call("POST", f"/exchanges/{exchange}/cancel", user="sam")
    assert raced and raced[0] > 0 and cancelled.status == 200, cancelled  # the departure was applied in between
    backbone.deliver()
    assert _status(soup) == "withdrawn" and soup not in _listed("ida")
    assert _credits("sam")["held"] == 0
    _no_violations()


@pytest.mark.parametrize("departure", ["leave", "remove_member", "ban"])
@pytest.mark.parametrize("named", [True, False], ids=["id-names-its-group", "id-from-before"])
def test_a_departed_sharer_s_post_cannot_be_claimed_before_the_departure_is_applied(backbone, monkeypatch,
                                                                                   departure, named):
    """In the second or so before the departure's event is applied, the post still shows `available`; a claim of
    it gets the answer it gets once a leave is applied (409 `not_available`; a removal's or ban's `removed` post is
    then not found, as `GET /food/{foodId}` answers), and nothing is written: no
    claimer is shown the place of someone no longer in the group. Her posts in her other group stay claimable."""
    from foodshare import ids

    if not named:
        monkeypatch.setattr(ids, "food_id", lambda group_id: ids.new_id())
    groups = _two_groups()
    g, h = groups["g"], groups["h"]
    soup = flows.share("cleo", g, title="Soup")
    pears = flows.share("cleo", h, title="Pears")
    backbone.deliver()
    before = _credits("ida")

    _depart(departure, "cleo", g)
    refused = call("POST", f"/food/{soup}/claims", user="ida")
    assert refused.status == 409 and refused.error_code == "not_available", refused
    assert _status(soup) == "available" and _credits("ida") == before
    assert not _events("FoodClaimed")
    flows.claim("ida", pears)

    backbone.deliver()
    assert _status(soup) == ("withdrawn" if departure == "leave" else "removed")
    again = call("POST", f"/food/{soup}/claims", user="ida")  # as GET /food/{foodId} answers it (visibility.py):
    assert (again.status, again.error_code) == ((409, "not_available") if departure == "leave"  # withdrawn
                                                else (404, "not_found"))  # removed: its sharer's only
    assert not _exchanges_of(soup)
    _no_violations()


def test_a_member_back_in_the_group_is_claimed_from_again_at_once(backbone):
    """Her departure no longer holds once she rejoins: what she posts since is claimable before the departure's
    event is even applied."""
    groups = _two_groups()
    g = groups["g"]
    _depart("leave", "cleo", g)
    flows.join("cleo", g, "sam")
    clock.advance(2)
    after = flows.share("cleo", g, title="After")
    flows.claim("ida", after)
    backbone.deliver()
    assert _status(after) == "claimed"
    _no_violations()


def _exchanges_of(food_id: str) -> list[str]:
    return [e.exchange_id for e in ExchangeItem.scan(ExchangeItem.pk.startswith("EXCHANGE#") & (ExchangeItem.sk == "META")
                                                     & (ExchangeItem.food_id == food_id))]  # not its sharer entry
