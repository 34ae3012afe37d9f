"""The last admin of a group with other members may leave: the admin role goes, in the leave's own transaction, to
the member the erasure would choose (the longest-standing one, `membership_rules.heir_of`), with `AdminHandedOver`.
A group that has members always has an admin, and its counts say how many of each it has."""

from __future__ import annotations

import json

from foodshare import clock
from foodshare.data import reads
from foodshare.data.models import EventItem, GroupItem, MembershipItem
from foodshare.domain import groups

from tests.support import flows
from tests.support.api import call


def _roles(group_id: str) -> dict[str, str]:
    return {m.user_id: m.role for m in MembershipItem.query(f"GROUP#{group_id}", MembershipItem.sk.startswith("MEMBER#"))}


def _handed_over() -> list[dict]:
    return [json.loads(e.detail) for e in EventItem.scan(EventItem.pk.startswith("EVENTLOG#"))
            if e.event_type == "AdminHandedOver"]


def _consistent(group_id: str) -> dict[str, str]:
    """The group's roles, after checking what every test here must leave true: an admin while it has members, and
    counts that say how many members and admins it has."""
    roles = _roles(group_id)
    meta = GroupItem.get(*GroupItem.key(group_id))
    assert int(meta.member_count) == len(roles), (roles, meta.member_count)
    assert int(meta.admin_count) == sum(1 for r in roles.values() if r == "admin"), (roles, meta.admin_count)
    assert not roles or "admin" in roles.values(), roles
    return roles


def _leave(user: str, group_id: str):
    return call("DELETE", f"/groups/{group_id}/members/me", user=user)


def _group_of_three() -> str:
    """sam (admin), then mia, then max a minute later: mia is sam's heir."""
    for name in ("sam", "mia", "max"):
        flows.user(name)
    group = flows.group("sam")
    flows.join("mia", group, "sam")
    clock.advance(60)
    flows.join("max", group, "sam")
    return group


def _make_admin(group_id: str, user_id: str) -> None:
    """No route makes a second admin (as tests/api/test_invites.py does)."""
    MembershipItem.get(*MembershipItem.key(group_id, user_id)).update(actions=[MembershipItem.role.set("admin")])
    GroupItem.get(*GroupItem.key(group_id)).update(actions=[GroupItem.admin_count.add(1)])


def test_the_last_admin_leaves_and_the_longest_standing_member_becomes_admin():
    group = _group_of_three()
    left = _leave("sam", group)
    assert left.status == 200 and left.body == {"groupId": group, "left": True}, left
    assert _consistent(group) == {"mia": "admin", "max": "member"}
    [event] = _handed_over()
    assert event["data"] == {"groupId": group, "userId": "mia"} and event["actorId"] == "sam"
    assert call("GET", f"/groups/{group}", user="mia").body["role"] == "admin"
    assert call("POST", f"/groups/{group}/invites", user="mia").status == 201  # she runs the group now
    assert call("GET", f"/groups/{group}", user="sam").status == 404

    assert _leave("mia", group).status == 200  # and may leave it in turn
    assert _consistent(group) == {"max": "admin"}
    assert _leave("max", group).status == 200  # the last member empties the group, as before
    assert _consistent(group) == {}
    assert sorted(e["data"]["userId"] for e in _handed_over()) == ["max", "mia"]  # one each


def test_an_admin_who_is_not_the_last_leaves_without_a_handover():
    group = _group_of_three()
    _make_admin(group, "max")
    assert _leave("sam", group).status == 200
    assert _consistent(group) == {"mia": "member", "max": "admin"}
    assert _handed_over() == []


def _between_read_and_write(monkeypatch, reader: str, group_id: str, meanwhile) -> list:
    """Run `meanwhile` once, right after `reader`'s leave has read their membership (before its transaction)."""
    real, raced = reads.get_many, []

    def read_then_race(keys, *args, **kwargs):
        found = real(keys, *args, **kwargs)
        if not raced and any(k == MembershipItem.key(group_id, reader) for _, k in keys):
            raced.append(True)
            meanwhile()
        return found

    monkeypatch.setattr(groups.reads, "get_many", read_then_race)
    return raced


def test_two_admins_leaving_at_once_leave_the_group_an_admin(monkeypatch):
    """sam and max, the two admins, leave at once: each read two admins, so neither handed over; the second to
    commit now reads again and hands the group to mia (it answered 409 `last_admin` before)."""
    group = _group_of_three()
    _make_admin(group, "max")
    raced = _between_read_and_write(monkeypatch, "sam", group, lambda: _leave("max", group))
    left = _leave("sam", group)
    assert raced and left.status == 200, left
    assert _consistent(group) == {"mia": "admin"}
    assert [e["data"]["userId"] for e in _handed_over()] == ["mia"]


def test_the_heir_leaving_meanwhile_hands_the_group_to_the_next_one(monkeypatch):
    """mia (the heir) leaves between sam's read and his transaction: the handover held only for her membership as
    read, so sam's leave reads again and hands the group to max."""
    group = _group_of_three()
    raced = _between_read_and_write(monkeypatch, "sam", group, lambda: _leave("mia", group))
    left = _leave("sam", group)
    assert raced and left.status == 200, left
    assert _consistent(group) == {"max": "admin"}
    assert [e["data"]["userId"] for e in _handed_over()] == ["max"]


def test_the_heir_deciding_to_leave_as_a_member_while_the_group_is_handed_to_her(monkeypatch):
    """mia reads her membership (member) to leave; sam's leave hands her the group meanwhile. Her leave was decided
    on "member": it reads again, and she, now the last admin, hands the group to max."""
    group = _group_of_three()
    raced = _between_read_and_write(monkeypatch, "mia", group, lambda: _leave("sam", group))
    left = _leave("mia", group)
    assert raced and left.status == 200, left
    assert _consistent(group) == {"max": "admin"}
    assert sorted(e["data"]["userId"] for e in _handed_over()) == ["max", "mia"]  # one each


def test_someone_joining_as_the_last_member_leaves_is_handed_the_group(monkeypatch):
    """sam, alone, reads a group of one to leave; mia joins before his transaction: his leave may no longer empty
    the group, so it reads again and hands it to her."""
    flows.user("sam")
    flows.user("mia")
    group = flows.group("sam")
    code = flows.invite("sam", group)
    raced = _between_read_and_write(
        monkeypatch, "sam", group,
        lambda: call("POST", "/groups/join", user="mia", json={"inviteCode": code}))
    left = _leave("sam", group)
    assert raced and left.status == 200, left
    assert _consistent(group) == {"mia": "admin"}


def test_the_handover_makes_stale_what_the_leave_changed_and_nothing_more(monkeypatch):
    """The leave's cache keys (cache/versions.py `keys_for`): the group's summary and leaderboard, the leaver's
    groups (their profile's departed groups are in no cached view). The heir's role is in no cached view, so nothing
    of theirs is bumped; the leaderboard they read from the cache no longer shows the leaver."""
    from foodshare.cache import versions

    group = _group_of_three()
    board = [call("GET", f"/groups/{group}/leaderboard", user="mia") for _ in range(2)][-1]
    assert board.status == 200 and len(board.body["leaders"]) == 3
    bumped: list[str] = []
    bump = versions.bump
    monkeypatch.setattr(versions, "bump", lambda keys, *a, **k: bumped.extend(keys) or bump(keys, *a, **k))
    assert _leave("sam", group).status == 200
    assert set(bumped) == {versions.summary(group), versions.memberships("sam")}
    assert len(call("GET", f"/groups/{group}/leaderboard", user="mia").body["leaders"]) == 2


def test_a_last_admins_leave_costs_one_query_more_than_a_members():
    """A member's leave: the budget's two calls (tests/budgets.py). The last admin of a group with others also
    queries its members (the heir), strongly consistent: three calls, whatever the group's size (a page of members
    per 1 MB read)."""
    from benchmarks.world import Request, to_event
    from tests.support import round_trips

    group = _group_of_three()
    trips = [round_trips.measure(*to_event(Request("DELETE", f"/groups/{group}/members/me", who)))
             for who in ("max", "sam")]
    assert [t.status for t in trips] == [200, 200], trips
    assert dict(trips[0].aws) == {"dynamodb:BatchGetItem": 1, "dynamodb:TransactWriteItems": 1}, trips[0].describe()
    assert dict(trips[1].aws) == {"dynamodb:BatchGetItem": 1, "dynamodb:Query": 1,
                                  "dynamodb:TransactWriteItems": 1}, trips[1].describe()
    assert _consistent(group) == {"mia": "admin"}
