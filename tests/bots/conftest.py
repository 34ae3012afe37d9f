"""Bot fixtures: secrets configured, outbound calls to a local recording server."""

from __future__ import annotations

import pytest

from foodshare.settings import get_settings
from tests.bots import chat
from tests.bots.recorder import Recorder


@pytest.fixture
def recorder():
    server = Recorder().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def bot_settings(monkeypatch, recorder):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST-token")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", chat.TELEGRAM_SECRET)
    monkeypatch.setenv("TELEGRAM_API_BASE", recorder.url)
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", chat.BOT_NAME)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", chat.SLACK_SECRET)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    monkeypatch.setenv("SLACK_API_BASE", f"{recorder.url}/slack")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def throttle_waits_on_the_clock(monkeypatch):
    """The outbound limiter's short waits advance the test clock instead of sleeping."""
    from foodshare import clock
    from foodshare.bots import throttle

    waits: list[float] = []

    def advance(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds)

    monkeypatch.setattr(throttle, "sleep", advance)
    monkeypatch.setattr(throttle, "_local", throttle._LocalCounts())
    monkeypatch.setattr(throttle, "_local_holds", {})
    yield waits
