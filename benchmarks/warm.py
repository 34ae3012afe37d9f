"""Warm latency of every API route, in-process against moto and the real Redis.

Each route's handler is imported once (its container is warm), served a few warm-up
requests, then `samples` requests, each prepared by `benchmarks.world` outside the
timing (a claim gets a fresh post and claimer). Latency is the handler call: the
API Gateway event in, the response out. 5xx answers stop the benchmark.
"""

from __future__ import annotations

import sys
import time

from benchmarks import results
from benchmarks.world import World, has_sample, request_for, route_keys, to_event

WARM_UP = 3


def timed_call(request) -> tuple[float, int]:
    """(milliseconds, status) of one request through its function's handler."""
    from tests.support.api import invoke

    function, event = to_event(request)
    started = time.perf_counter()
    answer = invoke(event, function)
    return (time.perf_counter() - started) * 1000, int(answer["statusCode"])


def route_latencies(world: World, route_key: str, samples: int) -> tuple[list[float], set[int]]:
    latencies, statuses = [], set()
    for i in range(WARM_UP + samples):
        elapsed, status = timed_call(request_for(route_key, world))
        if status >= 500:
            raise RuntimeError(f"{route_key} answered {status}")
        statuses.add(status)
        if i >= WARM_UP:
            latencies.append(elapsed)
    return latencies, statuses


def measure(world: World, samples: int = 30) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for key in route_keys():
        latencies, statuses = route_latencies(world, key, samples)
        if not has_sample(key) or statuses - {200, 201}:
            print(f"  note: {key} answered {sorted(statuses)}"
                  f"{'' if has_sample(key) else ' (no sample in benchmarks/world.py: generic request)'}", file=sys.stderr)
        metrics[f"warm_p50_ms.{key}"] = results.percentile(latencies, 50)
        metrics[f"warm_p95_ms.{key}"] = results.percentile(latencies, 95)
    return metrics
