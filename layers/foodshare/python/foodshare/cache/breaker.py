"""Redis behind a circuit breaker: short timeouts, no Redis calls while open, a probe after the cool-down.

closed -> open after `cache_breaker_failures` consecutive connection errors or
timeouts -> half-open after `cache_breaker_cooldown_seconds` (one probe, other
callers keep the fallback) -> closed on success, open again on failure. The state
lives in this container's memory, because what fails is this container's path to
Redis. (Powertools' circuit breaker keeps state in a persistence layer and its
package imports boto3: ~60 ms of every cold start for a dozen lines of state.)
Every caller passes a fallback, so an outage degrades to DynamoDB reads instead of errors.

While the breaker is open, or after a version bump failed, this container may have
missed invalidations: `owes_epoch` is then set, and the next successful version read or
bump renews the global epoch first, which invalidates every entry built before it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from foodshare.observability import logger
from foodshare.redis_client import get_client
from foodshare.settings import get_settings

if TYPE_CHECKING:
    import redis

T = TypeVar("T")

CLOSED, OPEN, HALF_OPEN = "CLOSED", "OPEN", "HALF_OPEN"


def _trips(exc: BaseException) -> bool:
    """Errors that say Redis is unreachable (as opposed to Redis answering with an error)."""
    from redis.exceptions import ClusterDownError, ConnectionError, TimeoutError

    return isinstance(exc, (ConnectionError, TimeoutError, ClusterDownError, OSError))


class RedisGuard:
    """Runs Redis operations through the breaker; any failure returns the caller's fallback."""

    def __init__(
        self,
        client_factory: Callable[[], redis.Redis | None] = get_client,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client_factory = client_factory
        self._clock = clock
        self._lock = threading.Lock()
        self.state = CLOSED
        self._failures = 0  # consecutive, while closed
        self._opened_at = 0.0
        self.owes_epoch = False  # set when invalidations may have been missed; cleared by a renewed epoch

    def reset(self) -> None:
        """Closed, no failures counted: a fresh container's breaker (after a SnapStart restore)."""
        with self._lock:
            self.state, self._failures, self._opened_at = CLOSED, 0, 0.0

    def run(self, operation: Callable[[redis.Redis], T], fallback: T) -> T:
        client = self._client_factory()
        if client is None or not self._admit():
            return fallback
        from redis.exceptions import RedisError

        try:
            result = operation(client)
        except (RedisError, OSError) as exc:
            self._settle(failed=_trips(exc))
            logger.warning("Redis call failed; serving without the cache", extra={"error": repr(exc)})
            return fallback
        except BaseException:
            self._settle(failed=False)
            raise
        self._settle(failed=False)
        return result

    def _admit(self) -> bool:
        """Closed: go. Open: fallback, until the cool-down lets exactly one caller probe."""
        with self._lock:
            if self.state == CLOSED:
                return True
            cooled = self._clock() - self._opened_at >= get_settings().cache_breaker_cooldown_seconds
            if self.state == OPEN and cooled:
                self._move(HALF_OPEN)
                return True
            return False

    def _settle(self, failed: bool) -> None:
        with self._lock:
            if not failed:
                self._failures = 0
                if self.state == HALF_OPEN:
                    self._move(CLOSED)
                return
            self._failures += 1
            if self.state == HALF_OPEN or self._failures >= get_settings().cache_breaker_failures:
                self._opened_at = self._clock()
                self._move(OPEN)

    def _move(self, state: str) -> None:
        if state == self.state:
            return
        self.state = state
        if state == OPEN:
            self.owes_epoch = True
            logger.warning("Redis circuit open: reads go to DynamoDB, rate limits fail open")
        elif state == CLOSED:
            logger.info("Redis circuit closed again")


guard = RedisGuard()
