"""Cache tests: entries are stored as soon as they are read (no settle time), settings per test."""

from __future__ import annotations

import pytest

from foodshare.settings import get_settings


@pytest.fixture
def settings_env(monkeypatch):
    """Set environment variables and re-read settings; restored after the test."""

    def apply(**env: str) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield apply
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def no_settle_time(settings_env):
    settings_env(CACHE_SETTLE_MS="0")
