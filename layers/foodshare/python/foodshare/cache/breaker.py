"""Redis behind a circuit breaker: short timeouts, no Redis calls while open, a probe after the cool-down.

The state machine is Powertools' circuit breaker; its state lives in this
container's memory, because what fails is this container's path to Redis.
closed -> open after `cache_breaker_failures` consecutive connection errors or
timeouts -> half-open after `cache_breaker_cooldown_seconds` (one probe) -> closed.
Every caller passes a fallback, so an outage degrades to DynamoDB reads instead of errors.

While the breaker is open, or after a version bump failed, this container may have
missed invalidations: `owes_epoch` is then set, and the next successful version read
renews the global epoch first, which invalidates every entry built before it.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from foodshare.observability import logger
from foodshare.redis_client import get_client
from foodshare.settings import get_settings

if TYPE_CHECKING:
    import redis

T = TypeVar("T")
_names = itertools.count(1)


def _container_state():
    """A Powertools persistence layer that keeps circuit records in this process."""
    from aws_lambda_powertools.utilities.circuit_breaker.persistence.base import (
        CircuitBreakerExistingLockError,
        CircuitBreakerPersistenceLayer,
    )
    from aws_lambda_powertools.utilities.circuit_breaker.states import CircuitState

    class ContainerState(CircuitBreakerPersistenceLayer):
        def __init__(self) -> None:
            super().__init__()
            self._records: dict = {}
            self._records_lock = threading.Lock()

        def _get_record(self, name):
            with self._records_lock:
                return self._records.get(name)

        def _put_record(self, record, condition=None, expected_opened_at=None):
            with self._records_lock:
                if condition == "half_open":
                    current = self._records.get(record.name)
                    if (
                        current is None
                        or current.state != CircuitState.OPEN
                        or current.half_open_owner is not None
                        or (expected_opened_at is not None and current.opened_at != expected_opened_at)
                    ):
                        raise CircuitBreakerExistingLockError()
                self._records[record.name] = record

        def _update_record(self, record):
            with self._records_lock:
                self._records[record.name] = record

    return ContainerState()


class RedisGuard:
    """Runs Redis operations through the breaker; any failure returns the caller's fallback."""

    def __init__(self, client_factory: Callable[[], redis.Redis | None] = get_client) -> None:
        self._client_factory = client_factory
        self._protected: Callable | None = None
        self._build_lock = threading.Lock()
        self.name = f"redis-{next(_names)}"
        self.state = "CLOSED"
        self.owes_epoch = False  # set when invalidations may have been missed; cleared by a renewed epoch

    def run(self, operation: Callable[[redis.Redis], T], fallback: T) -> T:
        client = self._client_factory()
        if client is None:
            return fallback
        protected = self._protected or self._build()
        try:
            return protected(operation, client)
        except Exception as exc:
            from aws_lambda_powertools.utilities.circuit_breaker import CircuitBreakerOpenError
            from redis.exceptions import RedisError

            if isinstance(exc, CircuitBreakerOpenError):
                return fallback
            if not isinstance(exc, (RedisError, OSError)):
                raise
            logger.warning("Redis call failed; serving without the cache", extra={"error": repr(exc)})
            return fallback

    def _build(self) -> Callable:
        with self._build_lock:
            if self._protected is None:
                from aws_lambda_powertools.utilities.circuit_breaker import CircuitBreakerConfig, circuit_breaker
                from redis.exceptions import ClusterDownError, ConnectionError, TimeoutError

                settings = get_settings()
                config = CircuitBreakerConfig(
                    failure_threshold=settings.cache_breaker_failures,
                    recovery_timeout=settings.cache_breaker_cooldown_seconds,
                    success_threshold=1,
                    handled_exceptions=(ConnectionError, TimeoutError, ClusterDownError, OSError),
                    local_cache_max_age=0,
                )

                @circuit_breaker(
                    name=self.name, persistence_store=_container_state(), config=config,
                    on_transition=self._on_transition,
                )
                def call(operation: Callable[[Any], Any], client: Any) -> Any:
                    return operation(client)

                self._protected = call
        return self._protected

    def _on_transition(self, transition) -> None:
        self.state = str(transition.to_state)
        if self.state == "OPEN":
            self.owes_epoch = True
            logger.warning("Redis circuit open: reads go to DynamoDB, rate limits fail open", extra={"circuit": self.name})
        elif self.state == "CLOSED":
            logger.info("Redis circuit closed again", extra={"circuit": self.name})


guard = RedisGuard()
