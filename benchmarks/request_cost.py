"""What one request of each route (and one record of each consumer) uses of every billed service.

Measured, not estimated: every API route's sample request (benchmarks.world) is served by its
handler in this process against moto served over HTTP in a thread and the real Redis, and
every botocore call and Redis command the handler makes is recorded (`Recorder`):

- **function CPU** (`cpu_ms`): the handler's thread CPU time (`time.thread_time`), so moto's
  server threads are not counted; botocore's serialising, signing and parsing are (a Lambda
  does that work too);
- **AWS calls** by service and operation (`calls`), which the cost model turns into network
  wait (duration) with a per-operation latency;
- **DynamoDB capacity units** (`rru`, `wru`), computed from the items themselves as DynamoDB
  bills them (on-demand): a read 0.5 unit per 4 KB eventually consistent, 1 strongly consistent,
  2 in a transaction; a Query the size of all items it returned, rounded up once; a write
  1 unit per 1 KB of the larger of the item before and after, 2 in a transaction (a
  ConditionCheck too); plus one write per global secondary index whose key the item has
  before or after (two when the index key changes: a delete and a put; projection ALL).
  The item before and after a write are read with a recorder's own client, outside the CPU
  figure;
- **events put on the bus** (`events`: PutEvents entries);
- **Redis commands** (`redis`: commands, a pipeline's each, a script's EVALSHA one).

Each route: WARM_UP requests, then `samples` measured ones (averaged: the cost model needs
means, not percentiles). Consumers: the real SQS batches of whole exchanges, per record.
`python -m benchmarks.request_cost --out part.json`; `make capacity CAPACITY_ARGS=--measure`
copies the figures into measured-durations.json (`requests`, `consumer_requests`).
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from contextlib import contextmanager

from benchmarks import environment, results

WARM_UP = 2
READ_UNIT = 4096
WRITE_UNIT = 1024
WRITE_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem")


# -- item sizes, as DynamoDB counts them -----------------------------------------------------


def _value_size(value: dict) -> int:
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        digits = inner.lstrip("-").replace(".", "").lstrip("0") or "0"
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(inner) if isinstance(inner, bytes | bytearray) else len(str(inner))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(v.encode("utf-8")) for v in inner)
    if kind == "NS":
        return sum(_value_size({"N": v}) for v in inner)
    if kind == "BS":
        return sum(len(v) for v in inner)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + 1 + _value_size(v) for k, v in inner.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict | None) -> int:
    """Bytes of an item in the wire format: attribute names plus values."""
    return sum(len(name.encode("utf-8")) + _value_size(value) for name, value in (item or {}).items())


def read_units(size: int, consistent: bool = False, transactional: bool = False) -> float:
    units = math.ceil(max(size, 1) / READ_UNIT)
    return units * (2 if transactional else 1 if consistent else 0.5)


def write_units(before: dict | None, after: dict | None, indexes: dict[str, tuple[str, str]],
                transactional: bool = False) -> tuple[float, float]:
    """(table units, index units) of one item write that turns `before` into `after`."""
    table = math.ceil(max(item_size(before), item_size(after), 1) / WRITE_UNIT) * (2 if transactional else 1)
    index = 0.0
    for hash_key, range_key in indexes.values():
        old = (before or {}).get(hash_key), (before or {}).get(range_key)
        new = (after or {}).get(hash_key), (after or {}).get(range_key)
        was, now = None not in old, None not in new
        if was and now and old == new:
            index += math.ceil(max(item_size(after), 1) / WRITE_UNIT) if before != after else 0
        else:
            index += math.ceil(max(item_size(before), 1) / WRITE_UNIT) if was else 0
            index += math.ceil(max(item_size(after), 1) / WRITE_UNIT) if now else 0
    return table, index


# -- recording --------------------------------------------------------------------------------


class Recorder:
    """Every botocore call and Redis command of the recording thread while `active`."""

    def __init__(self, key_names: tuple[str, str], indexes: dict[str, tuple[str, str]]) -> None:
        self.key_names = key_names
        self.indexes = indexes
        self.thread = threading.get_ident()
        self.active = False
        self.reset()

    def reset(self) -> None:
        self.calls: Counter = Counter()
        self.rru = self.wru = self.index_wru = 0.0
        self.events = 0
        self.event_types: Counter = Counter()
        self.redis = 0
        self.overhead_s = 0.0  # CPU spent by the recorder's own look-ups

    def _mine(self) -> bool:
        return self.active and threading.get_ident() == self.thread

    @contextmanager
    def installed(self):
        import boto3
        from botocore.client import BaseClient
        from redis.client import Pipeline, Redis

        original_call, original_command, original_pipeline = (
            BaseClient._make_api_call, Redis.execute_command, Pipeline.execute)
        self._lookup_clients: dict = {}
        self._boto3 = boto3
        self._original_call = original_call
        recorder = self

        def call(client, operation, params):
            if not recorder._mine():
                return original_call(client, operation, params)
            service = client.meta.service_model.service_name
            recorder.calls[f"{service}:{operation}"] += 1
            if service == "dynamodb" and operation in (*WRITE_OPERATIONS, "TransactWriteItems", "BatchWriteItem"):
                recorder._lookup = recorder._lookup_client(client)
                befores = recorder._images(operation, params)
                answer = original_call(client, operation, params)
                recorder._count_writes(operation, params, befores)
                return answer
            answer = original_call(client, operation, params)
            if service == "dynamodb":
                recorder._count_reads(operation, params, answer)
            elif service == "events" and operation == "PutEvents":
                recorder.events += len(params.get("Entries", []))
                recorder.event_types.update(entry.get("DetailType", "?") for entry in params.get("Entries", []))
            return answer

        def command(client, *args, **options):
            if recorder._mine() and not isinstance(client, Pipeline):
                recorder.redis += 1
            return original_command(client, *args, **options)

        def pipeline(pipe, *args, **options):
            if recorder._mine():
                recorder.redis += len(pipe.command_stack)
            return original_pipeline(pipe, *args, **options)

        BaseClient._make_api_call, Redis.execute_command, Pipeline.execute = call, command, pipeline
        try:
            yield self
        finally:
            BaseClient._make_api_call, Redis.execute_command, Pipeline.execute = (
                original_call, original_command, original_pipeline)

    # DynamoDB capacity

    def _lookup_client(self, caller):
        """A client of our own to read items before and after a write, where the caller's client points."""
        where = (caller.meta.region_name, caller.meta.endpoint_url)
        if where not in self._lookup_clients:
            self._lookup_clients[where] = self._boto3.client("dynamodb", region_name=where[0], endpoint_url=where[1])
        return self._lookup_clients[where]

    def _get(self, table: str, key: dict) -> dict | None:
        started = time.thread_time()
        try:
            return self._original_call(self._lookup, "GetItem",
                                       {"TableName": table, "Key": key, "ConsistentRead": True}).get("Item")
        finally:
            self.overhead_s += time.thread_time() - started

    def _key(self, item: dict) -> dict:
        return {name: item[name] for name in self.key_names}

    def _writes(self, operation: str, params: dict) -> list[tuple[str, str, dict]]:
        """(kind, table, key) of each item a write call touches."""
        if operation == "TransactWriteItems":
            found = []
            for entry in params["TransactItems"]:
                (kind, body), = entry.items()
                key = self._key(body["Item"]) if kind == "Put" else body["Key"]
                found.append((kind, body["TableName"], key))
            return found
        if operation == "BatchWriteItem":
            return [("Put" if "PutRequest" in r else "Delete", table,
                     self._key(r["PutRequest"]["Item"]) if "PutRequest" in r else r["DeleteRequest"]["Key"])
                    for table, requests in params["RequestItems"].items() for r in requests]
        key = self._key(params["Item"]) if operation == "PutItem" else params["Key"]
        return [(operation.removesuffix("Item"), params["TableName"], key)]

    def _images(self, operation: str, params: dict) -> list[dict | None]:
        return [self._get(table, key) for _, table, key in self._writes(operation, params)]

    def _count_writes(self, operation: str, params: dict, befores: list[dict | None]) -> None:
        transactional = operation == "TransactWriteItems"
        for (kind, table, key), before in zip(self._writes(operation, params), befores):
            if kind == "ConditionCheck":
                self.wru += write_units(before, before, {}, transactional)[0]
                continue
            after = self._get(table, key)
            table_units, index_units = write_units(before, after, self.indexes, transactional)
            self.wru += table_units
            self.index_wru += index_units

    def _count_reads(self, operation: str, params: dict, answer: dict) -> None:
        if operation == "GetItem":
            self.rru += read_units(item_size(answer.get("Item")), params.get("ConsistentRead", False))
        elif operation == "BatchGetItem":
            for table, items in answer.get("Responses", {}).items():
                consistent = params["RequestItems"][table].get("ConsistentRead", False)
                self.rru += sum(read_units(item_size(item), consistent) for item in items)
                missing = len(params["RequestItems"][table]["Keys"]) - len(items)
                self.rru += missing * read_units(0, consistent)
        elif operation in ("Query", "Scan"):
            items = answer.get("Items", [])
            size = sum(item_size(item) for item in items)
            if items and answer.get("ScannedCount", 0) > len(items):  # a filter: the scanned items are billed
                size = size * answer["ScannedCount"] / len(items)
            self.rru += read_units(int(size), params.get("ConsistentRead", False))
        elif operation == "TransactGetItems":
            self.rru += sum(read_units(item_size(r.get("Item")), transactional=True) for r in answer.get("Responses", []))

    def figures(self, cpu_s: float) -> dict:
        return {"cpu_ms": (cpu_s - self.overhead_s) * 1000, "rru": self.rru, "wru": self.wru,
                "index_wru": self.index_wru, "events": self.events, "redis": self.redis, "calls": dict(self.calls),
                "event_types": dict(self.event_types)}


@contextmanager
def _measured(recorder: Recorder):
    recorder.reset()
    recorder.active = True
    started = time.thread_time()
    figures: dict = {}
    try:
        yield figures
    finally:
        spent = time.thread_time() - started
        recorder.active = False
        figures.update(recorder.figures(spent))


COUNTED = ("calls", "event_types")


def _mean(samples: list[dict]) -> dict:
    mean = {key: round(sum(s[key] for s in samples) / len(samples), 3)
            for key in ("cpu_ms", "rru", "wru", "index_wru", "events", "redis")}
    for name in COUNTED:
        counted: Counter = Counter()
        for sample in samples:
            counted.update(sample[name])
        mean[name] = {k: round(v / len(samples), 3) for k, v in sorted(counted.items())}
    return mean


# Routes that read through the cache: also measured with an empty cache (`<route> (cache miss)`); the cost
# model weighs the two by the cache's hit rate.
CACHED_ROUTES = ("GET /food", "GET /groups/{groupId}/summary", "GET /groups/{groupId}/leaderboard")
MISS = " (cache miss)"


def measure_routes(world, recorder: Recorder, samples: int) -> dict[str, dict]:
    from benchmarks.world import request_for, route_keys, to_event
    from tests.support.api import invoke

    found = {}
    keys = route_keys()
    keys[:0] = [key + MISS for key in CACHED_ROUTES if key in keys]  # first: some routes move the clock on
    for key in keys:
        measured = []
        with environment.heap_as_deployed():
            for i in range(WARM_UP + samples):
                function, event = to_event(request_for(key.removesuffix(MISS), world))
                if key.endswith(MISS):
                    environment.flush_redis()
                with _measured(recorder) as figures:
                    answer = invoke(event, function)
                if int(answer["statusCode"]) >= 500:
                    raise RuntimeError(f"{key} answered {answer['statusCode']}")
                if i >= WARM_UP:
                    measured.append(figures)
        found[key] = _mean(measured)
    return found


def measure_consumers(world, recorder: Recorder, rounds: int = 4) -> dict[str, dict]:
    """Per record of each consumer: the real batches of `rounds` whole exchanges (claimed, confirmed twice)."""
    from foodshare.catalog import CONSUMERS

    from tests.support import backbone
    from tests.support.event_source import SqsEventSource, function_invoker

    totals: dict[str, list[dict]] = {c.name: [] for c in CONSUMERS}
    records: Counter = Counter()
    sources = []
    for queue in backbone.create_consumer_queues():
        handler = function_invoker(queue.consumer.name)

        def measured(event: dict, name: str = queue.consumer.name, handler=handler) -> dict:
            with _measured(recorder) as figures:
                answer = handler(event)
            totals[name].append(figures)
            records[name] += len(event["Records"])
            return answer

        sources.append(SqsEventSource(queue, measured))
    with environment.heap_as_deployed():
        for _ in range(rounds):
            world.completed()
            for source in sources:
                while source.poll().received:
                    pass
    per_record = {}
    for name, batches in totals.items():
        if records[name]:
            summed = _mean(batches)
            per_record[name] = {k: (round(v * len(batches) / records[name], 3) if not isinstance(v, dict) else
                                    {op: round(n * len(batches) / records[name], 3) for op, n in v.items()})
                                for k, v in summed.items()}
            per_record[name]["batch"] = round(records[name] / len(batches), 3)
    return per_record


def measure(samples: int = 5) -> dict[str, float]:
    """Flat metrics for bench-results.json: `request.<route>.<figure>` and `consumer_request.<name>.<figure>`."""
    environment.configure()
    environment.flush_redis()
    with environment.moto_server():
        from foodshare.data.schema import HASH_KEY, INDEXES, RANGE_KEY

        from benchmarks.world import World

        world = World.build(posts=10)
        recorder = Recorder((HASH_KEY, RANGE_KEY), INDEXES)
        with recorder.installed():
            consumers = measure_consumers(world, recorder)
            routes = measure_routes(world, recorder, samples)
    return flatten(routes, consumers)


def flatten(routes: dict[str, dict], consumers: dict[str, dict]) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for prefix, found in (("request", routes), ("consumer_request", consumers)):
        for name, figures in found.items():
            for key, value in figures.items():
                if isinstance(value, dict):
                    metrics.update({f"{prefix}.{name}.{key}.{op}": n for op, n in value.items()})
                else:
                    metrics[f"{prefix}.{name}.{key}"] = value
    return metrics


def unflatten(metrics: dict[str, float], prefix: str) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for key, value in metrics.items():
        if not key.startswith(prefix + "."):
            continue
        rest = key[len(prefix) + 1:]
        counted = next((c for c in COUNTED if f".{c}." in rest), None)
        if counted:
            name, op = rest.split(f".{counted}.", 1)
            found.setdefault(name, {c: {} for c in COUNTED})[counted][op] = value
        else:
            name, figure = rest.rsplit(".", 1)
            found.setdefault(name, {c: {} for c in COUNTED})[figure] = value
    return dict(sorted(found.items()))


def main() -> None:
    results.section_cli(__doc__.splitlines()[0], measure, "samples", 5)


if __name__ == "__main__":
    main()
