"""Which of a group's partnerships its admins and members see: the pure rule, without moto."""

from __future__ import annotations

import pytest
from foodshare.domain.partnership_rules import direction, shown


@pytest.mark.parametrize(("role", "status", "seen"), [
    ("admin", "pending", True), ("admin", "active", True), ("member", "active", True),
    ("member", "pending", False),  # a proposal is the admins' until it is accepted
    ("admin", "declined", False), ("admin", "ended", False), ("member", "declined", False), ("member", "ended", False),
])
def test_admins_see_open_partnerships_members_only_active_ones(role, status, seen):
    assert shown(role, status) is seen


def test_the_direction_says_which_side_proposed():
    assert direction("g1", from_group_id="g1") == "sent"
    assert direction("g2", from_group_id="g1") == "received"
