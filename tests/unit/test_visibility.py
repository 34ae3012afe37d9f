"""Who sees a post (`domain/visibility.py`): the one rule GET /food, GET /food/{foodId} and GET /me/exchanges
follow, pure, no AWS."""

from __future__ import annotations

from dataclasses import dataclass

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


@pytest.mark.parametrize("status", STATUSES)
def test_someone_the_posts_group_banned_sees_none_of_its_posts_but_their_own(status):
    """Not through a partnership, not through an exchange of theirs (API 5.3.1)."""
    for reach in (MEMBER, PARTNER, NONE, None):
        for part in (None, ACTIVE, CLOSED):
            assert not sees("cleo", "sam", status, reach=reach, exchange=part, banned=True)
    assert sees("cleo", "cleo", status, reach=NONE, banned=True)


@dataclass(frozen=True)
class _Banned:
    banned_from: set[str] | None


def test_the_groups_that_banned_the_viewer_are_on_their_profile():
    assert visibility.banned(_Banned({"g", "h"}), "g")
    assert not visibility.banned(_Banned({"h"}), "g")
    assert not visibility.banned(_Banned(None), "g")  # never banned, or a profile from before API 5.3.1
    assert not visibility.banned(None, "g")  # a profile never written


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


@dataclass(frozen=True)
class _Terms:
    max_distance_km: float
    min_reputation: float


@dataclass(frozen=True)
class _Profile:
    score: float
    lat: float | None
    lng: float | None


KEY = b"k" * 32
BERLIN, POTSDAM = (52.52, 13.405), (52.39, 13.065)  # ~27 km apart


def test_a_partners_terms_hold_on_a_home_a_score_and_the_posts_area_within_the_distance():
    terms = _Terms(max_distance_km=10, min_reputation=70)
    assert visibility.terms_hold(terms, 70, BERLIN, KEY, "f-1", *BERLIN)
    assert not visibility.terms_hold(terms, 69.9, BERLIN, KEY, "f-1", *BERLIN)  # the score
    assert not visibility.terms_hold(terms, 90, None, KEY, "f-1", *BERLIN)  # no home to judge the distance from
    assert not visibility.terms_hold(terms, 90, BERLIN, KEY, "f-1", *POTSDAM)  # the distance
    assert visibility.terms_hold(_Terms(30, 0), 60, BERLIN, KEY, "f-1", *POTSDAM)


def test_the_distance_is_judged_on_the_area_the_post_shows_not_its_doorstep():
    from foodshare.domain import privacy

    doorstep = (52.52, 13.405)
    area = privacy.partnership_distance(KEY, "f-1", *BERLIN, *doorstep)
    assert area != privacy.partnership_distance(KEY, "f-2", *BERLIN, *doorstep)  # per post
    assert visibility.terms_hold(_Terms(area, 0), 60, BERLIN, KEY, "f-1", *doorstep)
    assert not visibility.terms_hold(_Terms(area - 0.001, 0), 60, BERLIN, KEY, "f-1", *doorstep)


def test_the_looker_is_the_profiles_score_and_home_and_a_newcomer_has_the_initial_score_and_none():
    from foodshare.reputation_rules import INITIAL_SCORE

    assert visibility.looker(_Profile(75, *BERLIN)) == (75.0, BERLIN)
    assert visibility.looker(_Profile(75, None, None)) == (75.0, None)
    assert visibility.looker(None) == (INITIAL_SCORE, None)


def test_of_several_partnerships_with_one_group_the_widest_distance_decides_the_first_of_equals_kept():
    narrow, wide = _Terms(10, 0), _Terms(50, 90)
    assert visibility.wider(narrow, None) and visibility.wider(wide, narrow)
    assert not visibility.wider(narrow, wide) and not visibility.wider(_Terms(50, 0), wide)


@pytest.mark.parametrize("status", STATUSES)
def test_through_a_partnership_only_while_its_terms_hold_unless_one_claimed_it(status):
    assert sees("cleo", "sam", status, reach=PARTNER, terms=True)
    assert not sees("cleo", "sam", status, reach=PARTNER, terms=False)
    for part in (ACTIVE, CLOSED):
        assert sees("cleo", "sam", status, reach=PARTNER, terms=False, exchange=part)
    assert sees("cleo", "sam", status, reach=MEMBER, terms=False)  # a member: no terms to meet
