"""Warm consumer cost per record: each consumer's handler fed the real SQS batches an exchange's lifecycle produces.

The after-commit relay puts the events on the bus, moto routes them to each
consumer's queue by its rule, and the local event source hands the batch to the
handler; only the handler call is timed. `consumer_record_ms.<name>` is handler time
per record (what the capacity plan multiplies by the event rate).
"""

from __future__ import annotations

import time

from benchmarks.world import World

ROUNDS = 10


def measure(world: World) -> dict[str, float]:
    from foodshare.catalog import CONSUMERS
    from tests.support import backbone
    from tests.support.event_source import SqsEventSource, function_invoker

    spent = {c.name: 0.0 for c in CONSUMERS}
    records = dict.fromkeys(spent, 0)
    sources = []
    for queue in backbone.create_consumer_queues():
        handler = function_invoker(queue.consumer.name)

        def timed(event: dict, name: str = queue.consumer.name, handler=handler) -> dict:
            started = time.perf_counter()
            answer = handler(event)
            spent[name] += (time.perf_counter() - started) * 1000
            records[name] += len(event["Records"])
            return answer

        sources.append(SqsEventSource(queue, timed))
    for _ in range(ROUNDS):
        world.completed()
        for source in sources:
            while source.poll().received:
                pass
    return {f"consumer_record_ms.{name}": spent[name] / records[name] for name in spent if records[name]}
