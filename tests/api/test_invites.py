"""Invites a group's admins control (API 5.2.0): limited uses, an asked lifetime, the group's list of its live
invites, revocation, and invites that stop working when whoever made them is no longer an admin."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from foodshare import clock, cursors
from foodshare.data.models import EventItem, GroupItem, GroupPseudonymItem, InviteItem, MembershipItem

from tests.support import api, flows
from tests.support.api import call


def _invite(admin: str, group_id: str, **body) -> dict:
    reply = call("POST", f"/groups/{group_id}/invites", user=admin, json=body)
    assert reply.status == 201, reply
    return reply.body


def _join(user_id: str, code: str, **body):
    return call("POST", "/groups/join", user=user_id, json={"inviteCode": code, **body})


def _listed(admin: str, group_id: str) -> dict[str, dict]:
    reply = call("GET", f"/groups/{group_id}/invites", user=admin)
    assert reply.status == 200, reply
    assert reply.body["nextCursor"] is None
    return {i["inviteCode"]: i for i in reply.body["invites"]}


def _stored(group_id: str, code: str) -> InviteItem:
    return InviteItem.get(*InviteItem.in_group(group_id, code))


def _members(group_id: str) -> list[str]:
    return sorted(m.user_id for m in MembershipItem.query(f"GROUP#{group_id}", MembershipItem.sk.startswith("MEMBER#")))


def _make_admin(group_id: str, user_id: str) -> None:
    """No route makes a second admin today (the erasure's hand-over makes one when the last admin goes): written as
    tests/safety/test_moderation.py does."""
    MembershipItem.get(*MembershipItem.key(group_id, user_id)).update(actions=[MembershipItem.role.set("admin")])
    GroupItem.get(*GroupItem.key(group_id)).update(actions=[GroupItem.admin_count.add(1)])


def test_an_invite_allows_max_uses_joins_then_answers_used_up():
    c = flows.community()
    group = c["group"]
    invite = _invite("sam", group, maxUses=2)
    assert invite["maxUses"] == 2 and invite["uses"] == 0 and invite["groupId"] == group
    assert invite["createdBy"] == {"handle": flows.handle("sam", group), "mine": True,
                                   "pseudonym": MembershipItem.get(*MembershipItem.key(group, "sam")).pseudonym}
    assert invite["createdAt"] <= invite["expiresAt"]
    assert _join("tom", invite["inviteCode"]).status == 200
    assert _listed("sam", group)[invite["inviteCode"]]["uses"] == 1
    assert _join("ida", invite["inviteCode"].lower()).status == 200
    used_up = _join("eve", invite["inviteCode"])
    assert (used_up.status, used_up.error_code) == (409, "invite_used_up"), used_up
    assert "used as many times" in used_up.body["error"]["message"]
    assert int(_stored(group, invite["inviteCode"]).uses) == 2
    assert _members(group) == ["cleo", "ida", "sam", "tom"]
    assert invite["inviteCode"] not in _listed("sam", group)  # it lets nobody join any more
    unlimited = _invite("sam", group)
    assert unlimited["maxUses"] is None
    for user in ("eve", "max", "ola"):
        assert _join(user, unlimited["inviteCode"]).status == 200
    assert _listed("sam", group)[unlimited["inviteCode"]]["uses"] == 3


def test_a_join_that_fails_uses_nothing():
    """Already a member, a disclaimer not accepted, banned, an account being erased: the invite's use is counted in
    the join's transaction, so none of them takes one, and the last use is still there for someone else."""
    flows.user("sam")
    group = call("POST", "/groups", user="sam", json={"name": "Kiez", "disclaimer": "Food at your own risk"}).body[
        "groupId"]
    flows.user("ida")
    assert _join("ida", flows.invite("sam", group), acceptedDisclaimerVersion=1).status == 200
    banned = call("POST", f"/groups/{group}/moderation/actions", user="sam",
                  json={"action": "ban", "memberHandle": flows.handle("ida", group), "reason": "Selling food"})
    assert banned.status == 201, banned
    flows.user("erin")
    confirmation = call("POST", "/me/erasure", user="erin").body["confirmationCode"]
    assert call("DELETE", "/me", user="erin", json={"confirmationCode": confirmation}).status == 202
    code = _invite("sam", group, maxUses=1)["inviteCode"]
    failed = {
        "already_member": _join("sam", code, acceptedDisclaimerVersion=1),
        "disclaimer_not_accepted": _join("cleo", code),
        "banned": _join("ida", code, acceptedDisclaimerVersion=1),
        "account_erased": _join("erin", code, acceptedDisclaimerVersion=1),
    }
    assert {expected: reply.error_code for expected, reply in failed.items()} == {e: e for e in failed}
    assert int(_stored(group, code).uses) == 0
    assert _join("cleo", code, acceptedDisclaimerVersion=1).status == 200
    assert int(_stored(group, code).uses) == 1


@pytest.mark.parametrize("body,field", [
    ({"maxUses": 0}, "maxUses"), ({"maxUses": 1001}, "maxUses"), ({"maxUses": "ten"}, "maxUses"),
    ({"maxUses": 2.5}, "maxUses"), ({"expiresInHours": 0}, "expiresInHours"),
    ({"expiresInHours": 169}, "expiresInHours"), ({"expiresInHours": -3}, "expiresInHours"),
    ({"uses": 3}, "uses"),
])
def test_bad_limits_are_400s_naming_the_field_and_nothing_is_written(body, field):
    group = flows.group("sam")
    reply = call("POST", f"/groups/{group}/invites", user="sam", json=body)
    assert reply.status == 400 and set(reply.body["error"]["fields"]) == {field}, reply
    assert list(InviteItem.query(f"GROUP#{group}", InviteItem.sk.startswith("INVITE#"))) == []


def test_an_invite_lives_as_long_as_asked_at_most_the_setting():
    group = flows.group("sam")
    short = _invite("sam", group, expiresInHours=2, maxUses=1000)
    longest = call("POST", f"/groups/{group}/invites", user="sam")  # no body at all: as before 5.2.0
    assert longest.status == 201 and longest.body["maxUses"] is None
    assert short["expiresAt"] == clock.iso(clock.parse_iso(short["createdAt"]) + timedelta(hours=2))
    assert longest.body["expiresAt"] == clock.iso(clock.parse_iso(longest.body["createdAt"]) + timedelta(hours=168))
    clock.advance(3 * 3600)
    expired = _join("cleo", short["inviteCode"])
    assert (expired.status, expired.error_code) == (409, "invite_expired")
    assert set(_listed("sam", group)) == {longest.body["inviteCode"]}
    assert _join("cleo", longest.body["inviteCode"]).status == 200


def test_only_the_groups_admins_list_and_revoke_its_invites():
    c = flows.community()
    group = c["group"]
    code = _invite("sam", group)["inviteCode"]
    for method, path in (("GET", f"/groups/{group}/invites"), ("DELETE", f"/groups/{group}/invites/{code}")):
        member, stranger = call(method, path, user="cleo"), call(method, path, user="eve")
        assert (member.status, member.error_code) == (403, "forbidden"), (method, member)
        assert (stranger.status, stranger.error_code) == (404, "not_found"), (method, stranger)
    other = flows.group("bea", "Elsewhere")
    assert call("GET", f"/groups/{other}/invites", user="sam").status == 404
    assert _join("eve", code).status == 200  # nothing was revoked


def test_the_list_shows_each_live_invite_with_its_creator_as_the_group_knows_them():
    c = flows.community()
    group = c["group"]
    _make_admin(group, "cleo")
    cleos = set(_listed("sam", group))  # the one cleo joined by
    by_sam = _invite("sam", group, maxUses=5)
    by_cleo = _invite("cleo", group, expiresInHours=24)
    seen_by_cleo = _listed("cleo", group)
    assert len(cleos) == 1 and set(seen_by_cleo) == cleos | {by_sam["inviteCode"], by_cleo["inviteCode"]}
    assert seen_by_cleo[by_sam["inviteCode"]] == {**by_sam, "createdBy": {**by_sam["createdBy"], "mine": False}}
    assert seen_by_cleo[by_cleo["inviteCode"]] == by_cleo
    sam_shown = seen_by_cleo[by_sam["inviteCode"]]["createdBy"]
    assert "sam" not in sam_shown.values() and sam_shown["handle"] == flows.handle("sam", group)
    assert _listed("sam", group)[by_sam["inviteCode"]]["createdBy"]["mine"] is True


def test_the_list_comes_in_pages_with_strict_cursors():
    group = flows.group("sam")
    codes = {_invite("sam", group)["inviteCode"] for _ in range(5)}
    pages = api.pages(f"/groups/{group}/invites", user="sam", limit=2)
    assert [len(p["invites"]) for p in pages] == [2, 2, 1]
    listed = [i["inviteCode"] for p in pages for i in p["invites"]]
    assert listed == sorted(codes)  # in code order, each once
    other = flows.group("bea", "Elsewhere")
    another_groups = cursors.encode(f"{other}-K7Q2XR9M4A")
    for query, field in (({"limit": "0"}, "limit"), ({"limit": "51"}, "limit"), ({"cursor": "%%%"}, "cursor"),
                         ({"cursor": cursors.encode(42)}, "cursor"), ({"cursor": another_groups}, "cursor"),
                         ({"cursor": cursors.encode(f"{group}-K7Q2XR9M4A#")}, "cursor")):
        reply = call("GET", f"/groups/{group}/invites", user="sam", query=query)
        assert reply.status == 400 and set(reply.body["error"]["fields"]) == {field}, (query, reply)


def test_a_revoked_invite_stops_at_once_and_revoking_again_answers_the_same():
    c = flows.community()
    group = c["group"]
    before = set(_listed("sam", group))  # the one cleo joined by
    kept, revoked = _invite("sam", group)["inviteCode"], _invite("sam", group, maxUses=3)["inviteCode"]
    assert _join("tom", revoked).status == 200
    first = call("DELETE", f"/groups/{group}/invites/{revoked.lower()}", user="sam")
    assert first.status == 200, first
    assert first.body["inviteCode"] == revoked and first.body["groupId"] == group and first.body["revokedAt"]
    refused = _join("ida", revoked)
    assert (refused.status, refused.error_code) == (409, "invite_revoked"), refused
    assert "revoked" in refused.body["error"]["message"]
    again = call("DELETE", f"/groups/{group}/invites/{revoked}", user="sam")
    assert (again.status, again.body) == (200, first.body)
    assert set(_listed("sam", group)) == before | {kept}
    assert _join("ida", kept).status == 200
    assert [e.event_type for e in EventItem.scan() if e.event_type == "InviteRevoked"] == ["InviteRevoked"]
    other = flows.group("bea", "Elsewhere")
    elsewhere = _invite("bea", other)["inviteCode"]
    for code in (elsewhere, f"{group}-ZZZZZZZZZZ", "nonsense"):  # another group's, unknown
        unknown = call("DELETE", f"/groups/{group}/invites/{code}", user="sam")
        assert (unknown.status, unknown.error_code) == (404, "invite_not_found"), unknown
    assert _join("max", elsewhere).status == 200


def test_an_invite_from_before_5_2_is_unlisted_but_joins_counts_its_uses_and_can_be_revoked():
    """Invites written before API 5.2.0 are at INVITE#<code> (codes with or without the group in them)."""
    c = flows.community()
    group = c["group"]
    expires = clock.now() + timedelta(days=1)
    codes = [f"{group}-K7Q2XR9M4A", "K7Q2XR9M4B"]
    for code in codes:
        InviteItem(*InviteItem.key(code), code=code, group_id=group, created_by="sam",
                   expires_at=clock.iso(expires), expires_at_epoch=expires).save()
    assert all(code not in _listed("sam", group) for code in codes)
    assert _join("tom", codes[0]).status == 200 and _join("ida", codes[1]).status == 200
    assert [int(InviteItem.get(*InviteItem.key(code)).uses) for code in codes] == [1, 1]
    for code in codes:
        assert call("DELETE", f"/groups/{group}/invites/{code}", user="sam").status == 200
        assert _join("eve", code).error_code == "invite_revoked"


def _leave_alone(group: str, admin: str) -> None:
    assert call("DELETE", f"/groups/{group}/members/me", user=admin).status == 200


def _demote(group: str, admin: str) -> None:
    """No route demotes an admin today: the rule holds for any role but admin."""
    MembershipItem.get(*MembershipItem.key(group, admin)).update(actions=[MembershipItem.role.set("member")])


@pytest.mark.parametrize("gone", ["left", "demoted"])
def test_an_invite_stops_working_when_its_creator_is_no_longer_an_admin(gone):
    flows.user("sam")
    group = flows.group("sam")
    code = _invite("sam", group)["inviteCode"]
    if gone == "left":
        _leave_alone(group, "sam")  # the last member: may leave
    else:
        _demote(group, "sam")
    refused = _join("cleo", code)
    assert (refused.status, refused.error_code) == (409, "invite_revoked"), refused
    assert "no longer an admin" in refused.body["error"]["message"]
    assert "cleo" not in _members(group) and int(_stored(group, code).uses) == 0
    if gone == "left":  # its creator, back by their own code: not an admin either
        assert _join("sam", code).error_code == "invite_revoked"
    else:
        assert _join("sam", code).error_code == "already_member"


def test_an_admins_invite_stays_in_the_list_only_while_they_are_an_admin():
    c = flows.community()
    group = c["group"]
    _make_admin(group, "cleo")
    by_cleo = _invite("cleo", group)["inviteCode"]
    assert by_cleo in _listed("sam", group)
    assert call("DELETE", f"/groups/{group}/members/me", user="cleo").status == 200
    assert by_cleo not in _listed("sam", group)
    assert _join("tom", by_cleo).error_code == "invite_revoked"


def _racing_join(monkeypatch, first: str, meanwhile) -> list:
    """`first`'s join reads the invite, then `meanwhile` runs before its transaction is sent."""
    from foodshare.domain import groups

    admit, raced = groups._admit, []

    def admit_after_the_race(group, user_id, *args):
        if user_id == first and not raced:
            raced.append(meanwhile())
        return admit(group, user_id, *args)

    monkeypatch.setattr(groups, "_admit", admit_after_the_race)
    return raced


@pytest.mark.parametrize("meanwhile,answer", [
    ("another_join_takes_the_last_use", "invite_used_up"),
    ("an_admin_revokes_it", "invite_revoked"),
    ("its_creator_stops_being_an_admin", "invite_revoked"),
])
def test_a_join_in_flight_is_answered_as_what_happened_meanwhile_and_writes_nothing(monkeypatch, meanwhile, answer):
    """Tom's join has read the invite (one use left, its creator an admin) when someone else's join takes the last
    use, an admin revokes it, or its creator stops being an admin. The join's transaction holds only while the invite
    still has a use and its creator is an admin: Tom's is refused and writes nothing (no membership, no pseudonym,
    no count, no use)."""
    c = flows.community()
    group = c["group"]
    _make_admin(group, "cleo")
    code = _invite("cleo", group, maxUses=2)["inviteCode"]
    assert _join("ida", code).status == 200
    actions = {
        "another_join_takes_the_last_use": lambda: _join("eve", code),
        "an_admin_revokes_it": lambda: call("DELETE", f"/groups/{group}/invites/{code}", user="sam"),
        "its_creator_stops_being_an_admin": lambda: call("DELETE", f"/groups/{group}/members/me", user="cleo"),
    }
    raced = _racing_join(monkeypatch, "tom", actions[meanwhile])
    before = GroupItem.get(*GroupItem.key(group)).member_count
    lost = _join("tom", code)
    assert raced and raced[0].status == 200, raced
    assert (lost.status, lost.error_code) == (409, answer), lost
    assert "tom" not in _members(group)
    assert [p for p in GroupPseudonymItem.query(f"GROUP#{group}", GroupPseudonymItem.sk.startswith("PSEUDONYM#"))
            if p.user_id == "tom"] == []
    joined_meanwhile = 1 if meanwhile == "another_join_takes_the_last_use" else 0
    left_meanwhile = 1 if meanwhile == "its_creator_stops_being_an_admin" else 0
    assert GroupItem.get(*GroupItem.key(group)).member_count == before + joined_meanwhile - left_meanwhile
    assert int(_stored(group, code).uses) == 1 + joined_meanwhile


def test_joins_racing_for_the_last_uses_never_take_more():
    """Six people join at the same instant by an invite with two uses left, below the API (which resolves one
    request at a time per process), so the conditional writes themselves race."""
    from foodshare.domain import groups
    from foodshare.errors import DomainError

    group = flows.group("sam")
    code = _invite("sam", group, maxUses=2)["inviteCode"]
    joiners = [f"racer{n}" for n in range(6)]
    for joiner in joiners:
        flows.user(joiner)
    barrier, outcomes = threading.Barrier(len(joiners)), []

    def join(user_id: str) -> None:
        barrier.wait()
        try:
            groups.join(user_id, code)
            outcomes.append("joined")
        except DomainError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=join, args=(j,)) for j in joiners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("joined") == 2, outcomes
    assert set(outcomes) <= {"joined", "invite_used_up", "concurrent_update"}, outcomes
    assert int(_stored(group, code).uses) == 2
    assert len(_members(group)) == 3 and GroupItem.get(*GroupItem.key(group)).member_count == 3


def test_a_cursor_carries_no_invite_code():
    """Found by an audit: a page's `nextCursor` was the code of the last invite the page read, in the clear: a join
    credential put into the next request's URL (where proxies, clients' logs and browser history keep it), and, when
    that invite was one the list leaves out (revoked, expired, used up, made by someone no longer an admin: one that
    would work again were they an admin again), a code the list hides. A cursor is now sealed (`cursors.Seal`): it
    names no code, and opens only for its caller and this group's list."""
    group = flows.group("sam")
    codes = [_invite("sam", group)["inviteCode"] for _ in range(5)]
    for code in codes[1:]:
        assert call("DELETE", f"/groups/{group}/invites/{code}", user="sam").status == 200
    pages = api.pages(f"/groups/{group}/invites", user="sam", limit=1)
    assert [i["inviteCode"] for p in pages for i in p["invites"]] == [codes[0]]
    given = [p["nextCursor"] for p in pages if p["nextCursor"]]
    assert len(given) >= 3

    def readable(cursor: str) -> str:
        import base64

        return cursor + base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("latin-1")

    assert not [code for code in codes if any(code.split("-")[1] in readable(c) for c in given)]
    flows.user("bea")
    flows.join("bea", group, "sam")
    MembershipItem.get(*MembershipItem.key(group, "bea")).update(actions=[MembershipItem.role.set("admin")])
    refused = call("GET", f"/groups/{group}/invites", user="bea", query={"cursor": given[0]})  # sam's
    assert refused.status == 400 and refused.body["error"]["fields"] == {"cursor": "not a cursor from a previous page"}
    old = call("GET", f"/groups/{group}/invites", user="sam", query={"cursor": cursors.encode(codes[0])})
    assert old.status == 400 and "cursor" in old.body["error"]["fields"]  # a cursor of before: the first page again
