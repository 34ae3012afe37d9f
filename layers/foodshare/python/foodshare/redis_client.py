"""The container's one Redis connection pool (ElastiCache Valkey over TLS on AWS, REDIS_URL locally).

redis-py is imported on first use, not at import time, to keep cold starts short, and
without running its asyncio half (see `import_redis`).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import types
from functools import lru_cache
from typing import TYPE_CHECKING

from foodshare.settings import get_settings

if TYPE_CHECKING:
    import redis

SOCKET_TIMEOUT_SECONDS = 0.25


class _DeferredPackage(types.ModuleType):
    """A package whose __init__ runs on the first lookup of a name it would define.

    Its __path__ is there from the start, so its submodules import as usual."""

    def __getattr__(self, name: str):
        if not self.__dict__.pop("_init_pending", False):
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        self.__spec__.loader.exec_module(self)
        return getattr(self, name)


def import_redis() -> types.ModuleType:
    """`import redis`, with `redis.asyncio`'s __init__ deferred until something uses it.

    redis-py 8's package __init__ starts with `from redis import asyncio`, which builds
    the whole asyncio client (~70 ms of CPU on the first Redis call of every container);
    this code only uses the sync client. Its sync modules import one module from under
    redis.asyncio (observability.recorder), which does not need the package's __init__.
    """
    if "redis" not in sys.modules:
        package = importlib.util.find_spec("redis")
        spec = importlib.machinery.PathFinder.find_spec("redis.asyncio", package.submodule_search_locations)
        deferred = importlib.util.module_from_spec(spec)
        deferred.__class__ = _DeferredPackage
        deferred._init_pending = True
        sys.modules["redis.asyncio"] = deferred
    import redis

    return redis


@lru_cache(maxsize=1)
def get_client() -> redis.Redis | redis.RedisCluster | None:
    """None when no Redis is configured for this container."""
    url = get_settings().redis_url
    if not url:
        return None
    if url.startswith("fakeredis://"):  # tests on a machine with no Redis server at all
        import fakeredis

        return fakeredis.FakeRedis()
    redis = import_redis()
    options = dict(
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        health_check_interval=30,
        decode_responses=False,
    )
    if get_settings().redis_cluster:  # ElastiCache Serverless: cluster protocol, TLS from the rediss:// URL
        from redis.cluster import RedisCluster

        return RedisCluster.from_url(url, **options)
    return redis.Redis.from_url(url, **options)


def reset() -> None:
    """Forget this container's client (after a SnapStart restore: its pool and sockets belong to the snapshot);
    the next `get_client()` builds a fresh one. The circuit breaker starts closed again."""
    if get_client.cache_info().currsize:
        client = get_client()
        if client is not None and hasattr(client, "connection_pool"):
            client.connection_pool.reset()
    get_client.cache_clear()
    breaker = sys.modules.get("foodshare.cache.breaker")
    if breaker is not None:
        breaker.guard.reset()
