"""Whether an invite still lets someone join: the pure rule, without moto."""

from __future__ import annotations

import pytest
from foodshare.domain import invite_rules
from foodshare.domain.invite_rules import EXPIRED, REVOKED, UNCHECKED, USED_UP, lifetime_problem, message, refusal

NOW = "2026-05-01T12:00:00Z"
LATER = "2026-05-02T12:00:00Z"


def decide(**changes):
    return refusal(**({"now": NOW, "expires_at": LATER} | changes))


def test_a_fresh_invite_lets_someone_join_whether_or_not_its_creator_was_read():
    assert decide() is None
    assert decide(creator_role="admin") is None
    assert decide(max_uses=3, uses=2, creator_role="admin") is None
    assert decide(uses=5000) is None  # no maxUses: any number


def test_it_expires_at_its_time():
    assert decide(expires_at=NOW) == EXPIRED
    assert decide(expires_at="2026-05-01T11:59:59Z") == EXPIRED


def test_its_uses_run_out_at_max_uses():
    assert decide(max_uses=1, uses=1) == USED_UP
    assert decide(max_uses=2, uses=3) == USED_UP  # never more, even if the count overshot


@pytest.mark.parametrize("role", [None, "member", "moderator"])
def test_it_stops_when_its_creator_is_no_longer_an_admin(role):
    assert decide(creator_role=role) == REVOKED
    assert decide(creator_role=UNCHECKED) is None  # the join's transaction checks it instead


def test_a_revocation_is_said_before_expiry_and_uses_and_the_creator_gone_is_said_as_such():
    assert decide(revoked=True, expires_at=NOW, max_uses=1, uses=1, creator_role=None) == REVOKED
    assert decide(expires_at=NOW, max_uses=1, uses=1) == EXPIRED
    assert decide(max_uses=1, uses=1, creator_role=None) == USED_UP
    assert message(REVOKED, revoked=True) == invite_rules.MESSAGES[REVOKED]
    assert "no longer an admin" in message(REVOKED, revoked=False)
    assert message(USED_UP, revoked=False) == invite_rules.MESSAGES[USED_UP]


def test_an_asked_lifetime_is_between_one_hour_and_the_setting():
    assert lifetime_problem(None, 168) is None
    assert lifetime_problem(1, 168) is None and lifetime_problem(168, 168) is None
    assert lifetime_problem(0, 168) == lifetime_problem(169, 168) == "must be between 1 and 168 hours"
    assert lifetime_problem(48, 24) == "must be between 1 and 24 hours"
