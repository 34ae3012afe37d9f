"""A post someone may not see (`domain/visibility.py`: removed by a moderator, its sharer's processing restricted,
a partner group's whose terms do not hold for them) is, to them, a post that does not exist on every route that
takes its id: claiming it, reporting it and withdrawing it are answered exactly as for an id nothing has (API 5.2.4;
`GET /food/{foodId}` since 5.2.1). Who sees it keeps the answers they had."""

from __future__ import annotations

import json

from tests.support import flows
from tests.support.api import call

UNKNOWN = "01J0000000000000000000000X"


def _report(food_id: str) -> dict:
    return {"subjectType": "food", "subjectId": food_id, "reason": "spam"}


def _as_missing(method: str, path: str, user: str, body=None, food_id: str = "") -> bool:
    """Whether `user`'s request naming `food_id` (in `path` or `body` as `{id}`) is answered exactly as the same
    request naming an id nothing has."""
    def send(some_id: str):
        return call(method, path.format(id=some_id), user=user,
                    json=body(some_id) if body is not None else None)

    reply, missing = send(food_id), send(UNKNOWN)
    assert missing.status == 404, missing
    return reply.status == 404 and json.dumps(reply.body) == json.dumps(missing.body).replace(UNKNOWN, food_id)


def _claim_as_missing(food_id: str, user: str) -> bool:
    return _as_missing("POST", "/food/{id}/claims", user, food_id=food_id)


def _report_as_missing(food_id: str, user: str) -> bool:
    return _as_missing("POST", "/reports", user, _report, food_id=food_id)


def _withdrawal_as_missing(food_id: str, user: str) -> bool:
    return _as_missing("DELETE", "/food/{id}", user, food_id=food_id)


def _each_route_as_missing(food_id: str, user: str) -> dict[str, bool]:
    return {"claim": _claim_as_missing(food_id, user), "report": _report_as_missing(food_id, user),
            "withdraw": _withdrawal_as_missing(food_id, user)}


ALL_MISSING = {"claim": True, "report": True, "withdraw": True}


def test_a_removed_post_is_claimed_reported_and_withdrawn_by_others_as_a_missing_one():
    """Was: a member's claim was refused 409 `not_available` "(removed)", their report filed (201) and their
    withdrawal refused 403: each said the post exists and what became of it."""
    c = flows.community()  # sam (admin), cleo
    group = c["group"]
    flows.user("ida")
    flows.join("ida", group, "sam")
    food = flows.share("cleo", group, title="Counterfeit watches")
    removed = call("POST", f"/groups/{group}/moderation/actions", user="sam",
                   json={"action": "remove_post", "foodId": food, "reason": "Selling, not sharing"})
    assert removed.status == 201, removed

    for who in ("ida", "sam"):  # a member; the moderator who removed it (the queue keeps their record)
        assert _each_route_as_missing(food, who) == ALL_MISSING, who
    # its sharer still sees it, with the answers they had
    assert call("POST", f"/food/{food}/claims", user="cleo").error_code == "own_post"
    assert call("DELETE", f"/food/{food}", user="cleo").error_code == "invalid_state"
    assert call("POST", "/reports", user="cleo", json=_report(food)).status == 400  # their own post
    assert call("POST", f"/groups/{group}/moderation/actions", user="sam",  # moderators act by their role
                json={"action": "remove_post", "foodId": food, "reason": "again"}).error_code == "invalid_state"


def test_a_restricted_sharers_posts_are_claimed_reported_and_withdrawn_as_missing_but_by_an_active_claimer():
    """Was: a claim was refused 409 (`not_available` by the claim's transaction, `already_claimed`), a report filed
    and a withdrawal refused 403, while the list and the read hid the posts."""
    c = flows.community()  # sam (sharer), cleo
    group = c["group"]
    flows.user("ida")
    flows.join("ida", group, "sam")
    soup = flows.share("sam", group, title="Soup")  # ida's claim is open
    bread = flows.share("sam", group, title="Bread")  # nobody's
    flows.claim("ida", soup)
    assert call("PUT", "/me/privacy", user="sam", json={"restricted": True}).status == 200

    for food in (soup, bread):
        assert _each_route_as_missing(food, "cleo") == ALL_MISSING, food
    assert _each_route_as_missing(bread, "ida") == ALL_MISSING
    # ida sees the post she claimed: the answers of a post that exists
    assert call("POST", f"/food/{soup}/claims", user="ida").error_code == "already_claimed"
    assert call("DELETE", f"/food/{soup}", user="ida").error_code == "forbidden"
    assert call("POST", "/reports", user="ida", json=_report(soup)).status == 201

    assert call("PUT", "/me/privacy", user="sam", json={"restricted": False}).status == 200
    assert call("POST", f"/food/{soup}/claims", user="cleo").error_code == "already_claimed"
    assert call("POST", f"/food/{bread}/claims", user="cleo").status == 201


def test_a_partner_post_the_terms_hide_is_claimed_reported_and_withdrawn_as_missing():
    """Was: a claim refused 403 `terms_not_met` (naming the terms: a reputation, a home, the distance), a report
    filed and a withdrawal refused 403, to a partner group's member the list and the read did not show it to."""
    c = flows.community()  # sam, cleo in Kiez Kitchen (cleo's home: Berlin, a score of 60)
    south = flows.group("bea", "South")
    flows.partnership("sam", c["group"], "bea", south, maxDistanceKm=10, minReputation=70)
    near = flows.share("bea", south, title="Near", pickupLocation={**flows.BERLIN, "label": "x"})
    far = flows.share("bea", south, title="Far", pickupLocation={**flows.POTSDAM, "label": "y"})  # ~27 km
    for food in (near, far):  # a score under the terms' 70
        assert _each_route_as_missing(food, "cleo") == ALL_MISSING, food

    flows.set_score("cleo", 75)
    assert _each_route_as_missing(far, "cleo") == ALL_MISSING  # farther than 10 km from her home
    flows.user("cleo", location=None)  # no home: the distance term cannot hold
    assert _claim_as_missing(near, "cleo")
    flows.user("cleo")
    assert call("DELETE", f"/food/{near}", user="cleo").error_code == "forbidden"  # she sees it
    assert call("POST", f"/food/{near}/claims", user="cleo").status == 201
