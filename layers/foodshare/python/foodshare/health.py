"""A real check of each dependency for GET /health.

DynamoDB down means the service cannot work (503); Redis down only degrades it,
because every cached read falls back to DynamoDB.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from foodshare.data.models import Item
from foodshare.redis_client import get_client

PROBE_KEY = "HEALTH#probe"


def _timed(check: Callable[[], str]) -> dict:
    started = time.perf_counter()
    try:
        status = check()
    except Exception as exc:  # any failure of a dependency is a reportable state, not a crash
        return {"status": "down", "error": type(exc).__name__}
    return {"status": status, "latencyMs": round((time.perf_counter() - started) * 1000, 2)}


def _dynamodb() -> str:
    # A read of a key that never exists: proves reachability and read permission without
    # DescribeTable (not granted to functions, and throttled at a few calls per second).
    Item.count(PROBE_KEY, limit=1)
    return "ok"


def _redis() -> str:
    client = get_client()
    if client is None:
        return "not_configured"
    client.ping()
    return "ok"


def check_dependencies() -> tuple[str, dict]:
    """("ok" | "degraded" | "unavailable", per-dependency results)."""
    dependencies = {"dynamodb": _timed(_dynamodb), "redis": _timed(_redis)}
    if dependencies["dynamodb"]["status"] != "ok":
        return "unavailable", dependencies
    if dependencies["redis"]["status"] == "down":
        return "degraded", dependencies
    return "ok", dependencies
