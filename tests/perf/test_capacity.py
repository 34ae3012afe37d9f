"""The capacity planner's arithmetic, and cdk.json's prod scaling equal to the plan from the committed inputs."""

from __future__ import annotations

import json
import math

import pytest

from benchmarks import capacity
from benchmarks.capacity import Case, plan_for
from benchmarks.scenarios import SCENARIOS
from foodshare.catalog import CONSUMERS, all_routes


def _durations(p50: float = 10.0, p95: float = 20.0, per_record: float = 50.0) -> dict:
    events = {"POST /food": {"FoodShared": 1.0}, "POST /food/{foodId}/claims": {"FoodClaimed": 1.0}}
    use = {"cpu_ms": 5.0, "rru": 1.0, "wru": 0.0, "index_wru": 0.0, "events": 0.0, "redis": 1.0,
           "calls": {"dynamodb:GetItem": 1.0}, "event_types": {}}
    return {"routes": {f"{r.method} {r.path}": {"p50_ms": p50, "p95_ms": p95} for _, r in all_routes()},
            "consumers": {c.name: {"per_record_ms": per_record} for c in CONSUMERS},
            "requests": {key: {**use, "event_types": events.get(key, {}), "events": sum(events.get(key, {}).values()),
                               "wru": 4.0 if key in events else 0.0}
                         for key in (f"{r.method} {r.path}" for _, r in all_routes())},
            "consumer_requests": {c.name: {**use, "wru": 2.0} for c in CONSUMERS}}


def test_concurrency_is_rate_times_duration():
    plan = plan_for(_durations(), [Case("daily_peak", 1000, "test")])
    discovery = plan.functions["discovery"]
    share = SCENARIOS["daily_peak"].route_shares()["GET /food"]
    assert discovery.rps == pytest.approx(1000 * share)
    assert discovery.steady == pytest.approx(1000 * share * 10 * capacity.LAMBDA_DURATION_FACTOR / 1000)
    assert discovery.peak == pytest.approx(1000 * share * 20 * capacity.LAMBDA_DURATION_FACTOR / 1000)


def test_scenario_shares_cover_all_requests():
    for scenario in SCENARIOS.values():
        assert sum(scenario.route_shares().values()) == pytest.approx(1.0)


def test_provisioned_concurrency_where_it_is_cheaper_than_snapstart_inside_the_reserve():
    plan = plan_for(_durations(), [Case("daily_peak", 1000, "test")])
    for fn in plan.functions.values():
        if fn.kind != "api":
            continue
        assert (fn.provisioned is not None) == (fn.options["provisioned"] < fn.options["snap_start"]), fn.name
        assert fn.snap_start == (fn.provisioned is None)
        if fn.provisioned:
            assert fn.provisioned["peak_min"] == math.ceil(fn.steady / capacity.TARGET_UTILISATION)
            assert fn.provisioned["min"] <= fn.provisioned["peak_min"] <= fn.provisioned["max"] <= fn.reserved
    assert plan.functions["discovery"].provisioned  # busy: kept warm at 70 % utilisation costs less than on demand
    low = plan_for(_durations(), [Case("daily_peak", 1, "quiet")])
    assert all(fn.provisioned is None for fn in low.functions.values())  # quiet: one warm environment costs more


def test_each_function_is_sized_for_the_case_that_needs_most_of_it():
    small, large = Case("daily_peak", 100, "small"), Case("daily_peak", 1000, "large")
    assert plan_for(_durations(), [small, large]).functions["discovery"].reserved == \
        plan_for(_durations(), [large]).functions["discovery"].reserved
    assert plan_for(_durations(), [small, large]).throttle_rate == 1200


def test_consumers_get_a_capped_sqs_concurrency_from_the_events_the_mix_commits():
    plan = plan_for(_durations(per_record=100), [Case("sustained_growth", 1000, "test")])
    shares = SCENARIOS["sustained_growth"].route_shares()
    shared_per_s = 1000 * shares["POST /food"]  # FoodShared: one per share
    read_models = plan.functions["read_models"]
    assert read_models.rps >= shared_per_s
    assert read_models.max_concurrency == max(2, math.ceil(read_models.peak / capacity.TARGET_UTILISATION))
    assert read_models.max_concurrency <= read_models.reserved


def test_cost_grows_with_the_rate_and_adds_up():
    low = plan_for(_durations(), [Case("daily_peak", 100, "low")]).monthly_cost
    high = plan_for(_durations(), [Case("daily_peak", 1000, "high")]).monthly_cost
    assert high["api_gateway"] == pytest.approx(10 * low["api_gateway"], rel=0.01)
    # (each item rounded to cents)
    assert high["total"] == pytest.approx(sum(v for k, v in high.items() if k not in ("total", "fixed_items")), abs=0.05)
    assert high["fixed"] == pytest.approx(sum(high["fixed_items"].values()), abs=0.05)


def test_a_route_without_a_measured_duration_is_refused():
    durations = _durations()
    del durations["routes"]["GET /food"]
    with pytest.raises(KeyError, match="GET /food"):
        plan_for(durations, [Case("daily_peak", 1000, "test")])


def test_committed_prod_scaling_is_the_plan_from_the_committed_measurements():
    """cdk.json cannot drift from the plan: regenerate with `make capacity CAPACITY_ARGS=--write`."""
    stages = json.loads(capacity.CDK_JSON.read_text())["context"]["stages"]
    committed = stages["prod"]["capacity"]
    plan = plan_for(capacity.load_durations(), capacity.default_cases())
    assert committed == capacity.prod_capacity(plan, committed)


def test_dynamodb_capacity_mode_is_the_cheaper_at_the_load_and_auto_scaling_covers_the_peak():
    busy = plan_for(_durations(), [Case("daily_peak", 1000, "busy")])
    options = busy.dynamodb["options"]
    assert busy.dynamodb["billing"] == min(options, key=options.get) == "provisioned"
    load = capacity.load_for(_durations(), Case("daily_peak", 1000, "busy"))
    table = busy.dynamodb["table"]
    for kind, peak in (("read", load.rru), ("write", load.wru - load.index_wru)):
        bounds = table[kind]
        assert bounds["min"] == max(1, math.ceil(peak * capacity.OFF_PEAK_FRACTION / 0.7))  # the off-peak need
        assert bounds["max"] * 0.7 >= peak * capacity.HEADROOM  # the peak, twice over
    # a quiet stage: the indexes' minimum capacity alone costs more than its few requests on demand
    quiet = plan_for(_durations(), [Case("daily_peak", 0.001, "quiet")])
    assert quiet.dynamodb["billing"] == "on_demand" and "table" not in quiet.dynamodb
    assert quiet.dynamodb["options"]["on_demand"] < quiet.dynamodb["options"]["provisioned"]
