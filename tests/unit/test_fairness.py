"""The fairness rules as pure functions: limits per trust level, group quotas, the low-rating rule."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from foodshare.domain import fairness
from foodshare.domain.fairness import GroupQuota, Refusal

PLAN_CLAIMS = (5, 4, 3, 2, 1)
PLAN_CREDITS = (20, 15, 10, 7, 3)
NOW = datetime(2026, 3, 10, 15, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("level,limit", zip(fairness.LEVELS, PLAN_CLAIMS))
def test_active_claims_per_level(level, limit):
    assert fairness.active_claims(level, limit - 1, PLAN_CLAIMS) is None
    refusal = fairness.active_claims(level, limit, PLAN_CLAIMS)
    assert refusal.rule == "active_claim_limit" and str(limit) in refusal.message and refusal.retry_at is None


@pytest.mark.parametrize("level,limit", zip(fairness.LEVELS, PLAN_CREDITS))
def test_daily_credits_per_level_lift_at_midnight(level, limit):
    assert fairness.daily_credits(level, limit - 1, 1, PLAN_CREDITS, NOW) is None
    refusal = fairness.daily_credits(level, limit, 1, PLAN_CREDITS, NOW)
    assert refusal.rule == "daily_credit_limit"
    assert refusal.retry_at == datetime(2026, 3, 11, tzinfo=timezone.utc)


def test_per_level_needs_five_values():
    with pytest.raises(ValueError):
        fairness.per_level((1, 2, 3))


def test_quota_slots_free_up_as_the_window_rolls():
    quota = GroupQuota(max_claims=2, window_hours=24, lift_hours=3)
    assert fairness.quota_slot(quota, {}, NOW) == 0
    assert fairness.quota_slot(quota, {0: NOW + timedelta(hours=5)}, NOW) == 1
    full = {0: NOW + timedelta(hours=5), 1: NOW + timedelta(hours=2)}
    refusal = fairness.quota_slot(quota, full, NOW)
    assert isinstance(refusal, Refusal) and refusal.rule == "group_claim_quota"
    assert refusal.retry_at == NOW + timedelta(hours=2)  # the earliest slot to free up
    assert fairness.quota_slot(quota, full, NOW + timedelta(hours=2)) == 1
    # Slots beyond a lowered quota do not count.
    assert isinstance(fairness.quota_slot(GroupQuota(1, 24, 0), full | {2: NOW - timedelta(hours=1)}, NOW), Refusal)


def test_quota_lifted_in_the_last_hours_of_a_pickup():
    quota = GroupQuota(max_claims=1, window_hours=24, lift_hours=3)
    end = NOW + timedelta(hours=3)
    assert fairness.quota_lifted(quota, NOW, end)
    assert not fairness.quota_lifted(quota, NOW - timedelta(seconds=1), end)


def _ratings(*spec: tuple[float, int]) -> list[tuple[datetime, int]]:
    return [(NOW + timedelta(days=days), stars) for days, stars in spec]


PERIOD = timedelta(days=14)


def test_three_low_ratings_in_a_month_with_a_low_average_suspend():
    ratings = _ratings((0, 2), (10, 1), (20, 2))
    assert fairness.low_rating_suspension(ratings, PERIOD) == NOW + timedelta(days=34)
    refusal = fairness.suspension(ratings, PERIOD, NOW + timedelta(days=21))
    assert refusal.rule == "suspended_low_ratings" and refusal.retry_at == NOW + timedelta(days=34)
    assert fairness.suspension(ratings, PERIOD, NOW + timedelta(days=34)) is None  # lifted


def test_low_ratings_spread_over_more_than_a_month_do_not():
    assert fairness.low_rating_suspension(_ratings((0, 2), (15, 1), (31, 2)), PERIOD) is None


def test_a_good_average_outweighs_three_low_ratings():
    # 2+2+2+5+5+5+5 = 26 over 7 ratings: average 3.7
    ratings = _ratings((0, 2), (1, 2), (2, 2), (3, 5), (3, 5), (3, 5), (3, 5))
    # At the third low rating (day 2) the average is 2: that moment triggers.
    assert fairness.low_rating_suspension(ratings, PERIOD) == NOW + timedelta(days=16)
    # With the good ratings first, the average never falls below 3.
    good_first = _ratings((-1, 5), (-1, 5), (-1, 5), (-1, 5), (0, 2), (1, 2), (2, 2))
    assert fairness.low_rating_suspension(good_first, PERIOD) is None


def test_two_low_ratings_are_not_enough():
    assert fairness.low_rating_suspension(_ratings((0, 1), (1, 1)), PERIOD) is None


def _rated(*spec: tuple[float, int, str | None]) -> list[tuple[datetime, int, str | None]]:
    return [(NOW + timedelta(days=days), stars, rater) for days, stars, rater in spec]


def test_one_raters_low_ratings_count_once():
    # Found by an audit: one person rating three exchanges with someone 1 star suspended them alone.
    assert fairness.low_rating_suspension(_rated((0, 1, "a"), (1, 1, "a"), (2, 1, "a")), PERIOD) is None
    assert fairness.low_rating_suspension(_rated((0, 1, "a"), (1, 1, "a"), (2, 1, "b"), (3, 2, "b")), PERIOD) is None
    three_people = _rated((0, 1, "a"), (1, 1, "a"), (2, 1, "b"), (3, 2, "c"))
    assert fairness.low_rating_suspension(three_people, PERIOD) == NOW + timedelta(days=17)


def test_ratings_whose_rater_is_not_known_each_count_as_their_own():
    # As before the rule knew raters: (at, stars) and (at, stars, None) alike.
    assert fairness.low_rating_suspension(_rated((0, 1, None), (1, 1, None), (2, 1, "a")), PERIOD) == \
        NOW + timedelta(days=16)
    assert fairness.low_rating_suspension(_ratings((0, 1), (1, 1), (2, 1)), PERIOD) == NOW + timedelta(days=16)


def test_one_raters_further_low_ratings_do_not_pull_the_average_down():
    # Counted: 5, 5, 5, 5, 1 (a), 1 (b), 1 (c) = 23 over 7, average 3.3; a's four more would make it 27 over 11.
    ratings = _rated((0, 5, "d"), (0, 5, "e"), (0, 5, "f"), (0, 5, "g"),
                     (1, 1, "a"), (2, 1, "a"), (3, 1, "a"), (4, 1, "a"), (5, 1, "a"), (6, 1, "b"), (7, 1, "c"))
    assert fairness.low_rating_suspension(ratings, PERIOD) is None
    assert fairness.low_rating_suspension([(at, stars) for at, stars, _ in ratings], PERIOD) is not None


def test_one_raters_later_low_rating_does_not_start_the_suspension_again():
    ratings = _rated((0, 1, "a"), (1, 1, "b"), (2, 1, "c"))
    assert fairness.low_rating_suspension(ratings, PERIOD) == NOW + timedelta(days=16)
    assert fairness.low_rating_suspension(ratings + _rated((10, 1, "a")), PERIOD) == NOW + timedelta(days=16)
    # Someone else's does, as before.
    assert fairness.low_rating_suspension(ratings + _rated((10, 1, "d")), PERIOD) == NOW + timedelta(days=24)


def test_a_raters_low_rating_counts_again_once_their_first_has_left_the_30_days():
    ratings = _rated((0, 1, "a"), (29, 1, "a"), (30.5, 1, "b"), (31, 2, "c"))
    # On day 31 the 30 days hold a's second (the first left on day 30), b's and c's.
    assert fairness.low_rating_suspension(ratings, PERIOD) == NOW + timedelta(days=45)
    # Without a's second, day 31 holds b's and c's only.
    assert fairness.low_rating_suspension(_rated((0, 1, "a"), (30.5, 1, "b"), (31, 2, "c")), PERIOD) is None


def test_knowing_raters_never_suspends_longer_than_counting_each_rating_alone():
    """What `standing.suspension` relies on to read the exchanges only when the rule would otherwise suspend."""
    import random

    generator = random.Random(17)
    for _ in range(400):
        ratings = [(NOW + timedelta(hours=generator.randrange(0, 24 * 60)), generator.choice((1, 1, 2, 3, 4, 5)),
                    generator.choice(("a", "b", "c", "d", None))) for _ in range(generator.randrange(0, 12))]
        alone = fairness.low_rating_suspension([(at, stars) for at, stars, _ in ratings], PERIOD)
        known = fairness.low_rating_suspension(ratings, PERIOD)
        assert known is None or (alone is not None and known <= alone), ratings


def test_the_months_of_received_ratings_cover_everything_the_rule_looks_back_at():
    # 30 days plus the 14-day period before 2 January reach back to 19 November.
    now = datetime(2027, 1, 2, 12, tzinfo=timezone.utc)
    assert fairness.low_rating_since(PERIOD, now) == datetime(2026, 11, 19, 12, tzinfo=timezone.utc)
    assert fairness.low_rating_months(PERIOD, now) == ["2026-11", "2026-12", "2027-01"]
    assert fairness.low_rating_months(PERIOD, datetime(2027, 3, 31, tzinfo=timezone.utc)) == ["2027-02", "2027-03"]
    assert fairness.low_rating_months(timedelta(days=400), now) == [
        f"{y}-{m:02d}" for y, m in [(2025, 10), (2025, 11), (2025, 12)] + [(2026, m) for m in range(1, 13)] + [(2027, 1)]]


def test_every_rating_the_rule_can_use_falls_in_one_of_the_months_read():
    for days_back in range(0, 120):
        now = NOW + timedelta(days=days_back, hours=days_back % 24)
        months = fairness.low_rating_months(PERIOD, now)
        since = fairness.low_rating_since(PERIOD, now)
        for hours in range(0, int((now - since).total_seconds() // 3600) + 1, 7):
            assert fairness.month_key(since + timedelta(hours=hours)) in months
        assert fairness.month_key(now) == months[-1] and fairness.month_key(since) == months[0]
