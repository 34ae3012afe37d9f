"""One limiter for every message the bots send on their own (announcements, notifications).

Telegram's published limits: about 1 message per second in one chat, 20 per minute in
one group, 30 per second for the whole bot; Slack's chat.postMessage allows about one
per second per channel. Every consumer container shares the counts in Redis (the
API's GCRA script, one key per limit, so it also works on a cluster). A short wait
is slept through; a longer one raises RetryLater and the queue redelivers the
record after its visibility timeout, so no Lambda sleeps for long. A 429 a platform
answers anyway (`retry_after`) holds the chat (`hold`) for every container.

Redis down: each container falls back to the same limits counted in its own memory,
so one container still keeps to them and several can overshoot; the platform's 429
then backs them off (RetryLater), which is slower but loses nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from foodshare import clock
from foodshare.bots import outbound

T = TypeVar("T")
MAX_SLEEP_MS = 1500  # waits up to this are slept through; longer ones go back to the queue
MAX_ROUNDS = 4


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    period_ms: int


PER_CHAT = Limit("chat", 1, 1000)
# GCRA admits a burst of `count`, then one per period/count: 4 per 12 s is 20 a minute in the
# long run with bursts of 4 (at most 24 in any minute), where 20 per 60 s would allow 40.
PER_GROUP = Limit("group", 4, 12_000)
TELEGRAM_OVERALL = Limit("all", 6, 200)  # 30 a second, bursts of 6


def limits(platform: str, is_group: bool) -> tuple[Limit, ...]:
    """The limits one message to a chat counts against (pure: which rules apply)."""
    if platform == "telegram":
        return (PER_CHAT, PER_GROUP, TELEGRAM_OVERALL) if is_group else (PER_CHAT, TELEGRAM_OVERALL)
    return (PER_CHAT,)


def _key(platform: str, address: str, limit: Limit) -> str:
    scope = "bot" if limit.name == "all" else address
    return f"botrl:{platform}:{limit.name}:{scope}"


def send(platform: str, address: str, is_group: bool, call: Callable[[], T]) -> T:
    """Make one outbound message call within the limits; a 429's retry_after holds the chat for all."""
    admit(platform, address, is_group)
    try:
        return call()
    except outbound.RetryLater as exc:
        if exc.retry_after:
            hold(platform, address, exc.retry_after)
        raise


def admit(platform: str, address: str, is_group: bool) -> None:
    """Return once a message to the chat may be sent now; RetryLater if that is not soon."""
    held = _held_ms(platform, address)
    if held > MAX_SLEEP_MS:
        raise outbound.RetryLater(f"{platform} chat held for {held} ms after a 429")
    if held:
        sleep(held / 1000)
    for _ in range(MAX_ROUNDS):
        wait = 0
        for limit in limits(platform, is_group):
            wait = _take(_key(platform, address, limit), limit)
            if wait:
                break
        if not wait:
            return
        if wait > MAX_SLEEP_MS:
            raise outbound.RetryLater(f"{platform} rate limit: next slot in {wait} ms")
        sleep(wait / 1000)
    raise outbound.RetryLater(f"{platform} rate limit: still busy")


def hold(platform: str, address: str, seconds: float) -> None:
    """The platform answered 429 with retry_after: no container sends to this chat until then."""
    from foodshare.cache.breaker import guard

    until_ms = int(clock.now().timestamp() * 1000 + seconds * 1000)
    key = f"botrl:{platform}:hold:{address}"
    if guard.run(lambda c: c.set(key, until_ms, px=max(1, int(seconds * 1000))), None) is None:
        _local_holds[key] = until_ms


def _held_ms(platform: str, address: str) -> int:
    from foodshare.cache.breaker import guard

    key = f"botrl:{platform}:hold:{address}"
    until = guard.run(lambda c: int(c.get(key) or 0), None)
    if until is None:
        until = _local_holds.get(key, 0)
    return max(0, until - int(clock.now().timestamp() * 1000))


def _take(key: str, limit: Limit) -> int:
    from foodshare.cache.ratelimit import take

    shared = take(key, limit.count, limit.period_ms)
    return _local.take(key, limit) if shared is None else shared


class _LocalCounts:
    """The same GCRA in this container's memory: the fallback while Redis cannot answer."""

    def __init__(self) -> None:
        self._tat: dict[str, float] = {}
        self._lock = threading.Lock()

    def take(self, key: str, limit: Limit) -> int:
        now = clock.now().timestamp() * 1000
        interval = limit.period_ms / limit.count
        with self._lock:
            tat = max(self._tat.get(key, now), now)
            allowed_at = tat + interval - limit.period_ms
            if now < allowed_at:
                return max(1, int(allowed_at - now + 0.999))
            self._tat[key] = tat + interval
            return 0


_local = _LocalCounts()
_local_holds: dict[str, int] = {}


def sleep(seconds: float) -> None:
    """Wait in this container (tests replace it with a clock advance)."""
    time.sleep(seconds)
