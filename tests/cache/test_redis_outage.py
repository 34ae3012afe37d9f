"""Redis failure is not an outage: the breaker opens, reads fall back to DynamoDB, writes succeed,
rate limits fail open, and when Redis returns the cache recovers without ever serving what a
write made stale while Redis was away.

Uses a throwaway redis-server (never the shared one): stopped with SHUTDOWN SAVE and restarted
from its dump, so the versions it held come back exactly as they were before the outage.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import tempfile
import time

import pytest
import redis

from foodshare.cache import stats, versions
from foodshare.cache.breaker import guard
from foodshare.cache.readers import POSTS
from tests.support import flows
from tests.support.api import call

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs a redis-server binary")


class Counted:
    """The container's client, counting the Redis commands the cache and limiter attempt."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        self.commands = 0

    def __getattr__(self, name: str):
        self.commands += 1
        return getattr(self._client, name)


class Throwaway:
    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.dir = tempfile.mkdtemp(prefix="foodshare-outage-")
        self.process: subprocess.Popen | None = None
        self.client = Counted(redis.Redis(port=self.port, socket_timeout=0.25, socket_connect_timeout=0.25))

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                if redis.Redis(port=self.port).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError("throwaway redis-server did not start")

    def stop(self) -> None:
        """Really stop it, keeping its data on disk for the restart."""
        try:
            redis.Redis(port=self.port).shutdown(save=True)
        except redis.ConnectionError:
            pass
        self.process.wait(timeout=5)


COOLDOWN_SECONDS = 4


@pytest.fixture
def outage_redis(monkeypatch, settings_env):
    # A cool-down long enough that the outage steps (incl. restarting redis-server) fit inside it
    # on a loaded machine: with 1 s the breaker could half-open before "still open" was checked.
    settings_env(CACHE_SETTLE_MS="0", CACHE_BREAKER_FAILURES="2", CACHE_BREAKER_COOLDOWN_SECONDS=str(COOLDOWN_SECONDS))
    server = Throwaway()
    server.start()
    # Route the container's guard (cache, versions, rate limits) to the throwaway server, with a fresh breaker.
    monkeypatch.setattr(guard, "_client_factory", lambda: server.client)
    monkeypatch.setattr(guard, "_failures", 0)
    monkeypatch.setattr(guard, "owes_epoch", False)
    monkeypatch.setattr(guard, "state", "CLOSED")
    yield server
    if server.process.poll() is None:
        server.process.terminate()
        server.process.wait(timeout=5)


def _titles(user: str) -> list[str]:
    reply = call("GET", "/food", user=user)
    assert reply.status == 200, reply
    return sorted(item["title"] for item in reply.body["items"])


def _food_hits() -> int:
    """Discovery served from L1: the finished page, or the group lists it is built from."""
    totals = stats.totals()
    return totals.get(("discovery_page", "L1", True), 0) + totals.get(("food_discovery", "L1", True), 0)


def test_outage_open_half_open_closed_and_nothing_stale(outage_redis, caplog):
    c = flows.community()
    flows.share("sam", c["group"], title="Bread")
    for _ in range(3):
        assert _titles("cleo") == ["Bread"]
    hits = _food_hits()
    assert _titles("cleo") == ["Bread"] and _food_hits() == hits + 1  # served from L1
    token_before = outage_redis.client.get(versions.food(c["group"]))

    outage_redis.stop()
    caplog.set_level(logging.WARNING)
    assert _titles("cleo") == ["Bread"]  # the failing reads trip the breaker; DynamoDB answers
    assert guard.state == "OPEN"
    attempted = outage_redis.client.commands
    assert _titles("cleo") == ["Bread"]
    assert outage_redis.client.commands == attempted  # open: Redis is not even tried
    reply = call("POST", "/food", user="sam", json=flows.post_body(c["group"], title="Soup"))
    assert reply.status == 201, reply  # the write succeeds
    assert "RateLimit-Limit" not in reply.headers, reply  # the limiter failed open
    assert "rate limiter unavailable" in caplog.text
    assert _titles("cleo") == ["Bread", "Soup"]
    assert guard.owes_epoch

    outage_redis.start()  # back with the data it had: the Soup bump never reached it
    assert outage_redis.client.get(versions.food(c["group"])) == token_before
    assert _titles("cleo") == ["Bread", "Soup"]  # still open (cool-down): DynamoDB
    assert guard.state == "OPEN"
    time.sleep(COOLDOWN_SECONDS + 0.2)
    assert _titles("cleo") == ["Bread", "Soup"]  # half-open probe renews the epoch, then closes
    assert guard.state == "CLOSED" and not guard.owes_epoch
    assert POSTS.memory.get(c["group"]) is not None  # the stale L1 entry was there, and was not served
    for _ in range(2):
        assert _titles("cleo") == ["Bread", "Soup"]
    hits = _food_hits()
    reply = call("GET", "/food", user="cleo")
    assert reply.status == 200 and _food_hits() == hits + 1  # cached again
    assert reply.headers["RateLimit-Limit"]
