"""GET /groups/{groupId}/partnerships (API 5.3.0): a group's partnerships as its admins and members see them, so an
invited group's admins learn a proposal's id in the app, and members see whom they share with. Never a person."""

from __future__ import annotations

import json

from foodshare import clock, cursors
from foodshare.data.models import MembershipItem

from tests.support import api, flows
from tests.support.api import call

TERMS = {"maxDistanceKm": 5.0, "minReputation": 60.0, "maxClaimsPerMemberPerWeek": 2}


def _listed(user: str, group_id: str) -> list[dict]:
    reply = call("GET", f"/groups/{group_id}/partnerships", user=user)
    assert reply.status == 200, reply
    assert reply.body["nextCursor"] is None
    return reply.body["partnerships"]


def _propose(admin: str, group_id: str, target: str, **terms) -> dict:
    body: dict = {"targetGroupId": target, **({"terms": terms} if terms else {})}
    reply = call("POST", f"/groups/{group_id}/partnerships", user=admin, json=body)
    assert reply.status == 201, reply
    return reply.body


def _two_groups() -> tuple[str, str]:
    """"Kiez Kitchen" (sam admin, cleo member) and "Hof Garden" (bea admin, dan member)."""
    for who in ("sam", "cleo", "bea", "dan"):
        flows.user(who)
    kiez, hof = flows.group("sam"), flows.group("bea", "Hof Garden")
    flows.join("cleo", kiez, "sam")
    flows.join("dan", hof, "bea")
    return kiez, hof


def _people(*groups_: str) -> set[str]:
    """Every user id and per-group pseudonym in `groups_`: none of them may appear in a list."""
    found = set()
    for group_id in groups_:
        for m in MembershipItem.query(f"GROUP#{group_id}", MembershipItem.sk.startswith("MEMBER#")):
            found |= {m.user_id, m.pseudonym}
    return found


def test_the_invited_groups_admin_sees_the_proposal_and_accepts_it_by_the_listed_id():
    kiez, hof = _two_groups()
    proposal = _propose("sam", kiez, hof, **TERMS)
    [received] = _listed("bea", hof)
    assert received == {
        "partnershipId": proposal["partnershipId"], "partnerGroupId": kiez, "partnerGroupName": "Kiez Kitchen",
        "direction": "received", "status": "pending", "terms": TERMS,
        "createdAt": proposal["createdAt"], "updatedAt": proposal["updatedAt"]}
    [sent] = _listed("sam", kiez)
    assert sent == {**received, "partnerGroupId": hof, "partnerGroupName": "Hof Garden", "direction": "sent"}
    clock.advance(60)
    before = clock.now_iso()
    accepted = call("POST", f"/partnerships/{received['partnershipId']}/accept", user="bea")
    assert accepted.status == 200, accepted
    [now] = _listed("bea", hof)
    assert now == {**received, "status": "active", "updatedAt": now["updatedAt"]}
    assert received["updatedAt"] < before <= now["updatedAt"] <= clock.now_iso()  # the accept's time
    assert _listed("sam", kiez)[0]["status"] == "active"
    shown = json.dumps(call("GET", f"/groups/{hof}/partnerships", user="bea").body)
    assert not {p for p in _people(kiez, hof) if p in shown}  # no user id, no pseudonym of anyone in either group


def test_members_see_only_active_partnerships_and_others_are_not_found():
    kiez, hof = _two_groups()
    flows.user("eve")
    third = flows.group("eve", "Third Place")
    active = flows.partnership("sam", kiez, "bea", hof, **TERMS)
    _propose("eve", third, kiez)  # pending, received by kiez
    assert [(p["partnerGroupId"], p["status"]) for p in _listed("sam", kiez)] == sorted(
        [(hof, "active"), (third, "pending")])
    assert [(p["partnershipId"], p["partnerGroupName"], p["terms"]) for p in _listed("cleo", kiez)] == [
        (active, "Hof Garden", TERMS)]
    assert [p["partnerGroupName"] for p in _listed("dan", hof)] == ["Kiez Kitchen"]
    for user, group_id in (("eve", kiez), ("dan", kiez), ("sam", "01JDW8R3K2M4N6P8Q0S2T4V6X8")):
        reply = call("GET", f"/groups/{group_id}/partnerships", user=user)
        assert (reply.status, reply.error_code) == (404, "not_found"), reply


def test_a_declined_or_ended_partnership_leaves_the_list_and_a_new_proposal_comes_back():
    kiez, hof = _two_groups()
    flows.user("eve")
    third = flows.group("eve", "Third Place")
    declined = _propose("sam", kiez, hof)["partnershipId"]
    assert call("POST", f"/partnerships/{declined}/decline", user="bea").status == 200
    assert _listed("bea", hof) == [] and _listed("sam", kiez) == []
    ended = flows.partnership("sam", kiez, "eve", third)
    assert [p["partnershipId"] for p in _listed("cleo", kiez)] == [ended]
    assert call("DELETE", f"/partnerships/{ended}", user="eve").status == 200
    assert _listed("cleo", kiez) == [] and _listed("sam", kiez) == [] and _listed("eve", third) == []
    again = _propose("bea", hof, kiez)["partnershipId"]
    assert [(p["partnershipId"], p["direction"]) for p in _listed("sam", kiez)] == [(again, "received")]


def test_the_list_comes_in_pages_with_strict_cursors():
    flows.user("sam")
    kiez = flows.group("sam")
    partners = []
    for n in range(5):
        admin = f"admin{n}"
        flows.user(admin)
        partners.append(flows.group(admin, f"Group {n}"))
        _propose(admin, partners[-1], kiez)
    pages = api.pages(f"/groups/{kiez}/partnerships", user="sam", limit=2)
    assert [len(p["partnerships"]) for p in pages] == [2, 2, 1]
    assert [p["partnerGroupId"] for page in pages for p in page["partnerships"]] == sorted(partners)  # each once
    for query, field in (({"limit": "0"}, "limit"), ({"limit": "50"}, "limit"), ({"cursor": "%%%"}, "cursor"),
                         ({"cursor": cursors.encode(42)}, "cursor"), ({"cursor": cursors.encode("PARTNERS")}, "cursor"),
                         ({"cursor": cursors.encode(f"{partners[0]}#")}, "cursor")):
        reply = call("GET", f"/groups/{kiez}/partnerships", user="sam", query=query)
        assert reply.status == 400 and set(reply.body["error"]["fields"]) == {field}, (query, reply)


def test_accept_decline_and_end_answer_the_time_of_their_change_as_the_list_then_shows():
    kiez, hof = _two_groups()
    for action, path, method in (("decline", "/decline", "POST"), ("accept", "/accept", "POST"), ("end", "", "DELETE")):
        proposal = _propose("sam", kiez, hof) if action != "end" else proposal
        clock.advance(60)
        before = clock.now_iso()
        answer = call(method, f"/partnerships/{proposal['partnershipId']}{path}", user="bea")
        assert answer.status == 200, (action, answer)
        assert answer.body["createdAt"] < before <= answer.body["updatedAt"] <= clock.now_iso(), (action, answer.body)
        if action == "accept":
            assert _listed("bea", hof)[0]["updatedAt"] == answer.body["updatedAt"]


def _readable(cursor: str) -> str:
    """Everything a client can read out of a cursor: its text and what its base64 decodes to."""
    import base64

    return cursor + base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("latin-1")


def test_a_cursor_names_no_partnership_the_list_hides_from_its_caller():
    """Found by an audit: a page's `nextCursor` was the partner group id of the last link the page read, shown or
    not. A member paging with `limit=1` read, page after empty page, the ids of the groups their admins had proposals
    pending with (shown to admins only); admins likewise those of declined and ended partnerships (shown to nobody).
    A cursor is now sealed (`cursors.Seal`): it names nothing, and opens only for its caller and this group's list."""
    kiez, hof = _two_groups()
    pending = []
    for n in range(3):
        flows.user(f"admin{n}")
        pending.append(flows.group(f"admin{n}", f"Group {n}"))
        _propose("sam", kiez, pending[-1])
    pages = api.pages(f"/groups/{kiez}/partnerships", user="cleo", limit=1)
    assert [p["partnerships"] for p in pages] == [[]] * len(pages) and len(pages) >= 3  # nothing shown to a member
    given = [p["nextCursor"] for p in pages if p["nextCursor"]]
    assert given and not [g for g in pending if any(g in _readable(c) for c in given)]
    # A cursor pages this caller's view of this group's list only: an admin's is not a member's, nor another group's.
    sams = call("GET", f"/groups/{kiez}/partnerships", user="sam", query={"limit": "1"}).body["nextCursor"]
    assert sams and call("GET", f"/groups/{kiez}/partnerships", user="sam", query={"cursor": sams}).status == 200
    flows.join("sam", hof, "bea")
    for user, group_id in (("cleo", kiez), ("sam", hof)):
        refused = call("GET", f"/groups/{group_id}/partnerships", user=user, query={"cursor": sams})
        assert refused.status == 400 and refused.body["error"]["fields"] == {
            "cursor": "not a cursor from a previous page"}, (user, refused)
    # A cursor of before this rule (the partner's id as it was) is refused likewise: ask for the first page again.
    old = call("GET", f"/groups/{kiez}/partnerships", user="sam", query={"cursor": cursors.encode(pending[0])})
    assert old.status == 400 and "cursor" in old.body["error"]["fields"]
