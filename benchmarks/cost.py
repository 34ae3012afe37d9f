"""All-in cost of a request: dollars per million requests per route and blended per scenario mix.

One dated price table (`PRICES`, us-east-1, on-demand list prices, first tier) and the
measured use of each route (benchmarks.request_cost, committed in measured-durations.json
under `requests` and `consumer_requests`): the capacity plan (benchmarks.capacity) prices
its choices — memory, provisioned concurrency or SnapStart — with these same functions, so
the cost table and the plan cannot disagree (tests/perf/test_cost.py).

Per request of a route:
- **API Gateway** (HTTP API): one request (per 512 KB);
- **Lambda**: one request, and the duration billed (1 ms steps) at the function's memory on
  arm64: measured CPU stretched by the CPU share of that memory (a full vCPU at 1,769 MB),
  plus the network wait of each AWS call and Redis command (`CALL_MS`); at the provisioned
  rate on functions with provisioned concurrency. Cold starts: every environment started
  bills its INIT (import, measured) on demand, or a SnapStart restore (per GB) plus the
  after-restore work; environments start at the rate concurrency / `ENVIRONMENT_LIFETIME_S`;
- **DynamoDB**: the measured read and write request units (transactions doubled, index writes), at
  the on-demand price, or with provisioned capacity at the hourly unit price over the target
  utilisation auto scaling keeps (`dynamodb_unit_prices`);
- **Valkey** (ElastiCache Serverless): one ECPU per Redis command (each moves < 1 KB);
- **EventBridge**: each event put (64 KB chunks) and archived;
- **downstream**, for each event the route commits, every consumer whose rule matches it: SQS
  (EventBridge's send, and Lambda's receive and delete per batch), the consumer's Lambda
  request per batch and duration per record, its DynamoDB units, Redis commands and the events
  it emits in turn (with their own consumers).

Fixed monthly costs (provisioned concurrency, SnapStart caches, Valkey storage, NAT gateways,
VPC interface endpoints, idle queue polling, scheduled jobs, DynamoDB index minimum capacity) are spread over the month's requests at the planned load.
Not counted: CloudWatch (logs, metrics, alarms, X-Ray traces), KMS, Secrets Manager, DynamoDB
storage and backups, data transfer out: see docs/performance.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

PRICES_REGION = "us-east-1"
PRICES_DATE = "2026-12-01"
PRICES_SOURCE = ("AWS public pricing pages, list prices for us-east-1, on-demand, first tier: aws.amazon.com/"
                 "api-gateway/pricing, /lambda/pricing, /dynamodb/pricing/on-demand, /eventbridge/pricing, "
                 "/sqs/pricing, /elasticache/pricing (Serverless, Valkey), /vpc/pricing (NAT gateway), /privatelink/pricing (interface endpoints), "
                 "/dynamodb/pricing/provisioned")
PRICES = {
    "api_gateway_http_per_million": 1.00,  # first 300 M requests a month
    "lambda_requests_per_million": 0.20,
    "lambda_gb_second_arm": 0.0000133334,  # on-demand duration, and INIT since 2025-08-01
    "lambda_provisioned_gb_second_arm": 0.0000033334,  # provisioned concurrency kept, used or not
    "lambda_provisioned_duration_gb_second_arm": 0.0000077778,  # duration served by provisioned concurrency
    "lambda_snapstart_cache_gb_second": 0.0000015046,  # per published version, while it exists (min 3 h)
    "lambda_snapstart_restore_per_gb": 0.0001397998,  # per environment restored
    "dynamodb_read_per_million": 0.125,  # on-demand read request units
    "dynamodb_write_per_million": 0.625,  # on-demand write request units
    "dynamodb_provisioned_rcu_hour": 0.00013,  # provisioned read capacity unit, per hour (used or not)
    "dynamodb_provisioned_wcu_hour": 0.00065,  # provisioned write capacity unit, per hour (used or not)
    "eventbridge_events_per_million": 1.00,  # custom events put (64 KB chunks)
    "eventbridge_archive_per_gb": 0.10,  # events archived
    "sqs_per_million": 0.40,  # standard queue requests (64 KB chunks)
    "valkey_serverless_ecpu_per_million": 0.0023,
    "valkey_serverless_gb_hour": 0.084,  # data stored, at least 100 MB
    "nat_gateway_hour": 0.045,
    "vpc_interface_endpoint_hour": 0.01,  # per endpoint per AZ (X-Ray, Secrets Manager); the DynamoDB gateway is free
}

HOURS_PER_MONTH = 730
FULL_VCPU_MB = 1769  # Lambda gives a function one vCPU at this memory, a share of one below it
ARM_CPU_FACTOR = 1.0  # measured x86 CPU -> Graviton: taken as equal (per-core speed of Python code differs by ±15 %)
# Network wait per call (ms) on Lambda in the same region: DynamoDB single-digit ms, a transaction more.
CALL_MS = {"dynamodb:TransactWriteItems": 10.0, "dynamodb:BatchWriteItem": 6.0, "dynamodb:Query": 5.0,
           "dynamodb:BatchGetItem": 5.0, "events:PutEvents": 10.0}
DEFAULT_CALL_MS = 4.0
REDIS_MS = 0.5
ENVIRONMENT_LIFETIME_S = 3600.0  # an environment is replaced about hourly (Lambda recycles them; scaling adds more)
EVENT_KB = 1.0  # an event's size, for the archive
CACHE_STORED_GB = 1.0
SQS_IDLE_REQUESTS_PER_MONTH = 5 * 3 * 60 * HOURS_PER_MONTH  # 5 pollers, a 20 s long poll each, per queue
SCHEDULED_DURATION_MS = 50.0  # a scheduled run that finds nothing to do
CONSUMER_FILL_SECONDS = 0.1  # without a batching window, a poller's batch is what arrived in ~100 ms
CACHE_HIT_RATE = 0.9  # cached reads (benchmarks.cache_bench's browse-heavy mix: 91 %)
MISS = " (cache miss)"
# Provisioned DynamoDB capacity follows the load by target tracking at this utilisation (table and every
# index): a consumed unit costs the hourly price / 3,600 / this. A transaction still consumes two units.
DYNAMODB_TARGET_UTILISATION = 0.7
DYNAMODB_MODES = ("on_demand", "provisioned")
DOWNSTREAM_DEPTH = 3  # events emitted by consumers, and theirs, up to this depth


@dataclass(frozen=True)
class FunctionSetting:
    """How a function is deployed, as far as its cost goes."""

    memory_mb: int
    provisioned: bool = False  # requests served at the provisioned duration rate, no cold starts
    snap_start: bool = False


def gb(memory_mb: int) -> float:
    return memory_mb / 1024


def duration_ms(figures: dict, memory_mb: int) -> float:
    """Billed duration on Lambda: CPU at the memory's CPU share plus the network waits."""
    cpu = figures["cpu_ms"] * ARM_CPU_FACTOR * max(1.0, FULL_VCPU_MB / memory_mb)
    wait = sum(n * CALL_MS.get(op, DEFAULT_CALL_MS) for op, n in figures.get("calls", {}).items())
    return cpu + wait + figures.get("redis", 0) * REDIS_MS


def lambda_duration_cost(ms: float, setting: FunctionSetting) -> float:
    rate = PRICES["lambda_provisioned_duration_gb_second_arm" if setting.provisioned else "lambda_gb_second_arm"]
    return math.ceil(ms) / 1000 * gb(setting.memory_mb) * rate


def cold_start_cost(cold: dict | None, setting: FunctionSetting) -> float:
    """One environment started: INIT billed on demand, or a SnapStart restore and its after-restore work."""
    if setting.provisioned or not cold:
        return 0.0
    scale = ARM_CPU_FACTOR * max(1.0, FULL_VCPU_MB / setting.memory_mb)
    if setting.snap_start:
        after = cold.get("after_restore_ms", cold.get("first_event_ms", 0.0)) * scale
        return gb(setting.memory_mb) * PRICES["lambda_snapstart_restore_per_gb"] + \
            math.ceil(after) / 1000 * gb(setting.memory_mb) * PRICES["lambda_gb_second_arm"]
    return math.ceil(cold.get("import_ms", 0.0) * scale) / 1000 * gb(setting.memory_mb) * PRICES["lambda_gb_second_arm"]


@dataclass
class Breakdown:
    """Dollars per request, by service."""

    api_gateway: float = 0.0
    lambda_: float = 0.0
    dynamodb: float = 0.0
    valkey: float = 0.0
    eventbridge: float = 0.0
    sqs: float = 0.0
    fixed: float = 0.0

    def add(self, other: Breakdown, weight: float = 1.0) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + weight * getattr(other, name))

    @property
    def total(self) -> float:
        return sum(getattr(self, name) for name in self.__dataclass_fields__)

    def per_million(self) -> dict[str, float]:
        out = {name.rstrip("_"): round(getattr(self, name) * 1e6, 6) for name in self.__dataclass_fields__}
        out["total"] = round(self.total * 1e6, 6)
        return out


def dynamodb_unit_prices(mode: str = "on_demand") -> tuple[float, float]:
    """Dollars per consumed (read, write) unit: on demand per request; provisioned, capacity kept at
    DYNAMODB_TARGET_UTILISATION of what is consumed, hour by hour (auto scaling follows the load)."""
    if mode == "on_demand":
        return PRICES["dynamodb_read_per_million"] / 1e6, PRICES["dynamodb_write_per_million"] / 1e6
    if mode == "provisioned":
        unit_seconds = 3600 * DYNAMODB_TARGET_UTILISATION
        return (PRICES["dynamodb_provisioned_rcu_hour"] / unit_seconds,
                PRICES["dynamodb_provisioned_wcu_hour"] / unit_seconds)
    raise ValueError(f"DynamoDB capacity mode must be one of {DYNAMODB_MODES}, not {mode!r}")


def _service_use(figures: dict, dynamodb_mode: str = "on_demand") -> Breakdown:
    """DynamoDB, Valkey and EventBridge for one request's (or record's) measured figures."""
    read, write = dynamodb_unit_prices(dynamodb_mode)
    return Breakdown(
        dynamodb=figures.get("rru", 0) * read + (figures.get("wru", 0) + figures.get("index_wru", 0)) * write,
        valkey=figures.get("redis", 0) / 1e6 * PRICES["valkey_serverless_ecpu_per_million"],
        eventbridge=figures.get("events", 0) * (PRICES["eventbridge_events_per_million"] / 1e6
                                               + EVENT_KB / 1024 / 1024 * PRICES["eventbridge_archive_per_gb"]),
    )


@dataclass
class CostModel:
    """The measured figures and the deployment settings, priced."""

    requests: dict[str, dict]  # route -> figures (benchmarks.request_cost)
    consumer_requests: dict[str, dict]  # consumer -> figures per record (+ "batch")
    cold: dict[str, dict]  # function -> {"import_ms", "first_event_ms", "after_restore_ms"}
    settings: dict[str, FunctionSetting]  # every catalog function
    consumer_rates: dict[str, float] = field(default_factory=dict)  # records/s at the plan's load (batch fill)
    consumer_concurrency: dict[str, int] = field(default_factory=dict)
    environments_per_request: dict[str, float] = field(default_factory=dict)  # cold starts per request (or record)
    dynamodb_mode: str = "on_demand"  # the table's capacity mode (benchmarks.capacity chooses it per stage)

    def function_of(self, route: str) -> str:
        from foodshare.catalog import all_routes

        return {f"{r.method} {r.path}": name for name, r in all_routes()}[route.removesuffix(MISS)]

    def _figures(self, route: str) -> dict:
        """A cached route's figures weighed by the hit rate, others as measured."""
        if route + MISS not in self.requests:
            return self.requests[route]
        hit, miss = self.requests[route], self.requests[route + MISS]
        mixed = {k: CACHE_HIT_RATE * hit.get(k, 0) + (1 - CACHE_HIT_RATE) * miss.get(k, 0)
                 for k in ("cpu_ms", "rru", "wru", "index_wru", "events", "redis")}
        for counted in ("calls", "event_types"):
            mixed[counted] = {op: CACHE_HIT_RATE * hit.get(counted, {}).get(op, 0)
                              + (1 - CACHE_HIT_RATE) * miss.get(counted, {}).get(op, 0)
                              for op in {*hit.get(counted, {}), *miss.get(counted, {})}}
        return mixed

    def _lambda(self, function: str, figures: dict) -> float:
        setting = self.settings[function]
        return PRICES["lambda_requests_per_million"] / 1e6 + lambda_duration_cost(duration_ms(figures, setting.memory_mb),
                                                                                  setting) \
            + self.environments_per_request.get(function, 0.0) * cold_start_cost(self.cold.get(function), setting)

    def event_cost(self, event_type: str, depth: int = 0) -> Breakdown:
        """What one event of this type costs downstream: every consumer that receives it."""
        from foodshare.catalog import CONSUMERS

        total = Breakdown()
        if depth >= DOWNSTREAM_DEPTH:
            return total
        for consumer in CONSUMERS:
            if event_type not in consumer.event_types or consumer.name not in self.consumer_requests:
                continue
            figures = self.consumer_requests[consumer.name]
            batch = self.batch_size(consumer)
            setting = self.settings[consumer.name]
            record = _service_use(figures, self.dynamodb_mode)
            record.sqs = (1 + 2 / batch) / 1e6 * PRICES["sqs_per_million"]  # EventBridge's send; receive + delete
            record.lambda_ = PRICES["lambda_requests_per_million"] / 1e6 / batch \
                + lambda_duration_cost(duration_ms(figures, setting.memory_mb), setting) \
                + self.environments_per_request.get(consumer.name, 0.0) * cold_start_cost(self.cold.get(consumer.name),
                                                                                          setting)
            for emitted, count in figures.get("event_types", {}).items():
                record.add(self.event_cost(emitted, depth + 1), count)
            total.add(record)
        return total

    def batch_size(self, consumer) -> float:
        rate = self.consumer_rates.get(consumer.name, 0.0)
        pollers = max(1, self.consumer_concurrency.get(consumer.name, 1))
        fill = rate * max(consumer.max_batching_window_seconds, CONSUMER_FILL_SECONDS) / pollers
        return min(float(consumer.batch_size), max(1.0, fill))

    def route(self, route: str, downstream: bool = True) -> Breakdown:
        """Variable dollars of one request of `route`, with what its events cost downstream unless told not to."""
        figures = self._figures(route)
        cost = _service_use(figures, self.dynamodb_mode)
        cost.api_gateway = PRICES["api_gateway_http_per_million"] / 1e6
        cost.lambda_ = self._lambda(self.function_of(route), figures)
        if downstream:
            cost.add(self.downstream(route))
        return cost

    def downstream(self, route: str) -> Breakdown:
        """What the events one request of `route` commits cost in the consumers (and SQS)."""
        total = Breakdown()
        for event_type, count in self._figures(route).get("event_types", {}).items():
            total.add(self.event_cost(event_type), count)
        return total

    def per_message(self) -> CostModel:
        """This model with no CPU, no DynamoDB, no cache and no cold starts: what the architecture charges per
        message whatever the code does (API Gateway, each invocation's request charge, the events on the bus,
        the queues' requests at the same batches). Issue 15's goal is judged against it: a mix whose floor is
        above the goal cannot meet it by any change to the code."""
        def nothing_used(figures: dict) -> dict:
            return {**figures, "cpu_ms": 0.0, "calls": {}, "rru": 0.0, "wru": 0.0, "index_wru": 0.0, "redis": 0.0}

        return replace(self, requests={route: nothing_used(f) for route, f in self.requests.items()},
                       consumer_requests={name: nothing_used(f) for name, f in self.consumer_requests.items()},
                       environments_per_request={})

    def blended(self, shares: dict[str, float], fixed_per_request: float = 0.0) -> Breakdown:
        total = Breakdown()
        for route, share in shares.items():
            total.add(self.route(route), share)
        total.fixed = fixed_per_request
        return total


# -- fixed monthly costs ---------------------------------------------------------------------------


def snapstart_cache_monthly(memory_mb: int) -> float:
    return gb(memory_mb) * HOURS_PER_MONTH * 3600 * PRICES["lambda_snapstart_cache_gb_second"]


def provisioned_monthly(memory_mb: int, mean_provisioned: float) -> float:
    return gb(memory_mb) * mean_provisioned * HOURS_PER_MONTH * 3600 * PRICES["lambda_provisioned_gb_second_arm"]


def shared_fixed_monthly(nat_gateways: int, queues: int, scheduled: list[tuple[int, int]],
                         interface_endpoints: int = 0) -> dict[str, float]:
    """Valkey storage, NAT gateways, VPC interface endpoints (endpoint x AZ), idle queue polling, scheduled runs
    ((every_seconds, memory_mb) each)."""
    runs = [(HOURS_PER_MONTH * 3600 / every, memory) for every, memory in scheduled]
    return {
        "valkey_storage": max(CACHE_STORED_GB, 0.1) * HOURS_PER_MONTH * PRICES["valkey_serverless_gb_hour"],
        "nat_gateways": nat_gateways * HOURS_PER_MONTH * PRICES["nat_gateway_hour"],
        "vpc_interface_endpoints": interface_endpoints * HOURS_PER_MONTH * PRICES["vpc_interface_endpoint_hour"],
        "sqs_idle_polling": queues * SQS_IDLE_REQUESTS_PER_MONTH / 1e6 * PRICES["sqs_per_million"],
        "scheduled_jobs": sum(n * (PRICES["lambda_requests_per_million"] / 1e6 + math.ceil(SCHEDULED_DURATION_MS) / 1000
                                   * gb(memory) * PRICES["lambda_gb_second_arm"]) for n, memory in runs),
    }
