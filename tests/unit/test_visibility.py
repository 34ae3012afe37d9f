"""Who sees a post (`domain/visibility.py`): the one rule GET /food, GET /food/{foodId} and GET /me/exchanges
follow, pure, no AWS."""

from __future__ import annotations

import pytest
from foodshare.domain import visibility
from foodshare.domain.visibility import ACTIVE, CLOSED, MEMBER, NONE, PARTNER, REMOVED, part_in, sees

STATUSES = ("available", "claimed", "completed", "withdrawn", "expired")


def test_the_viewers_part_is_theirs_as_the_claimer_only():
    assert part_in("claimed", "cleo", "cleo") == ACTIVE
    for over in ("completed", "cancelled", "no_show", "lapsed"):
        assert part_in(over, "cleo", "cleo") == CLOSED
    assert part_in("claimed", "cleo", "ida") is None
    assert part_in(None, None, "cleo") is None


@pytest.mark.parametrize("status", (*STATUSES, REMOVED))
def test_its_sharer_sees_it_whatever_happened_to_it(status):
    assert sees("sam", "sam", status, reach=NONE)


def test_a_removed_post_is_seen_by_nobody_else_whatever_their_part():
    for reach in (MEMBER, PARTNER, NONE, None):
        for part in (None, ACTIVE, CLOSED):
            assert not sees("cleo", "sam", REMOVED, reach=reach, exchange=part)


@pytest.mark.parametrize("status", STATUSES)
def test_members_and_partners_see_it_others_only_through_their_exchange(status):
    assert sees("cleo", "sam", status, reach=MEMBER)
    assert sees("cleo", "sam", status, reach=PARTNER)
    assert not sees("cleo", "sam", status, reach=NONE)
    assert not sees("cleo", "sam", status, reach=None)  # not worked out, and no exchange to decide
    for part in (ACTIVE, CLOSED):
        assert sees("cleo", "sam", status, reach=None, exchange=part)


def test_the_moderators_status_is_the_one_the_rule_hides():
    from foodshare.domain import moderation

    assert moderation.REMOVED == visibility.REMOVED


@pytest.mark.parametrize("status", STATUSES)
def test_a_restricted_sharers_post_is_seen_by_themselves_and_an_active_claimer_only(status):
    assert sees("sam", "sam", status, reach=MEMBER, sharer_restricted=True)
    assert sees("cleo", "sam", status, reach=None, exchange=ACTIVE, sharer_restricted=True)
    for reach in (MEMBER, PARTNER, NONE):
        assert not sees("cleo", "sam", status, reach=reach, sharer_restricted=True)
        assert not sees("cleo", "sam", status, reach=reach, exchange=CLOSED, sharer_restricted=True)
    assert not sees("cleo", "sam", REMOVED, reach=MEMBER, exchange=ACTIVE, sharer_restricted=True)
