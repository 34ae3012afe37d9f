"""What a member's leaving does to their group, as pure decisions (no I/O: `domain/groups.py` reads and commits).

A group that has members keeps an admin: its last admin leaving (themselves, or as their erasure winds them down)
hands the admin role to the longest-standing other member first, in the leave's transaction (`groups.leave`); the
last member leaving empties the group.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

ADMIN = "admin"


class Member(Protocol):
    user_id: str
    joined_at: str


M = TypeVar("M", bound=Member)


def needs_heir(role: str, admin_count: int, member_count: int) -> bool:
    """Whether someone leaving with `role` must hand the group over first (the counts as read, the leaver included):
    they are its only admin and others remain."""
    return role == ADMIN and admin_count <= 1 and member_count > 1


def heir_of(members: Iterable[M], leaving_id: str) -> M | None:
    """Who takes over a group from its last admin: the longest-standing other member, whatever their role
    (member or moderator); ties by user id, so the choice does not depend on the order read."""
    others = [m for m in members if m.user_id != leaving_id]
    return min(others, key=lambda m: (m.joined_at, m.user_id)) if others else None
