"""Trust-and-safety tests run with the product plan's limits (tests/conftest.py lifts them for others)."""

from __future__ import annotations

import pytest
from foodshare.settings import get_settings

from tests.cache.conftest import settings_env  # noqa: F401  (the fixtures, shared)
from tests.events.conftest import backbone  # noqa: F401


@pytest.fixture(autouse=True)
def plan_limits(monkeypatch):
    monkeypatch.delenv("CLAIM_LIMITS")
    monkeypatch.delenv("DAILY_CREDIT_LIMITS")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
