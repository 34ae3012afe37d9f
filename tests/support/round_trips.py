"""Round trips of one request through its handler: AWS calls by operation, items read, Redis round trips.

AWS calls are recorded by `tests.infra.aws_calls.recording` (botocore's one choke point,
attributed to the function whose invocation runs); Redis round trips are counted where
redis-py sends: one per command (`Redis.execute_command`) and one per pipeline
(`Pipeline.execute`), so a script call is one and a pipelined MGET of many keys is one.
`cold()` empties both cache levels (every container's L1 in this process, and Redis) so
the next read is served from DynamoDB.
"""

from __future__ import annotations

import gc
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Trips:
    aws: Counter = field(default_factory=Counter)  # "dynamodb:GetItem" -> calls
    items_read: int = 0
    redis: int = 0
    status: int = 0

    @property
    def aws_calls(self) -> int:
        return sum(self.aws.values())

    def describe(self) -> str:
        ops = ", ".join(f"{op.split(':', 1)[1]} {n}" for op, n in sorted(self.aws.items())) or "none"
        return f"{self.aws_calls} AWS ({ops}); {self.items_read} items read; {self.redis} Redis"


_counting = threading.local()


@contextmanager
def _redis_counted() -> Iterator[list[int]]:
    from foodshare.redis_client import import_redis

    redis = import_redis()
    from redis.client import Pipeline

    count = [0]
    plain, batched = redis.Redis.execute_command, Pipeline.execute

    def execute_command(self, *args, **options):
        if getattr(_counting, "on", False):
            count[0] += 1
        return plain(self, *args, **options)

    def execute(self, *args, **kwargs):
        if getattr(_counting, "on", False) and len(self.command_stack):
            count[0] += 1
        return batched(self, *args, **kwargs)

    redis.Redis.execute_command, Pipeline.execute = execute_command, execute
    try:
        yield count
    finally:
        redis.Redis.execute_command, Pipeline.execute = plain, batched


def measure(function: str, event: dict) -> Trips:
    """Serve one API Gateway event through `function`'s handler and count what it sent."""
    from tests.infra.aws_calls import invoking, recording
    from tests.support.api import invoke

    operations: list = []
    with _redis_counted() as redis_count, recording(operations):
        _counting.on = True
        try:
            with invoking(function):
                answer = invoke(event, function)
        finally:
            _counting.on = False
    trips = Trips(redis=redis_count[0], status=int(answer["statusCode"]))
    for call in operations:
        if call.function != function:  # the outbox relay, fed by the stream in this process too
            continue
        trips.aws[call.operation] += 1
        trips.items_read += call.items_read
    return trips


def cold() -> None:
    """Forget every cached value: each cache type's L1 in this process, and Redis (versions included)."""
    from foodshare.cache.layered import Layered
    from foodshare.redis_client import get_client

    for obj in gc.get_objects():
        if isinstance(obj, Layered):
            obj.memory.clear()
    client = get_client()
    if client is not None:
        client.flushdb()
