"""The breaker's state machine, driven by a clock the test moves and a Redis that fails on demand.

(The outage test drives the same breaker with a real redis-server stopped and restarted.)
"""

from __future__ import annotations

import threading

import pytest
from redis.exceptions import ConnectionError, ResponseError

from foodshare.cache.breaker import CLOSED, HALF_OPEN, OPEN, RedisGuard


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FlakyRedis:
    """Counts the calls that reach it; raises `error` while one is set."""

    def __init__(self) -> None:
        self.calls = 0
        self.error: Exception | None = None

    def get(self, key: str) -> str:
        self.calls += 1
        if self.error:
            raise self.error
        return f"value of {key}"


@pytest.fixture
def rig(settings_env):
    settings_env(CACHE_BREAKER_FAILURES="3", CACHE_BREAKER_COOLDOWN_SECONDS="5")
    clock, redis = Clock(), FlakyRedis()
    return clock, redis, RedisGuard(lambda: redis, clock)


def _get(guard: RedisGuard) -> str:
    return guard.run(lambda client: client.get("k"), "fallback")


def _trip(redis: FlakyRedis, guard: RedisGuard) -> None:
    """Three refused connections: the breaker opens."""
    redis.error = ConnectionError("refused")
    for _ in range(3):
        _get(guard)
    assert guard.state == OPEN


def test_opens_after_consecutive_connection_failures_and_stops_calling(rig):
    clock, redis, guard = rig
    redis.error = ConnectionError("refused")
    assert [_get(guard) for _ in range(3)] == ["fallback"] * 3
    assert guard.state == OPEN and guard.owes_epoch
    assert [_get(guard) for _ in range(5)] == ["fallback"] * 5
    assert redis.calls == 3  # open: Redis is not tried


def test_a_success_resets_the_count(rig):
    clock, redis, guard = rig
    for _ in range(5):
        redis.error = ConnectionError("refused")
        _get(guard), _get(guard)
        redis.error = None
        assert _get(guard) == "value of k"
    assert guard.state == CLOSED and not guard.owes_epoch


def test_redis_answering_with_an_error_does_not_trip(rig):
    clock, redis, guard = rig
    redis.error = ResponseError("WRONGTYPE")
    assert [_get(guard) for _ in range(10)] == ["fallback"] * 10
    assert guard.state == CLOSED and redis.calls == 10


def test_half_open_probe_closes_or_reopens(rig):
    clock, redis, guard = rig
    _trip(redis, guard)
    clock.now += 4.9
    assert _get(guard) == "fallback" and redis.calls == 3  # still cooling down
    clock.now += 0.1
    assert _get(guard) == "fallback" and redis.calls == 4  # the probe failed: open again, new cool-down
    assert guard.state == OPEN
    clock.now += 5
    redis.error = None
    assert _get(guard) == "value of k"
    assert guard.state == CLOSED
    assert guard.owes_epoch  # cleared only by a renewed epoch (cache.versions), not by closing


def test_only_one_caller_probes(rig):
    clock, redis, guard = rig
    _trip(redis, guard)
    clock.now += 5
    redis.error = None
    entered, release = threading.Event(), threading.Event()

    def slow_probe(client):
        entered.set()
        release.wait(5)
        return client.get("k")

    probe = threading.Thread(target=lambda: guard.run(slow_probe, "fallback"))
    probe.start()
    assert entered.wait(5)
    assert guard.state == HALF_OPEN
    assert _get(guard) == "fallback"  # another caller while the probe is out
    release.set()
    probe.join(5)
    assert guard.state == CLOSED and _get(guard) == "value of k"


def test_a_bug_in_the_operation_is_raised_not_swallowed(rig):
    clock, redis, guard = rig
    with pytest.raises(KeyError):
        guard.run(lambda client: {}["missing"], "fallback")
    assert guard.state == CLOSED
