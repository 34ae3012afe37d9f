"""The rules of a member's leaving (domain/membership_rules.py): who inherits a group from its last admin."""

from __future__ import annotations

from dataclasses import dataclass

from foodshare.domain.membership_rules import heir_of, needs_heir


@dataclass(frozen=True)
class Member:
    user_id: str
    joined_at: str
    role: str = "member"


def test_the_heir_is_the_longest_standing_other_member_whatever_their_role_ties_by_id():
    members = [Member("sam", "2026-01-01T00:00:00Z", "admin"), Member("zoe", "2026-01-02T00:00:00Z"),
               Member("mia", "2026-01-02T00:00:00Z", "moderator"), Member("max", "2026-01-03T00:00:00Z")]
    assert heir_of(members, "sam").user_id == "mia"  # joined with zoe, the same second; m < z
    assert heir_of(reversed(members), "sam").user_id == "mia"
    assert heir_of(members, "mia").user_id == "sam"  # anyone leaving: never themselves
    assert heir_of(members[:1], "sam") is None
    assert heir_of([], "sam") is None


def test_only_the_last_admin_of_a_group_with_others_needs_an_heir():
    assert needs_heir("admin", admin_count=1, member_count=3)
    assert not needs_heir("admin", admin_count=2, member_count=3)  # another admin remains
    assert not needs_heir("admin", admin_count=1, member_count=1)  # the last member: the group empties
    assert not needs_heir("moderator", admin_count=1, member_count=3)
    assert not needs_heir("member", admin_count=1, member_count=3)
