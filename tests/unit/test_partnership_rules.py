"""Which of a group's partnerships its admins and members see, and whose admins are told of a change: the pure
rules, without moto."""

from __future__ import annotations

import pytest
from foodshare.domain.partnership_rules import acting_side, direction, shown, told


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


@pytest.mark.parametrize(("event_type", "by", "heard_by"), [
    ("PartnershipProposed", None, "to"),  # the invited group's admins, to answer it
    ("PartnershipAccepted", None, "from"), ("PartnershipDeclined", None, "from"),  # the proposers hear the answer
    ("PartnershipEnded", "from", "to"), ("PartnershipEnded", "to", "from"),  # the side that did not end it
    ("PartnershipEnded", None, None),  # not knowing who ended it, nobody is told rather than the wrong side
    ("MemberJoined", None, None),
])
def test_the_side_that_did_not_make_a_change_is_told(event_type, by, heard_by):
    assert told(event_type, "from", "to", by) == heard_by


def test_an_admin_of_both_groups_ends_a_partnership_for_the_invited_one():
    assert acting_side("from", "to", is_target_admin=True) == "to"
    assert acting_side("from", "to", is_target_admin=False) == "from"
