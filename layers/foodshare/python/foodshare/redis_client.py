"""The container's one Redis connection pool (ElastiCache Valkey over TLS on AWS, REDIS_URL locally).

redis-py is imported on first use, not at import time, to keep cold starts short.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from foodshare.settings import get_settings

if TYPE_CHECKING:
    import redis

SOCKET_TIMEOUT_SECONDS = 0.25


@lru_cache(maxsize=1)
def get_client() -> redis.Redis | redis.RedisCluster | None:
    """None when no Redis is configured for this container."""
    url = get_settings().redis_url
    if not url:
        return None
    if url.startswith("fakeredis://"):  # tests on a machine with no Redis server at all
        import fakeredis

        return fakeredis.FakeRedis()
    import redis

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
