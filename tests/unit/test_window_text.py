"""The bots' pickup-window text for every window the API accepts (years 1-9999 in UTC)."""

from __future__ import annotations

import pytest
from foodshare.bots.rendering import window_text


@pytest.fixture(autouse=True)
def berlin(monkeypatch):
    monkeypatch.setenv("BOT_TIMEZONE", "Europe/Berlin")
    from foodshare.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_a_window_is_written_in_the_bots_time_zone():
    assert window_text("2026-05-01T15:00:00Z", "2026-05-01T17:00:00Z") == "Fri 01 May 17:00–19:00 (Europe/Berlin)"


def test_a_window_the_zone_cannot_hold_is_written_in_utc_instead_of_failing():
    assert window_text("0008-01-01T00:00:00Z", "9999-12-31T23:30:00Z") == \
        "Tue 01 Jan 00:00–Fri 31 Dec 23:30 (UTC)"
