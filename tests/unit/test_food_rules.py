"""A post's pickup window as it is stored (`domain/food_rules.py`): pure, no AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from foodshare.domain.food_rules import MAX_AHEAD, MAX_LENGTH, check_window
from foodshare.errors import ValidationFailed

NOW = datetime(2026, 5, 1, 12, 0, 0, 400_000, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def _refused(start, end, now=NOW) -> dict:
    with pytest.raises(ValidationFailed) as refused:
        check_window(start, end, now)
    return refused.value.fields


def test_the_window_is_judged_and_answered_to_the_second_in_utc():
    start = datetime(2026, 5, 1, 18, 30, 0, 900_000, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert check_window(start, start + timedelta(hours=1), NOW) == (
        datetime(2026, 5, 1, 13, 0, tzinfo=UTC), datetime(2026, 5, 1, 14, 0, tzinfo=UTC))


def test_an_end_in_the_second_the_start_is_in_is_an_empty_window():
    start = NOW + timedelta(hours=1)
    assert _refused(start, start + timedelta(milliseconds=500)) == {"pickupEnd": "must be after pickupStart"}
    assert _refused(start, start - SECOND) == {"pickupEnd": "must be after pickupStart"}


def test_an_end_in_the_current_second_is_already_over():
    assert _refused(NOW - SECOND, NOW + timedelta(milliseconds=500)) == {"pickupEnd": "must be in the future"}
    assert check_window(NOW - SECOND, NOW + SECOND, NOW)[1] == datetime(2026, 5, 1, 12, 0, 1, tzinfo=UTC)


def test_the_window_ends_within_30_days_and_lasts_at_most_7():
    last = NOW + MAX_AHEAD  # to the second: NOW's fraction dropped
    assert check_window(last - MAX_LENGTH, last, NOW)
    assert _refused(last - MAX_LENGTH, last + SECOND) == {"pickupEnd": "must be within 30 days from now"}
    end = NOW + timedelta(hours=2)
    assert check_window(end - MAX_LENGTH, end, NOW)
    assert set(_refused(end - MAX_LENGTH - SECOND, end)) == {"pickupStart", "pickupEnd"}
    far = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert set(_refused(datetime(1, 1, 1, tzinfo=UTC), far)) == {"pickupEnd"}  # the end is named first


def test_an_available_post_is_shown_expired_from_the_second_its_window_ends():
    from foodshare.domain.food_rules import shown_status, window_ended

    end = "2026-05-01T14:00:00Z"
    assert not window_ended(end, "2026-05-01T13:59:59Z") and window_ended(end, end)
    assert window_ended(end, "2026-05-01T14:00:01Z")
    assert shown_status("available", end, "2026-05-01T13:59:59Z") == "available"
    assert shown_status("available", end, end) == "expired"  # a claim is refused from then on, too
    for stored in ("claimed", "completed", "withdrawn", "removed", "expired"):  # as stored, whatever the time
        assert shown_status(stored, end, "2026-05-02T00:00:00Z") == stored
