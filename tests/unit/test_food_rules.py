"""A post's pickup window as it is stored (`domain/food_rules.py`): pure, no AWS."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from foodshare.domain.food_rules import check_window
from foodshare.errors import ValidationFailed

NOW = datetime(2026, 5, 1, 12, 0, 0, 400_000, tzinfo=timezone.utc)
SECOND = timedelta(seconds=1)


def _refused(start, end, now=NOW) -> dict:
    with pytest.raises(ValidationFailed) as refused:
        check_window(start, end, now)
    return refused.value.fields


def test_the_window_is_judged_and_answered_to_the_second_in_utc():
    start = datetime(2026, 5, 1, 18, 30, 0, 900_000, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert check_window(start, start + timedelta(hours=1), NOW) == (
        datetime(2026, 5, 1, 13, 0, tzinfo=timezone.utc), datetime(2026, 5, 1, 14, 0, tzinfo=timezone.utc))


def test_an_end_in_the_second_the_start_is_in_is_an_empty_window():
    start = NOW + timedelta(hours=1)
    assert _refused(start, start + timedelta(milliseconds=500)) == {"pickupEnd": "must be after pickupStart"}
    assert _refused(start, start - SECOND) == {"pickupEnd": "must be after pickupStart"}


def test_an_end_in_the_current_second_is_already_over():
    assert _refused(NOW - SECOND, NOW + timedelta(milliseconds=500)) == {"pickupEnd": "must be in the future"}
    assert check_window(NOW - SECOND, NOW + SECOND, NOW)[1] == datetime(2026, 5, 1, 12, 0, 1, tzinfo=timezone.utc)
