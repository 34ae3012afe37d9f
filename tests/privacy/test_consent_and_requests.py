"""Consent to a group's disclaimer at join, and the record of data-subject requests."""

from __future__ import annotations

from foodshare.data.models import ConsentItem
from tests.support import api, flows
from tests.support.api import call


def test_joining_a_group_with_a_disclaimer_needs_its_version_accepted_and_records_consent():
    flows.user("sam")
    flows.user("cleo")
    created = call("POST", "/groups", user="sam", json={"name": "Kiez", "disclaimer": "Food is shared as is."})
    assert created.status == 201 and created.body["disclaimerVersion"] == 1
    group_id = created.body["groupId"]
    code = flows.invite("sam", group_id)
    for body in ({"inviteCode": code}, {"inviteCode": code, "acceptedDisclaimerVersion": 2}):
        refused = call("POST", "/groups/join", user="cleo", json=body)
        assert refused.status == 400 and refused.error_code == "disclaimer_not_accepted"
        assert "acceptedDisclaimerVersion" in refused.body["error"]["fields"]
        assert "Food is shared as is." in refused.body["error"]["message"]
    assert call("GET", f"/groups/{group_id}", user="cleo").status == 404  # nothing half-written
    assert call("POST", "/groups/join", user="cleo", json={"inviteCode": code, "acceptedDisclaimerVersion": 0}).status == 400
    joined = call("POST", "/groups/join", user="cleo", json={"inviteCode": code, "acceptedDisclaimerVersion": 1})
    assert joined.status == 200
    consent = ConsentItem.get(*ConsentItem.key("cleo", group_id, 1))
    assert consent.version == 1 and consent.accepted_at
    assert ConsentItem.get(*ConsentItem.key("sam", group_id, 1))  # the author accepted it by writing it


def test_groups_without_a_disclaimer_join_as_before():
    c = flows.community()
    assert call("GET", f"/groups/{c['group']}", user="cleo").body["disclaimer"] is None


def test_every_data_subject_request_is_recorded_with_type_time_and_outcome():
    flows.user("sam")  # PUT /me: rectification
    call("PUT", "/me/privacy", user="sam", json={"restricted": True})
    call("PUT", "/me/privacy", user="sam", json={"restricted": False, "leaderboard": False})
    call("PUT", "/me/privacy", user="sam", json={"leaderboard": False})  # no change: no request
    reply = call("GET", "/me/requests", user="sam")
    assert reply.status == 200
    kinds = [(r["type"], r["outcome"], r["detail"]) for r in reply.body["requests"]]
    assert sorted(kinds) == sorted([
        ("rectification", "completed", "profile: display name and location"),
        ("restriction", "completed", "restricted"),
        ("restriction", "completed", "lifted"),
        ("objection", "completed", "leaderboard=False, locationPrecision=area"),
    ])  # the last two come from one request: same moment, either order
    assert kinds[0][0] == "rectification" and kinds[1][2] == "restricted"
    assert all(r["requestedAt"] and r["completedAt"] for r in reply.body["requests"])
    assert call("GET", "/me/requests", user="cleo").body == {"requests": [], "nextCursor": None}


def test_the_record_of_requests_comes_in_pages_oldest_first():
    """Every profile change adds a request, so the record grows with use: it is read a page at a time."""
    from benchmarks.world import Request, to_event
    from tests.support import round_trips

    flows.user("sam")
    for i in range(6):
        call("PUT", "/me", user="sam", json={"displayName": f"Sam {i}"})
    whole = call("GET", "/me/requests", user="sam", query={"limit": "100"}).body
    assert len(whole["requests"]) == 7 and whole["nextCursor"] is None
    pages = [body["requests"] for body in api.pages("/me/requests", user="sam", limit=3)]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [r for p in pages for r in p] == whole["requests"]  # the same order, each once
    exact = call("GET", "/me/requests", user="sam", query={"limit": "7"}).body
    assert len(exact["requests"]) == 7 and exact["nextCursor"] is None  # a full last page names no empty one after it
    trips = round_trips.measure(*to_event(Request("GET", "/me/requests", "sam", query={"limit": "3"})))
    assert trips.aws == {"dynamodb:Query": 1} and trips.items_read <= 5, trips  # a page reads a page, not the record
    for query, field in (({"limit": "0"}, "limit"), ({"limit": "101"}, "limit"), ({"cursor": "bm9wZQ"}, "cursor"),
                         ({"cursor": "WzEsMl0"}, "cursor")):
        refused = call("GET", "/me/requests", user="sam", query=query)
        assert refused.status == 400 and field in str(refused.body["error"]), (query, refused)


def test_a_cursor_past_the_record_is_a_400_naming_cursor_not_a_500():
    """Found by an audit: a requests cursor was any text without `#`, taken as the request id the page starts after,
    so the key condition was `BETWEEN "DSR#<it>" AND "DSR#~"`; text sorting after "~" ("~~", "é", "\\u007f") made the
    lower bound the higher, which DynamoDB refuses (a ValidationException: 500). A cursor is now a request id (a
    ULID), as the page gave it."""
    import base64
    import json

    flows.user("sam")
    for text in ("~~", "é", "\u007f", "zz", "01J0000000000000000000000~"):
        cursor = base64.urlsafe_b64encode(json.dumps(text).encode()).decode().rstrip("=")
        reply = call("GET", "/me/requests", user="sam", query={"cursor": cursor})
        assert reply.status == 400, (text, reply)
        assert reply.body["error"]["fields"] == {"cursor": "not a cursor from a previous page"}, (text, reply)
