"""`make capacity`: size every function for a target load from measured durations (Little's law).

Inputs: `benchmarks/measured-durations.json` (per-route p50/p95 and per-record consumer
durations, written from bench-results.json by `--measure`), the scenarios' request
mixes (benchmarks.scenarios) and the catalog. For each case (default: daily_peak at
1000 requests/s and viral_growth at 50,000 concurrent users) every route gets its
requests/s; a function needs rate x duration concurrent executions. The prod stage
is sized for the larger of the cases: provisioned concurrency for latency-sensitive
functions, reserved concurrency, SQS consumer caps and the API throttle. `--write`
puts them into cdk.json (`stages.prod.capacity`); tests/perf checks that the
committed cdk.json equals the plan computed from the committed inputs.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import results
from benchmarks.scenarios import EVENTS_PER_REQUEST, SCENARIOS, SECONDS_BETWEEN_REQUESTS

DURATIONS_FILE = Path(__file__).resolve().parent / "measured-durations.json"
CDK_JSON = results.ROOT / "cdk.json"

# Sizing rules.
LAMBDA_DURATION_FACTOR = 2.0  # local in-process durations -> Lambda with DynamoDB over the network (until CloudWatch
#                               durations replace the measured file: same format)
TARGET_UTILISATION = 0.7  # provisioned concurrency target tracking (cdk.json defaults.provisioned)
HEADROOM = 2.0  # reserved concurrency over what the peak needs: a burst of twice the peak scales without throttling
OFF_PEAK_FRACTION = 0.25  # traffic outside the dinner peak, relative to the peak
PEAK_HOURS_PER_DAY = 4  # 16:30-20:30: the provisioned peak floor's window
MIN_RESERVED = {"api": 30, "consumer": 10}  # never below the stage defaults (a cold cache costs 10x the duration)
MIN_SQS_CONCURRENCY = 2  # the lowest MaximumConcurrency an SQS event source accepts
THROTTLE_HEADROOM = 1.2

# DynamoDB request units per request (reads, writes; transactional writes count double), estimated
# from each route's code path with a warm cache; routes not listed count DEFAULT_UNITS.
DYNAMODB_UNITS: dict[str, tuple[float, float]] = {
    "GET /food": (1, 0), "GET /food/{foodId}": (3, 0), "GET /users/{userId}/reputation": (3, 0),
    "POST /food": (2, 8), "POST /food/{foodId}/claims": (4, 12), "POST /exchanges/{exchangeId}/confirm": (3, 8),
    "POST /exchanges/{exchangeId}/cancel": (3, 10), "GET /groups/{groupId}/summary": (3, 0),
    "GET /groups/{groupId}": (2, 0), "POST /groups/{groupId}/invites": (1, 4),
}
DEFAULT_UNITS = (2.0, 2.0)
CONSUMER_UNITS_PER_EVENT = (1.0, 4.0)  # marker check, effect + processed marker (transactional)
# Redis commands per request: the rate limiter's script, plus discovery's versions read, plus a write's bumps.
CACHE_OPS_PER_REQUEST = 1.0
CACHE_OPS_EXTRA = {"GET /food": 2.0}
CACHE_OPS_PER_WRITE = 2.0

# List prices, eu-west-1, on-demand, USD, as read on the date below. One table: change it here.
PRICES_DATE = "2026-11-22"
PRICES = {
    "lambda_gb_second_arm": 0.0000133334,
    "lambda_requests_per_million": 0.20,
    "lambda_provisioned_gb_second_arm": 0.0000033334,  # kept warm, whether used or not
    "api_gateway_http_per_million": 1.11,
    "dynamodb_read_per_million": 0.1413,  # on-demand read request units
    "dynamodb_write_per_million": 0.7068,  # on-demand write request units
    "elasticache_serverless_gb_hour": 0.0837,  # Valkey, data stored
    "elasticache_serverless_ecpu_per_million": 0.0023,  # Valkey
    "sqs_per_million": 0.40,
    "eventbridge_events_per_million": 1.00,
}
HOURS_PER_MONTH = 730
CACHE_STORED_GB = 1.0


@dataclass(frozen=True)
class Case:
    scenario: str
    rps: float
    label: str


def default_cases(rps: float = 1000, viral_users: int = 50_000) -> list[Case]:
    return [Case("daily_peak", rps, f"daily_peak at {rps:g} req/s"),
            Case("viral_growth", viral_users / SECONDS_BETWEEN_REQUESTS,
                 f"viral_growth at {viral_users:,} concurrent users")]


@dataclass
class FunctionPlan:
    name: str
    kind: str  # api | consumer
    rps: float = 0.0  # requests (API) or records (consumer) per second
    steady: float = 0.0  # mean concurrency: rate x p50
    peak: float = 0.0  # rate x p95
    reserved: int = 0
    provisioned: dict | None = None  # {"min", "max", "peak_min"} for latency-sensitive functions
    max_concurrency: int | None = None  # SQS event source cap (consumers)
    cold_start_ms: float | None = None


@dataclass
class Plan:
    cases: list[Case]
    functions: dict[str, FunctionPlan]
    throttle_rate: int
    throttle_burst: int
    dynamodb_rru_per_s: float
    dynamodb_wru_per_s: float
    cache_ops_per_s: float
    events_per_s: float
    monthly_cost: dict[str, float] = field(default_factory=dict)


def load_durations(path: Path = DURATIONS_FILE) -> dict:
    return json.loads(path.read_text())


def _route_rates(case: Case) -> dict[str, float]:
    return {route: case.rps * share for route, share in SCENARIOS[case.scenario].route_shares().items()}


def _roundup(value: float, step: int) -> int:
    return int(math.ceil(value / step) * step) if value > 0 else step


def _size_api(fn: FunctionPlan, latency_sensitive: bool) -> None:
    peak_need = math.ceil(fn.peak / TARGET_UTILISATION) if fn.peak else 0
    if latency_sensitive:
        peak_min = max(1, math.ceil(fn.steady / TARGET_UTILISATION))
        fn.provisioned = {"min": max(1, math.ceil(peak_min * OFF_PEAK_FRACTION)),
                          "max": max(peak_min, peak_need), "peak_min": peak_min}
        peak_need = fn.provisioned["max"]
    fn.reserved = max(MIN_RESERVED["api"], _roundup(peak_need * HEADROOM, 5))


def _size_consumer(fn: FunctionPlan) -> None:
    fn.max_concurrency = max(MIN_SQS_CONCURRENCY, math.ceil(fn.peak / TARGET_UTILISATION))
    fn.reserved = max(MIN_RESERVED["consumer"], _roundup(fn.max_concurrency * HEADROOM, 5))


@dataclass
class Load:
    """What one case asks of every function and of the shared services, per second."""

    functions: dict[str, FunctionPlan]
    api_rps: float
    rru: float = 0.0
    wru: float = 0.0
    cache_ops: float = 0.0
    events: float = 0.0


def load_for(durations: dict, case: Case) -> Load:
    from foodshare.catalog import CONSUMERS, all_routes

    function_of = {f"{r.method} {r.path}": name for name, r in all_routes()}
    routes = durations["routes"]
    load = Load({}, case.rps)
    event_rates: dict[str, float] = {}
    for route, rate in _route_rates(case).items():
        if route not in routes:
            raise KeyError(f"{route} has no measured duration in {DURATIONS_FILE.name}: run make bench, then "
                           f"python -m benchmarks.capacity --measure")
        fn = load.functions.setdefault(function_of[route], FunctionPlan(function_of[route], "api"))
        fn.rps += rate
        fn.steady += rate * routes[route]["p50_ms"] * LAMBDA_DURATION_FACTOR / 1000
        fn.peak += rate * routes[route]["p95_ms"] * LAMBDA_DURATION_FACTOR / 1000
        reads, writes = DYNAMODB_UNITS.get(route, DEFAULT_UNITS)
        load.rru += rate * reads
        load.wru += rate * writes
        load.cache_ops += rate * (CACHE_OPS_PER_REQUEST + CACHE_OPS_EXTRA.get(route, 0)
                                  + (CACHE_OPS_PER_WRITE if writes else 0))
        for event_type, count in EVENTS_PER_REQUEST.get(route, {}).items():
            event_rates[event_type] = event_rates.get(event_type, 0.0) + rate * count
    load.events = sum(event_rates.values())
    for consumer in CONSUMERS:
        rate = sum(event_rates.get(t, 0.0) for t in consumer.event_types)
        per_record = durations["consumers"][consumer.name]["per_record_ms"] * LAMBDA_DURATION_FACTOR / 1000
        load.functions[consumer.name] = FunctionPlan(consumer.name, "consumer", rate, rate * per_record, rate * per_record)
        load.rru += rate * CONSUMER_UNITS_PER_EVENT[0]
        load.wru += rate * CONSUMER_UNITS_PER_EVENT[1]
    return load


def plan_for(durations: dict, cases: list[Case]) -> Plan:
    """Each function sized for the case that needs the most of it; cost with the first case as the daily peak."""
    from foodshare.catalog import API_FUNCTIONS

    loads = [load_for(durations, case) for case in cases]
    functions: dict[str, FunctionPlan] = {}
    for load in loads:
        for name, fn in load.functions.items():
            if name not in functions or fn.peak > functions[name].peak:
                functions[name] = fn
    latency_sensitive = {fn.name for fn in API_FUNCTIONS if fn.latency_sensitive}
    for fn in functions.values():
        fn.cold_start_ms = durations.get("cold_start_ms", {}).get(fn.name)
        if fn.kind == "api":
            _size_api(fn, fn.name in latency_sensitive)
        else:
            _size_consumer(fn)
    throttle = _roundup(max(load.api_rps for load in loads) * THROTTLE_HEADROOM, 100)
    plan = Plan(cases, dict(sorted(functions.items())), throttle, 2 * throttle,
                max(load.rru for load in loads), max(load.wru for load in loads),
                max(load.cache_ops for load in loads), max(load.events for load in loads))
    plan.monthly_cost = monthly_cost(plan, loads[0])
    return plan


def monthly_cost(plan: Plan, peak: Load, memory_gb: float = 1.0) -> dict[str, float]:
    """USD per month: `peak` for PEAK_HOURS_PER_DAY, OFF_PEAK_FRACTION of it the rest of the day."""
    seconds = HOURS_PER_MONTH * 3600 * (PEAK_HOURS_PER_DAY + (24 - PEAK_HOURS_PER_DAY) * OFF_PEAK_FRACTION) / 24
    requests = peak.api_rps * seconds
    lambda_gb_s = sum(fn.steady for fn in peak.functions.values()) * seconds * memory_gb
    provisioned_gb_s = sum(
        (fn.provisioned["min"] * (24 - PEAK_HOURS_PER_DAY) + fn.provisioned["peak_min"] * PEAK_HOURS_PER_DAY) / 24
        for fn in plan.functions.values() if fn.provisioned) * HOURS_PER_MONTH * 3600 * memory_gb
    cost = {
        "lambda": lambda_gb_s * PRICES["lambda_gb_second_arm"] + requests / 1e6 * PRICES["lambda_requests_per_million"]
        + provisioned_gb_s * PRICES["lambda_provisioned_gb_second_arm"],
        "api_gateway": requests / 1e6 * PRICES["api_gateway_http_per_million"],
        "dynamodb": peak.rru * seconds / 1e6 * PRICES["dynamodb_read_per_million"]
        + peak.wru * seconds / 1e6 * PRICES["dynamodb_write_per_million"],
        "cache": CACHE_STORED_GB * HOURS_PER_MONTH * PRICES["elasticache_serverless_gb_hour"]
        + peak.cache_ops * seconds / 1e6 * PRICES["elasticache_serverless_ecpu_per_million"],
        "events_and_queues": peak.events * seconds / 1e6 * (
            PRICES["eventbridge_events_per_million"] + 3 * PRICES["sqs_per_million"]),
    }
    cost["total"] = sum(cost.values())
    return {k: round(v, 2) for k, v in cost.items()}


# -- cdk.json --------------------------------------------------------------------------------


def prod_capacity(plan: Plan, current: dict) -> dict:
    """`stages.prod.capacity` with the plan's numbers; memory, timeouts and peak windows kept from `current`.

    API functions get per-function overrides; consumers share `defaults.consumer`, sized for the busiest one
    (so a consumer added to the catalog is covered before it is measured).
    """
    overrides = {}
    for fn in plan.functions.values():
        if fn.kind != "api":
            continue
        entry: dict = {"reserved_concurrency": fn.reserved}
        if fn.provisioned:
            window = current["functions"].get(fn.name, {}).get("provisioned", {}).get("peak", {})
            peak = {"min": fn.provisioned["peak_min"], "from": window.get("from", "16:30"),
                    "to": window.get("to", "20:30"), "time_zone": window.get("time_zone", "Europe/Berlin")}
            entry["provisioned"] = {"min": fn.provisioned["min"], "max": fn.provisioned["max"], "peak": peak}
        overrides[fn.name] = entry
    consumers = [fn for fn in plan.functions.values() if fn.kind == "consumer"]
    defaults = dict(current["defaults"])
    if consumers:
        defaults["consumer"] = {**defaults["consumer"],
                                "reserved_concurrency": max(fn.reserved for fn in consumers),
                                "max_concurrency": max(fn.max_concurrency for fn in consumers)}
    return {**current, "api": {"rate_limit": plan.throttle_rate, "burst_limit": plan.throttle_burst},
            "defaults": defaults, "functions": overrides}


def _compact(value, indent: int = 0) -> str:
    """JSON as cdk.json is written: small objects and lists on one line, larger ones spread out."""
    flat = json.dumps(value)
    if not isinstance(value, (dict, list)) or len(flat) + indent <= 100:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, list):
        return "[\n" + ",\n".join(pad + _compact(v, indent + 2) for v in value) + "\n" + " " * indent + "]"
    return "{\n" + ",\n".join(f"{pad}{json.dumps(k)}: {_compact(v, indent + 2)}" for k, v in value.items()) \
        + "\n" + " " * indent + "}"


def write_cdk_json(plan: Plan, path: Path = CDK_JSON) -> None:
    config = json.loads(path.read_text())
    stages = config["context"]["stages"]
    stages["prod"]["capacity"] = prod_capacity(plan, stages["prod"]["capacity"])
    path.write_text(_compact(config) + "\n")


# -- measured inputs -----------------------------------------------------------------------


def durations_from_bench(metrics: dict[str, float], machine: str, date: str) -> dict:
    """measured-durations.json from a bench-results.json: warm route times, consumer record times, cold starts."""
    routes = {}
    for name, value in metrics.items():
        if name.startswith("warm_p50_ms."):
            route = name.split(".", 1)[1]
            routes[route] = {"p50_ms": value, "p95_ms": metrics[f"warm_p95_ms.{route}"]}
    from foodshare.catalog import CONSUMERS

    return {
        "measured_on": date,
        "machine": machine,
        "source": "make bench (bench-results.json): warm in-process routes and consumer handlers per record",
        "routes": dict(sorted(routes.items())),
        "consumers": {c.name: {"per_record_ms": metrics[f"consumer_record_ms.{c.name}"]} for c in CONSUMERS},
        "cold_start_ms": {k.split(".", 1)[1]: v for k, v in sorted(metrics.items()) if k.startswith("cold_start_ms.")},
    }


def render(plan: Plan) -> str:
    lines = [f"Capacity plan for: {'; '.join(c.label for c in plan.cases)} (largest case per function)",
             f"durations: measured x {LAMBDA_DURATION_FACTOR:g}; provisioned target utilisation {TARGET_UTILISATION}; "
             f"reserved headroom x {HEADROOM}", "",
             f"{'function':<22}{'kind':<10}{'rate/s':>9}{'conc p50':>10}{'conc p95':>10}{'reserved':>10}"
             f"{'prov min/peak/max':>19}{'sqs max':>9}{'cold ms':>9}"]
    for fn in plan.functions.values():
        prov = f"{fn.provisioned['min']}/{fn.provisioned['peak_min']}/{fn.provisioned['max']}" if fn.provisioned else "-"
        lines.append(f"{fn.name:<22}{fn.kind:<10}{fn.rps:>9.1f}{fn.steady:>10.1f}{fn.peak:>10.1f}{fn.reserved:>10}"
                     f"{prov:>19}{fn.max_concurrency or '-':>9}{fn.cold_start_ms or 0:>9.0f}")
    lines += ["", f"API throttle: {plan.throttle_rate} req/s, burst {plan.throttle_burst}",
              f"DynamoDB at peak: {plan.dynamodb_rru_per_s:,.0f} read units/s, {plan.dynamodb_wru_per_s:,.0f} write units/s",
              f"cache at peak: {plan.cache_ops_per_s:,.0f} commands/s; bus: {plan.events_per_s:,.0f} events/s",
              f"monthly cost (USD, prices of {PRICES_DATE}, {plan.cases[0].label} as the daily peak): "
              + ", ".join(f"{k} {v:,.2f}" for k, v in plan.monthly_cost.items())]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rps", type=float, default=1000, help="daily_peak target rate")
    parser.add_argument("--viral-users", type=int, default=50_000)
    parser.add_argument("--write", action="store_true", help="put the plan into cdk.json stages.prod.capacity")
    parser.add_argument("--durations", type=Path, default=DURATIONS_FILE,
                        help="measured durations to plan from (e.g. a stress run's capacity-input.json)")
    parser.add_argument("--measure", action="store_true",
                        help="first replace measured-durations.json with bench-results.json's numbers")
    args = parser.parse_args()
    if args.measure:
        import datetime
        import os
        import platform

        machine = f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, Python {platform.python_version()}"
        DURATIONS_FILE.write_text(json.dumps(durations_from_bench(results.read(), machine,
                                                                  datetime.date.today().isoformat()), indent=2) + "\n")
        print(f"wrote {DURATIONS_FILE}")
    plan = plan_for(load_durations(args.durations), default_cases(args.rps, args.viral_users))
    print(render(plan))
    if args.write:
        write_cdk_json(plan)
        print(f"wrote stages.prod.capacity into {CDK_JSON}")


if __name__ == "__main__":
    main()
