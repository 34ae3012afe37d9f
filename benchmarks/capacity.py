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

from benchmarks import cost, request_cost, results
from benchmarks.cost import HOURS_PER_MONTH
from benchmarks.scenarios import SCENARIOS, SECONDS_BETWEEN_REQUESTS

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
INTERFACE_ENDPOINTS = 2  # X-Ray and Secrets Manager (cdk/network.py; EventBridge's too only with outbox_delivery relay)
VPC_AZS = 2

# Memory the plan chooses from for an API function: the smallest whose slowest route in the mixes stays within
# API_DURATION_BUDGET_MS on Lambda (benchmarks.cost.duration_ms). Below 1,769 MB the CPU part of a request costs
# the same at any memory (half the memory, twice the time), so a smaller memory only saves on the network waits.
MEMORY_CHOICES = (512, 1024, 1769)
API_DURATION_BUDGET_MS = 100.0
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
    kind: str  # api | consumer | scheduled
    rps: float = 0.0  # requests (API) or records (consumer) per second
    steady: float = 0.0  # mean concurrency: rate x p50
    peak: float = 0.0  # rate x p95
    reserved: int = 0
    provisioned: dict | None = None  # {"min", "max", "peak_min"} when provisioned concurrency is chosen
    max_concurrency: int | None = None  # SQS event source cap (consumers)
    cold_start_ms: float | None = None
    memory_mb: int = 0
    snap_start: bool = True  # SnapStart unless provisioned concurrency is chosen (AWS allows one of the two)
    options: dict[str, float] = field(default_factory=dict)  # monthly USD of each cold-start option considered


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
    dynamodb: dict = field(default_factory=dict)  # the table's capacity mode and auto scaling bounds (_dynamodb_plan)
    monthly_cost: dict[str, float] = field(default_factory=dict)
    per_million: dict[str, dict[str, float]] = field(default_factory=dict)  # blended per scenario, by service
    floor_per_million: dict[str, float] = field(default_factory=dict)  # per scenario: per-message charges only
    route_per_million: dict[str, float] = field(default_factory=dict)  # daily_peak's routes, all-in variable
    route_breakdown: dict[str, dict[str, float]] = field(default_factory=dict)  # $/M: own services, downstream
    monthly_requests: float = 0.0


def load_durations(path: Path = DURATIONS_FILE) -> dict:
    return json.loads(path.read_text())


def _route_rates(case: Case) -> dict[str, float]:
    return {route: case.rps * share for route, share in SCENARIOS[case.scenario].route_shares().items()}


def _roundup(value: float, step: int) -> int:
    return int(math.ceil(value / step) * step) if value > 0 else step


def _provisioned_schedule(fn: FunctionPlan) -> dict:
    peak_need = math.ceil(fn.peak / TARGET_UTILISATION) if fn.peak else 0
    peak_min = max(1, math.ceil(fn.steady / TARGET_UTILISATION))
    return {"min": max(1, math.ceil(peak_min * OFF_PEAK_FRACTION)), "max": max(peak_min, peak_need),
            "peak_min": peak_min}


def _size_api(fn: FunctionPlan) -> None:
    peak_need = math.ceil(fn.peak / TARGET_UTILISATION) if fn.peak else 0
    if fn.provisioned:
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
    route_rates: dict[str, float] = field(default_factory=dict)
    rru: float = 0.0
    wru: float = 0.0  # table and index write units
    index_wru: float = 0.0  # of which index writes
    cache_ops: float = 0.0
    events: float = 0.0


def _model(durations: dict, settings: dict | None = None) -> cost.CostModel:
    return cost.CostModel(durations["requests"], durations["consumer_requests"], durations.get("cold", {}),
                          settings or {})


def load_for(durations: dict, case: Case) -> Load:
    """Concurrency from measured durations (Little's law); shared services from the measured use per request."""
    from foodshare.catalog import CONSUMERS, all_routes

    function_of = {f"{r.method} {r.path}": name for name, r in all_routes()}
    routes = durations["routes"]
    model = _model(durations)
    load = Load({}, case.rps)
    event_rates: dict[str, float] = {}
    for route, rate in _route_rates(case).items():
        if route not in routes or route not in durations["requests"]:
            raise KeyError(f"{route} has no measured duration or use in {DURATIONS_FILE.name}: run make bench, then "
                           f"python -m benchmarks.capacity --measure")
        load.route_rates[route] = rate
        fn = load.functions.setdefault(function_of[route], FunctionPlan(function_of[route], "api"))
        fn.rps += rate
        fn.steady += rate * routes[route]["p50_ms"] * LAMBDA_DURATION_FACTOR / 1000
        fn.peak += rate * routes[route]["p95_ms"] * LAMBDA_DURATION_FACTOR / 1000
        figures = model._figures(route)
        load.rru += rate * figures["rru"]
        load.wru += rate * (figures["wru"] + figures["index_wru"])
        load.index_wru += rate * figures["index_wru"]
        load.cache_ops += rate * figures["redis"]
        for event_type, count in figures.get("event_types", {}).items():
            event_rates[event_type] = event_rates.get(event_type, 0.0) + rate * count
    # consumers' own events (reputation_consumer emits ReputationChanged, ...), one level down
    for consumer in CONSUMERS:
        rate = sum(event_rates.get(t, 0.0) for t in consumer.event_types)
        for event_type, count in durations["consumer_requests"].get(consumer.name, {}).get("event_types", {}).items():
            event_rates[event_type] = event_rates.get(event_type, 0.0) + rate * count
    load.events = sum(event_rates.values())
    for consumer in CONSUMERS:
        rate = sum(event_rates.get(t, 0.0) for t in consumer.event_types)
        per_record = durations["consumers"][consumer.name]["per_record_ms"] * LAMBDA_DURATION_FACTOR / 1000
        load.functions[consumer.name] = FunctionPlan(consumer.name, "consumer", rate, rate * per_record, rate * per_record)
        use = durations["consumer_requests"].get(consumer.name, {})
        load.rru += rate * use.get("rru", 0)
        load.wru += rate * (use.get("wru", 0) + use.get("index_wru", 0))
        load.index_wru += rate * use.get("index_wru", 0)
        load.cache_ops += rate * use.get("redis", 0)
    return load


def month_seconds() -> float:
    """Seconds of the planned daily_peak rate in a month: the peak hours at it, OFF_PEAK_FRACTION of it otherwise."""
    return HOURS_PER_MONTH * 3600 * (PEAK_HOURS_PER_DAY + (24 - PEAK_HOURS_PER_DAY) * OFF_PEAK_FRACTION) / 24


def _mean_provisioned(provisioned: dict) -> float:
    return (provisioned["min"] * (24 - PEAK_HOURS_PER_DAY) + provisioned["peak_min"] * PEAK_HOURS_PER_DAY) / 24


def _choose_memory(durations: dict, name: str, routes: list[str]) -> int:
    model = _model(durations)
    for memory in MEMORY_CHOICES:
        if all(cost.duration_ms(model.requests[r + (cost.MISS if r + cost.MISS in model.requests else "")], memory)
               <= API_DURATION_BUDGET_MS for r in routes):
            return memory
    return MEMORY_CHOICES[-1]


def settings_from_cdk(stage_capacity: dict) -> dict[str, cost.FunctionSetting]:
    """Each catalog function's memory, provisioned concurrency and SnapStart as a stage's capacity block says."""
    from foodshare.catalog import API_FUNCTIONS, CONSUMERS, SCHEDULED_JOBS

    settings = {}
    for kind, entries in (("api", API_FUNCTIONS), ("consumer", CONSUMERS), ("scheduled", SCHEDULED_JOBS)):
        for entry in entries:
            merged = {**stage_capacity["defaults"][kind], **stage_capacity["functions"].get(entry.name, {})}
            settings[entry.name] = cost.FunctionSetting(merged["memory_mb"], "provisioned" in merged,
                                                        bool(merged.get("snap_start", False)))
    return settings


def _environments_per_request(load: Load, functions: dict[str, FunctionPlan]) -> dict[str, float]:
    """Cold starts per request (or record): mean environments alive / their lifetime, over the rate."""
    day_share = (PEAK_HOURS_PER_DAY + (24 - PEAK_HOURS_PER_DAY) * OFF_PEAK_FRACTION) / 24
    found = {}
    for name, fn in load.functions.items():
        if fn.rps:
            alive = max(1.0, functions.get(name, fn).steady * day_share)  # at least one environment all day
            found[name] = alive / cost.ENVIRONMENT_LIFETIME_S / (fn.rps * day_share)
    return found


def cost_model_for(durations: dict, plan: Plan, load: Load, settings: dict[str, cost.FunctionSetting]) -> cost.CostModel:
    model = _model(durations, settings)
    model.consumer_rates = {n: fn.rps for n, fn in load.functions.items() if fn.kind == "consumer"}
    model.consumer_concurrency = {n: fn.max_concurrency or 1 for n, fn in plan.functions.items() if fn.kind == "consumer"}
    model.environments_per_request = _environments_per_request(load, plan.functions)
    model.dynamodb_mode = plan.dynamodb.get("billing", "on_demand")
    return model


def _fixed_monthly(plan: Plan, settings: dict[str, cost.FunctionSetting], nat_gateways: int) -> dict[str, float]:
    from foodshare.catalog import CONSUMERS, SCHEDULED_JOBS

    fixed = cost.shared_fixed_monthly(nat_gateways, len(CONSUMERS),
                                      [(job.every_seconds, settings[job.name].memory_mb) for job in SCHEDULED_JOBS],
                                      INTERFACE_ENDPOINTS * VPC_AZS)
    fixed["provisioned_concurrency"] = sum(
        cost.provisioned_monthly(settings[name].memory_mb, _mean_provisioned(fn.provisioned))
        for name, fn in plan.functions.items() if fn.provisioned and settings[name].provisioned)
    fixed["snapstart_caches"] = sum(cost.snapstart_cache_monthly(s.memory_mb) for s in settings.values() if s.snap_start)
    fixed["dynamodb_index_minimums"] = _index_minimums_monthly(plan.dynamodb)
    return fixed


# DynamoDB capacity (issue 15): on demand, or provisioned with target-tracking auto scaling on the table and on
# every index, whichever costs less at the first case's load profile. Provisioned capacity is priced per consumed
# unit at cost.DYNAMODB_TARGET_UTILISATION (benchmarks.cost.dynamodb_unit_prices): the table's minimum is the
# off-peak need, so tracking never holds more than the load asks; each index's minimum (1 unit, AWS's least) is
# a fixed cost. Maximum: the larger case's peak need x HEADROOM (a ceiling, not a cost).
DYNAMODB_INDEX_MIN_UNITS = 1


def _dynamodb_bounds(off_peak_units: float, peak_units: float) -> dict:
    low = max(1, math.ceil(off_peak_units / cost.DYNAMODB_TARGET_UTILISATION))
    return {"min": low, "max": max(low, _roundup(peak_units / cost.DYNAMODB_TARGET_UTILISATION * HEADROOM, 10))}


def _index_minimums_monthly(dynamodb: dict) -> float:
    from foodshare.data import schema

    if dynamodb.get("billing") != "provisioned":
        return 0.0
    hourly = cost.PRICES["dynamodb_provisioned_rcu_hour"] + cost.PRICES["dynamodb_provisioned_wcu_hour"]
    return len(schema.INDEXES) * DYNAMODB_INDEX_MIN_UNITS * hourly * HOURS_PER_MONTH


def _dynamodb_plan(loads: list[Load]) -> dict:
    """The capacity mode that costs less for the first case's month, with the bounds auto scaling keeps to."""
    daily = loads[0]
    units = {"read": daily.rru * month_seconds(), "write": daily.wru * month_seconds()}
    options = {}
    for mode in cost.DYNAMODB_MODES:
        read, write = cost.dynamodb_unit_prices(mode)
        options[mode] = round(units["read"] * read + units["write"] * write
                              + _index_minimums_monthly({"billing": mode}), 2)
    if options["on_demand"] <= options["provisioned"]:
        return {"billing": "on_demand", "options": options}
    peak_read = max(load.rru for load in loads)
    peak_table_write = max(load.wru - load.index_wru for load in loads)
    peak_index_write = max(load.index_wru for load in loads)
    return {
        "billing": "provisioned", "options": options,
        "target_utilisation": cost.DYNAMODB_TARGET_UTILISATION,
        "table": {"read": _dynamodb_bounds(daily.rru * OFF_PEAK_FRACTION, peak_read),
                  "write": _dynamodb_bounds((daily.wru - daily.index_wru) * OFF_PEAK_FRACTION, peak_table_write)},
        # reads served by an index are not told apart from the table's: each index may grow to all of them
        "indexes": {"read": {"min": DYNAMODB_INDEX_MIN_UNITS, "max": _dynamodb_bounds(0, peak_read)["max"]},
                    "write": {"min": DYNAMODB_INDEX_MIN_UNITS, "max": _dynamodb_bounds(0, peak_index_write)["max"]}},
    }


def price(durations: dict, plan: Plan, load: Load, settings: dict[str, cost.FunctionSetting],
          nat_gateways: int) -> tuple[dict[str, dict[str, float]], dict[str, float], dict[str, float]]:
    """(blended $/M per scenario by service, daily_peak's $/M per route, fixed monthly by item) for `settings`."""
    model = cost_model_for(durations, plan, load, settings)
    fixed = _fixed_monthly(plan, settings, nat_gateways)
    requests = load.api_rps * month_seconds()
    fixed_per_request = sum(fixed.values()) / requests
    blended = {name: model.blended(scenario.route_shares(), fixed_per_request).per_million()
               for name, scenario in SCENARIOS.items()}
    routes = {route: round(model.route(route).total * 1e6, 4) for route in load.route_rates}
    return blended, routes, {k: round(v, 2) for k, v in fixed.items()}


def route_breakdown(durations: dict, plan: Plan, load: Load, settings: dict[str, cost.FunctionSetting]) -> dict:
    """$/M per route: the request's own services, and its events' consumers (SQS, Lambda, DynamoDB, ...)."""
    model = cost_model_for(durations, plan, load, settings)
    found = {}
    for route in load.route_rates:
        own = model.route(route, downstream=False).per_million()
        found[route] = {"api_gateway": own["api_gateway"], "lambda": own["lambda"], "dynamodb": own["dynamodb"],
                        "events": own["eventbridge"] + own["valkey"],
                        "downstream": round(model.downstream(route).total * 1e6, 4)}
    return found


def floor(durations: dict, plan: Plan, load: Load, settings: dict[str, cost.FunctionSetting]) -> dict[str, float]:
    """$/M per scenario that no code change can lower: the mix's API Gateway requests, invocations, events and
    queue requests, with no CPU, DynamoDB, cache or fixed cost (`cost.CostModel.per_message`)."""
    model = cost_model_for(durations, plan, load, settings).per_message()
    return {name: round(model.blended(scenario.route_shares()).total * 1e6, 4) for name, scenario in SCENARIOS.items()}


def _option_cost(durations: dict, load: Load, name: str, fn: FunctionPlan, setting: cost.FunctionSetting) -> float:
    """Monthly USD of running `name` at the daily_peak load with this setting: duration, cold starts, fixed part."""
    model = _model(durations, {name: setting})
    model.environments_per_request = _environments_per_request(load, {name: fn})
    seconds = month_seconds()
    total = 0.0
    for route, rate in load.route_rates.items():
        if model.function_of(route) == name:
            total += rate * seconds * model._lambda(name, model._figures(route))
    if setting.provisioned:
        total += cost.provisioned_monthly(setting.memory_mb, _mean_provisioned(_provisioned_schedule(fn)))
    if setting.snap_start:
        total += cost.snapstart_cache_monthly(setting.memory_mb)
    return total


def plan_for(durations: dict, cases: list[Case], nat_gateways: int = 2) -> Plan:
    """Each function sized for the case that needs the most of it; memory, and provisioned concurrency or
    SnapStart, chosen by cost at the first case (the daily peak), which also prices the plan."""
    from foodshare.catalog import API_FUNCTIONS

    loads = [load_for(durations, case) for case in cases]
    functions: dict[str, FunctionPlan] = {}
    for load in loads:
        for name, fn in load.functions.items():
            if name not in functions or fn.peak > functions[name].peak:
                functions[name] = fn
    daily = loads[0]
    routes_of = {fn.name: [f"{r.method} {r.path}" for r in fn.routes if f"{r.method} {r.path}" in daily.route_rates]
                 for fn in API_FUNCTIONS}
    for fn in functions.values():
        fn.cold_start_ms = durations.get("cold_start_ms", {}).get(fn.name)
        if fn.kind == "api":
            fn.memory_mb = _choose_memory(durations, fn.name, routes_of[fn.name])
            sized = daily.functions.get(fn.name, fn)
            fn.options = {
                "provisioned": _option_cost(durations, daily, fn.name, sized,
                                            cost.FunctionSetting(fn.memory_mb, provisioned=True)),
                "snap_start": _option_cost(durations, daily, fn.name, sized,
                                           cost.FunctionSetting(fn.memory_mb, snap_start=True)),
            }
            if fn.options["provisioned"] < fn.options["snap_start"]:
                fn.provisioned, fn.snap_start = _provisioned_schedule(fn), False
            _size_api(fn)
        else:
            _size_consumer(fn)
    throttle = _roundup(max(load.api_rps for load in loads) * THROTTLE_HEADROOM, 100)
    plan = Plan(cases, dict(sorted(functions.items())), throttle, 2 * throttle,
                max(load.rru for load in loads), max(load.wru for load in loads),
                max(load.cache_ops for load in loads), max(load.events for load in loads))
    plan.monthly_requests = daily.api_rps * month_seconds()
    plan.dynamodb = _dynamodb_plan(loads)
    settings = plan_settings(plan)
    plan.per_million, plan.route_per_million, fixed = price(durations, plan, daily, settings, nat_gateways)
    plan.route_breakdown = route_breakdown(durations, plan, daily, settings)
    plan.floor_per_million = floor(durations, plan, daily, settings)
    plan.monthly_cost = {service: round(value * plan.monthly_requests / 1e6, 2)
                         for service, value in plan.per_million[cases[0].scenario].items()}
    plan.monthly_cost["fixed_items"] = fixed
    return plan


def plan_settings(plan: Plan, defaults: dict | None = None) -> dict[str, cost.FunctionSetting]:
    """The settings the plan chooses: API functions with traffic as planned; the rest on SnapStart at the stage's
    default memory (consumers: asynchronous, a cold start delays no user)."""
    from foodshare.catalog import CONSUMERS, SCHEDULED_JOBS

    if defaults is None:
        prod = json.loads(CDK_JSON.read_text())["context"]["stages"]["prod"]["capacity"]["defaults"]
        defaults = {kind: prod[kind]["memory_mb"] for kind in ("api", "consumer", "scheduled")}
    settings = {name: cost.FunctionSetting(fn.memory_mb, fn.provisioned is not None, fn.snap_start)
                for name, fn in plan.functions.items() if fn.kind == "api"}
    for entry in CONSUMERS:
        settings[entry.name] = cost.FunctionSetting(defaults["consumer"], snap_start=True)
    for entry in SCHEDULED_JOBS:
        settings[entry.name] = cost.FunctionSetting(defaults["scheduled"], snap_start=True)
    from foodshare.catalog import API_FUNCTIONS

    for entry in API_FUNCTIONS:  # API functions with no traffic in the mixes (webhooks, docs, ...): the defaults
        settings.setdefault(entry.name, cost.FunctionSetting(defaults["api"], snap_start=True))
    return settings


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
        entry: dict = {"memory_mb": fn.memory_mb, "reserved_concurrency": fn.reserved, "snap_start": fn.snap_start}
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
    dynamodb = {k: v for k, v in plan.dynamodb.items() if k != "options"}
    return {**current, "api": {"rate_limit": plan.throttle_rate, "burst_limit": plan.throttle_burst},
            "defaults": defaults, "functions": overrides, "dynamodb": dynamodb}


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


def durations_from_bench(metrics: dict[str, float], machine: str, date: str, previous: dict | None = None) -> dict:
    """measured-durations.json from a bench-results.json: warm route times, consumer record times, cold starts, use per
    request. A block the run did not measure (`make bench BENCH_ARGS="--only cold cost"`) is kept from `previous`."""
    from foodshare.catalog import CONSUMERS

    previous = previous or {}
    routes = {}
    for name, value in metrics.items():
        if name.startswith("warm_p50_ms."):
            route = name.split(".", 1)[1]
            routes[route] = {"p50_ms": value, "p95_ms": metrics[f"warm_p95_ms.{route}"]}
    consumers = {c.name: {"per_record_ms": metrics[f"consumer_record_ms.{c.name}"]}
                 for c in CONSUMERS if f"consumer_record_ms.{c.name}" in metrics}
    cold_start = {k.split(".", 1)[1]: v for k, v in sorted(metrics.items()) if k.startswith("cold_start_ms.")}
    blocks = {
        "routes": dict(sorted(routes.items())),
        "consumers": consumers,
        "cold_start_ms": cold_start,
        "cold": _cold_from_bench(metrics),
        "requests": request_cost.unflatten(metrics, "request"),
        "consumer_requests": request_cost.unflatten(metrics, "consumer_request"),
    }
    return {"measured_on": date, "machine": machine,
            "source": "make bench (bench-results.json): warm in-process routes and consumer handlers per record, "
                      "cold starts, use of each billed service per request (benchmarks.request_cost)",
            **{name: block if block else previous.get(name, {}) for name, block in blocks.items()}}


def _cold_from_bench(metrics: dict[str, float]) -> dict[str, dict]:
    """Per function: import CPU (INIT without SnapStart) and the after-restore part (hooks + first event)."""
    found: dict[str, dict] = {}
    for metric, key in (("cold_import_ms", "import_ms"), ("cold_first_event_ms", "first_event_ms"),
                        ("cold_after_restore_ms", "after_restore_ms")):
        for name, value in metrics.items():
            if name.startswith(metric + "."):
                found.setdefault(name.split(".", 1)[1], {})[key] = value
    return dict(sorted(found.items()))


GOAL_PER_MILLION = 2.00  # all-in dollars per million requests at the daily_peak mix (issue 15)


def render(plan: Plan, compare: tuple[str, Plan] | None = None) -> str:
    lines = [f"Capacity plan for: {'; '.join(c.label for c in plan.cases)} (largest case per function)",
             f"durations: measured x {LAMBDA_DURATION_FACTOR:g}; provisioned target utilisation {TARGET_UTILISATION}; "
             f"reserved headroom x {HEADROOM}", "",
             f"{'function':<22}{'kind':<10}{'rate/s':>9}{'conc p50':>10}{'conc p95':>10}{'reserved':>10}"
             f"{'prov min/peak/max':>19}{'sqs max':>9}{'MB':>6}{'cold start':>12}{'$/mo prov':>11}{'$/mo snap':>11}"]
    for fn in plan.functions.values():
        prov = f"{fn.provisioned['min']}/{fn.provisioned['peak_min']}/{fn.provisioned['max']}" if fn.provisioned else "-"
        choice = "provisioned" if fn.provisioned else "SnapStart"
        options = (f"{fn.options['provisioned']:>11,.0f}{fn.options['snap_start']:>11,.0f}" if fn.options
                   else f"{'-':>11}{'-':>11}")
        lines.append(f"{fn.name:<22}{fn.kind:<10}{fn.rps:>9.1f}{fn.steady:>10.1f}{fn.peak:>10.1f}{fn.reserved:>10}"
                     f"{prov:>19}{fn.max_concurrency or '-':>9}{fn.memory_mb or '':>6}{choice:>12}{options}")
    lines += ["", f"API throttle: {plan.throttle_rate} req/s, burst {plan.throttle_burst}",
              f"DynamoDB at peak: {plan.dynamodb_rru_per_s:,.0f} read units/s, {plan.dynamodb_wru_per_s:,.0f} write units/s; "
              f"{plan.dynamodb['billing'].replace('_', '-')} capacity ($/month at {plan.cases[0].scenario}: "
              + ", ".join(f"{k.replace('_', '-')} {v:,.0f}" for k, v in plan.dynamodb["options"].items()) + ")"
              + (f"; auto scaling at {plan.dynamodb['target_utilisation']:.0%}, table read "
                 f"{plan.dynamodb['table']['read']['min']}-{plan.dynamodb['table']['read']['max']}, write "
                 f"{plan.dynamodb['table']['write']['min']}-{plan.dynamodb['table']['write']['max']}"
                 if plan.dynamodb["billing"] == "provisioned" else ""),
              f"cache at peak: {plan.cache_ops_per_s:,.0f} commands/s; bus: {plan.events_per_s:,.0f} events/s", "",
              f"Cost: prices of {cost.PRICES_DATE}, {cost.PRICES_REGION} ({cost.PRICES_SOURCE})",
              f"{plan.cases[0].label} for {PEAK_HOURS_PER_DAY} h a day, {OFF_PEAK_FRACTION:g} of it otherwise: "
              f"{plan.monthly_requests / 1e6:,.0f} M requests a month", "",
              f"{'$ per million requests, all-in':<44}" + "".join(f"{k:>12}" for k in plan.per_million["daily_peak"])]
    for name, row in plan.per_million.items():
        lines.append(f"{name + ' (plan)':<44}" + "".join(f"{v:>12.3f}" for v in row.values()))
        if compare:
            lines.append(f"{name + ' (' + compare[0] + ')':<44}"
                         + "".join(f"{v:>12.3f}" for v in compare[1].per_million[name].values()))
    goal = plan.per_million["daily_peak"]["total"]
    lines += ["", f"{'ok' if goal <= GOAL_PER_MILLION else 'OVER':4} daily_peak all-in ${goal:.3f} per million requests "
                  f"(goal <= ${GOAL_PER_MILLION:.2f})"
              + (f"; {compare[0]}: ${compare[1].per_million['daily_peak']['total']:.3f}" if compare else ""),
              f"     its floor, what the architecture charges per message (API Gateway, invocations, events, queue "
              f"requests; no CPU, DynamoDB, cache or fixed cost): ${plan.floor_per_million['daily_peak']:.3f} per million"
              + ("; the goal is below it" if plan.floor_per_million["daily_peak"] > GOAL_PER_MILLION else ""), "",
              f"{'route (daily_peak share; $/M, variable)':<50}{'API GW':>8}{'Lambda':>8}{'DynamoDB':>9}"
              f"{'bus+cache':>10}{'consumers':>10}{'total':>9}" + (f"{compare[0]:>10}" if compare else "")]
    shares = SCENARIOS[plan.cases[0].scenario].route_shares()
    for route, value in sorted(plan.route_per_million.items(), key=lambda kv: -kv[1]):
        parts = plan.route_breakdown.get(route, {})
        other = f"{compare[1].route_per_million.get(route, 0):>10.3f}" if compare else ""
        lines.append(f"{f'{route} ({shares[route]:.0%})':<50}{parts.get('api_gateway', 0):>8.3f}{parts.get('lambda', 0):>8.3f}"
                     f"{parts.get('dynamodb', 0):>9.3f}{parts.get('events', 0):>10.3f}{parts.get('downstream', 0):>10.3f}"
                     f"{value:>9.3f}{other}")
    lines += ["", "monthly (USD): " + ", ".join(f"{k} {v:,.2f}" for k, v in plan.monthly_cost.items() if k != "fixed_items"),
              "fixed items (USD/month): " + ", ".join(f"{k} {v:,.2f}" for k, v in plan.monthly_cost["fixed_items"].items())]
    return "\n".join(lines)


def priced_with(plan: Plan, durations: dict, stage_capacity: dict, nat_gateways: int = 2) -> Plan:
    """The same load priced with another deployment's settings (e.g. the cdk.json before a change)."""
    import copy

    other = copy.deepcopy(plan)
    settings = settings_from_cdk(stage_capacity)
    for name, fn in other.functions.items():
        override = stage_capacity["functions"].get(name, {})
        fn.provisioned = ({"min": override["provisioned"]["min"], "max": override["provisioned"]["max"],
                           "peak_min": override["provisioned"].get("peak", {}).get("min", override["provisioned"]["min"])}
                          if "provisioned" in override else None)
    daily = load_for(durations, plan.cases[0])
    other.dynamodb = stage_capacity.get("dynamodb", {"billing": "on_demand"})
    other.per_million, other.route_per_million, fixed = price(durations, other, daily, settings, nat_gateways)
    other.monthly_cost = {k: round(v * other.monthly_requests / 1e6, 2)
                          for k, v in other.per_million[plan.cases[0].scenario].items()}
    other.monthly_cost["fixed_items"] = fixed
    return other


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rps", type=float, default=1000, help="daily_peak target rate")
    parser.add_argument("--viral-users", type=int, default=50_000)
    parser.add_argument("--write", action="store_true", help="put the plan into cdk.json stages.prod.capacity")
    parser.add_argument("--durations", type=Path, default=DURATIONS_FILE,
                        help="measured durations to plan from (e.g. a stress run's capacity-input.json)")
    parser.add_argument("--measure", action="store_true",
                        help="first replace measured-durations.json with bench-results.json's numbers")
    parser.add_argument("--compare", metavar="LABEL=CDK_JSON",
                        help="also price the same load with another cdk.json's prod settings (e.g. before=/tmp/cdk.json)")
    args = parser.parse_args()
    if args.measure:
        import datetime

        machine = results.machine()
        previous = load_durations() if DURATIONS_FILE.exists() else None
        DURATIONS_FILE.write_text(json.dumps(durations_from_bench(results.read(), machine, datetime.date.today().isoformat(),
                                                                  previous), indent=2) + "\n")
        print(f"wrote {DURATIONS_FILE}")
    durations = load_durations(args.durations)
    plan = plan_for(durations, default_cases(args.rps, args.viral_users))
    compare = None
    if args.compare:
        label, _, path = args.compare.partition("=")
        other = json.loads(Path(path).read_text())["context"]["stages"]["prod"]["capacity"]
        compare = (label, priced_with(plan, durations, other))
    print(render(plan, compare))
    if args.write:
        write_cdk_json(plan)
        print(f"wrote stages.prod.capacity into {CDK_JSON}")


if __name__ == "__main__":
    main()
