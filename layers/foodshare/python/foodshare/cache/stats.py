"""CacheHit / CacheMiss per cache type and level, emitted once per request as EMF metrics.

Each (type, level) pair needs its own dimensions, so counts are summed in memory
during a request and flushed with one `single_metric` per pair when it ends.
"""

from __future__ import annotations

import os
import threading
from collections import Counter

L1, L2, L3 = "L1", "L2", "L3"
HIT_METRIC, MISS_METRIC = "CacheHit", "CacheMiss"
# A fixed service value (not each function's own): the alarms read one dimension set,
# {cache_type, level, service}, whichever function served the lookup.
SERVICE = "foodshare"

_lock = threading.Lock()
_pending: Counter[tuple[str, str, bool]] = Counter()
_totals: Counter[tuple[str, str, bool]] = Counter()  # since the container started (benchmarks, tests)


def record(cache_type: str, level: str, hit: bool, count: int = 1) -> None:
    if count <= 0:
        return
    with _lock:
        _pending[(cache_type, level, hit)] += count
        _totals[(cache_type, level, hit)] += count


def totals() -> dict[tuple[str, str, bool], int]:
    with _lock:
        return dict(_totals)


def flush() -> None:
    """Emit the counts gathered since the last flush (one EMF line per type and level)."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with _lock:
        counts = dict(_pending)
        _pending.clear()
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":  # single_metric ignores it
        return
    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Foodshare")
    for (cache_type, level, hit), count in counts.items():
        with single_metric(
            name=HIT_METRIC if hit else MISS_METRIC, unit=MetricUnit.Count, value=count, namespace=namespace
        ) as metric:
            metric.add_dimension(name="cache_type", value=cache_type)
            metric.add_dimension(name="level", value=level)
            metric.add_dimension(name="service", value=SERVICE)

