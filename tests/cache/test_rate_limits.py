"""Per-user, per-route rate limits through the real handlers: headers, 429, reset, atomicity."""

from __future__ import annotations

import threading

from foodshare import clock
from foodshare.cache import ratelimit
from tests.support import flows
from tests.support.api import call


def test_defaults(settings_env, monkeypatch):
    for name in ("RATE_LIMIT_POSTING", "RATE_LIMIT_CLAIMS", "RATE_LIMIT_DISCOVERY", "RATE_LIMIT_DEFAULT"):
        monkeypatch.delenv(name)
    settings_env()
    assert ratelimit.limit_for("POST /food") == (10, 3600)
    assert ratelimit.limit_for("POST /food/{foodId}/claims") == (30, 3600)
    assert ratelimit.limit_for("GET /food") == (120, 60)
    assert ratelimit.limit_for("GET /me") == (60, 60)


def test_headers_429_and_reset(settings_env):
    settings_env(RATE_LIMIT_DISCOVERY="3/60")
    flows.user("cleo")
    remaining = []
    for _ in range(3):
        reply = call("GET", "/food", user="cleo")
        assert reply.status == 200
        assert reply.headers["RateLimit-Limit"] == "3"
        remaining.append(reply.headers["RateLimit-Remaining"])
    assert remaining == ["2", "1", "0"]
    assert reply.headers["RateLimit-Reset"] == "60"
    refused = call("GET", "/food", user="cleo")
    assert refused.status == 429 and refused.error_code == "rate_limited"
    assert refused.headers["Retry-After"] == "20"  # one request back every 60/3 s
    assert refused.headers["RateLimit-Remaining"] == "0" and refused.headers["RateLimit-Limit"] == "3"
    assert "GET /food" in refused.body["error"]["message"]

    clock.advance(20)
    again = call("GET", "/food", user="cleo")
    assert again.status == 200 and again.headers["RateLimit-Remaining"] == "0"
    clock.advance(60)  # the whole allowance is back
    assert call("GET", "/food", user="cleo").headers["RateLimit-Remaining"] == "2"


def test_limits_are_per_user_and_per_route(settings_env):
    settings_env(RATE_LIMIT_DISCOVERY="1/60", RATE_LIMIT_DEFAULT="5/60")
    flows.user("cleo")
    flows.user("ada")
    assert call("GET", "/food", user="cleo").status == 200
    assert call("GET", "/food", user="cleo").status == 429
    assert call("GET", "/food", user="ada").status == 200
    me = call("GET", "/me", user="cleo")
    assert me.status == 200 and me.headers["RateLimit-Limit"] == "5"


def test_posting_limit_and_health_unlimited(settings_env):
    settings_env(RATE_LIMIT_POSTING="2/3600")
    c = flows.community()
    flows.share("sam", c["group"])
    flows.share("sam", c["group"])
    refused = call("POST", "/food", user="sam", json=flows.post_body(c["group"]))
    assert refused.status == 429 and refused.headers["Retry-After"] == "1800"
    for _ in range(5):
        health = call("GET", "/health")
        assert health.status == 200 and "RateLimit-Limit" not in health.headers


def test_concurrent_requests_never_over_admit(settings_env):
    settings_env(RATE_LIMIT_CLAIMS="5/3600")
    admitted = []

    def hit():
        admitted.append(ratelimit.check("racer", "POST /food/{foodId}/claims").allowed)

    threads = [threading.Thread(target=hit) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert admitted.count(True) == 5 and len(admitted) == 40
