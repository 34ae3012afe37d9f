"""What a person reads through the bots spends the allowance the API's reads spend: one bucket per person and route.

Found by an audit: `/browse`, `/mine`, `/rep` and `/credits` spent nothing, while `GET /food` (RATE_LIMIT_DISCOVERY),
`GET /me/exchanges`, `GET /users/{userId}/reputation` and `GET /me/credits` (RATE_LIMIT_DEFAULT) are limited: a
chat member could run discovery (several reads and a cache fill each) without end.
"""

from __future__ import annotations

import pytest

from foodshare import clock
from foodshare.cache import ratelimit
from foodshare.settings import get_settings
from tests.bots.chat import GROUP_CHAT, TgUser, message, private_chat, slack, slash, telegram
from tests.bots.events import recorded

ALICE = TgUser(111111, "Alice")
ME = "tg:111111"


@pytest.fixture
def two_a_minute(monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_DISCOVERY", "2/60")
    monkeypatch.setenv("RATE_LIMIT_DEFAULT", "2/60")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def say(text: str) -> str:
    return telegram(message(ALICE, private_chat(ALICE), text)).body["text"]


@pytest.mark.parametrize("command, route", [
    ("/browse", "GET /food"),
    ("/mine", "GET /me/exchanges"),
    ("/rep", "GET /users/{userId}/reputation"),
    ("/credits", "GET /me/credits"),
])
def test_each_read_spends_the_bucket_of_the_api_route_it_stands_for(two_a_minute, command, route):
    telegram(message(ALICE, GROUP_CHAT, "/start"))
    for _ in range(2):
        assert "lately" not in say(command)
    refused = say(command)
    assert "asked for a lot lately" in refused and "try again in 1 min" in refused, refused
    assert not ratelimit.check(ME, route).allowed  # the bucket the API's route spends
    others = {"/browse": "/rep", "/mine": "/credits", "/rep": "/browse", "/credits": "/mine"}
    assert "lately" not in say(others[command])  # each route has its own bucket
    clock.advance(61)
    assert "lately" not in say(command)


def test_erase_and_export_requests_spend_the_api_routes_buckets(two_a_minute):
    """Each `/erase` writes a confirmation code, a data-subject request record and an event, as `POST /me/erasure`
    does; each `/export` request is `POST /me/exports`."""
    telegram(message(ALICE, private_chat(ALICE), "/start"))
    for _ in range(2):
        assert "cannot be undone" in say("/erase")
    assert "lately" in say("/erase")
    assert len(recorded("ErasureRequested")) == 2
    for _ in range(2):
        assert "lately" not in say("/export")
    assert "lately" in say("/export")


def test_slack_reads_spend_the_same_buckets(two_a_minute):
    slack(slash("U0ANNA", "start"))
    for _ in range(2):
        assert "lately" not in slack(slash("U0ANNA", "browse")).body["text"]
    assert "lately" in slack(slash("U0ANNA", "browse")).body["text"]
    assert not ratelimit.check("slack:T0001:U0ANNA", "GET /food").allowed
