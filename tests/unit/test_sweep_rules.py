"""Which hour buckets of `expiring_food` a run of the `food_expiry` job reads (domain/sweep_rules.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from foodshare.domain import sweep_rules

NOW = datetime(2026, 12, 3, 12, 30, tzinfo=UTC)


def _hours(buckets: list[str]) -> list[str]:
    return [b.removeprefix("EXPIRES#2026-12-") for b in buckets]


def test_without_a_mark_the_whole_lookback():
    found = sweep_rules.buckets(NOW, None, 48)
    assert len(found) == 49 and _hours(found)[0] == "01T12" and _hours(found)[-1] == "03T12"


def test_from_the_hour_before_the_marks_to_now():
    assert _hours(sweep_rules.buckets(NOW, NOW - timedelta(minutes=1), 48)) == ["03T11", "03T12"]
    assert _hours(sweep_rules.buckets(NOW, NOW - timedelta(hours=3, minutes=10), 48)) == [
        "03T08", "03T09", "03T10", "03T11", "03T12"]


def test_never_further_back_than_the_lookback_nor_later_than_now():
    assert sweep_rules.buckets(NOW, NOW - timedelta(days=30), 48) == sweep_rules.buckets(NOW, None, 48)
    assert _hours(sweep_rules.buckets(NOW, NOW + timedelta(hours=5), 48)) == ["03T12"]  # a mark ahead: now's bucket
