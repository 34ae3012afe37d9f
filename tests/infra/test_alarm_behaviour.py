"""The prod alarms as synthesized, fed synthetic per-minute metric series (tests/infra/alarm_eval.py).

Each scenario says what the traffic did; the assertions say which alarm must (or must
not) reach ALARM and when. Numbers about the SLO come from foodshare.slo, thresholds
of the seed alarms from the synthesized stage config, never from this file.
"""

from __future__ import annotations

import math

import pytest
from foodshare import slo

from cdk.slo_alarms import window_label
from tests.infra.alarm_eval import ALARM, OK, Evaluator, MetricRef, first

REQUESTS_PER_MINUTE = 1000.0
HOUR, DAY = 60, 1440
PAGE = "foodshare-prod-page-api-availability"
TICKET = "foodshare-prod-ticket-api-availability"
# long and short window alarm of each pair, in foodshare.slo's order: 1h-14.4x, 5m-14.4x, 6h-6x, 30m-6x, 3d-1x, 6h-1x
BURN = [
    f"foodshare-prod-burn-{window_label(seconds)}-{w.burn_rate:g}x"
    for w in slo.BURN_WINDOWS
    for seconds in (w.long_seconds, w.short_seconds)
]


@pytest.fixture(scope="module")
def evaluator(prod) -> Evaluator:
    return Evaluator(prod.resources)


class Traffic:
    """Per-minute series by metric: API requests and 5xx, API p95, Lambda p95 per function,
    cache hits/misses per level, queue gauges. Unset metrics have no data."""

    def __init__(self, minutes: int, prod):
        self.minutes, self.prod = minutes, prod
        self.series: dict[tuple, list] = {}

    def set(self, namespace: str, name: str, values, **dims) -> Traffic:
        self.series[(namespace, name, tuple(sorted(dims.items())))] = list(values)
        return self

    def error_rates(self, rates: list[float]) -> Traffic:
        self.set("AWS/ApiGateway", "Count", [REQUESTS_PER_MINUTE] * len(rates))
        return self.set("AWS/ApiGateway", "5xx", [REQUESTS_PER_MINUTE * r for r in rates])

    def __call__(self, ref: MetricRef) -> list:
        dims = ref.dimension_ids()
        for (namespace, name, wanted), values in self.series.items():
            if (namespace, name) == (ref.namespace, ref.name) and all(dims.get(k) == v for k, v in wanted):
                return values
        return [None] * self.minutes


def rates(minutes: int, base: float = 0.0, **spans: tuple[int, int, float]) -> list[float]:
    """`base` error rate everywhere, `spans` = (start, length, rate) overriding it."""
    out = [base] * minutes
    for start, length, rate in spans.values():
        out[start : start + length] = [rate] * length
    return out


def test_the_alarms_are_generated_from_the_slo_module(evaluator):
    """Thresholds and windows of the burn-rate alarms are foodshare.slo's; only composites notify."""
    names = {a.name: a for a in evaluator.alarms.values()}
    for name, window in zip(BURN, [w for w in slo.BURN_WINDOWS for _ in (0, 1)], strict=True):
        alarm = names[name]
        assert alarm.threshold == window.burn_rate
        assert (alarm.evaluation_periods, alarm.datapoints_to_alarm, alarm.treat_missing) == (1, 1, "notBreaching")
        assert not alarm.actions, f"{name} is an input of a composite and must not notify itself"
        budget = f"{slo.AVAILABILITY.budget:.6g}"
        assert budget in str(alarm.expression)
    assert names[BURN[0]].period_minutes == slo.BURN_WINDOWS[0].long_seconds // 60
    assert names[BURN[4]].period_minutes == slo.BURN_WINDOWS[2].long_seconds // 60
    # CloudWatch: an alarm's evaluation range (period x evaluation periods) is at most 7 days
    # for periods of an hour or more, 1 day below; and at most 10 metrics per alarm.
    for alarm in evaluator.alarms.values():
        limit = 7 * DAY if alarm.period_minutes >= HOUR else DAY
        assert alarm.period_minutes * alarm.evaluation_periods <= limit, alarm.name
        assert len(alarm.inputs) <= 10
    assert evaluator.by_name(PAGE).actions and evaluator.by_name(TICKET).actions


def test_two_percent_errors_for_an_hour_pages_within_the_workbooks_detection_time(evaluator, prod):
    start, minutes = 6 * HOUR, 8 * HOUR  # six healthy hours first: the 6 h window is full
    traffic = Traffic(minutes, prod).error_rates(rates(minutes, outage=(start, HOUR, 0.02)))
    states = evaluator.run(traffic, minutes, names=[PAGE, TICKET])
    pair = slo.BURN_WINDOWS[0]
    detection = pair.detection_seconds(0.02, slo.AVAILABILITY.budget) / 60  # 43.2 minutes
    paged = first(states[PAGE])
    assert paged is not None, "a 2 % error rate for an hour never paged"
    # Minute `paged` is the (paged - start + 1)th minute of errors: data comes by the minute.
    assert paged - start + 1 <= math.ceil(detection)
    assert paged - start + 1 > detection - 1, "paged earlier than the 1 h window allows: the pair is not AND-ed"
    assert all(s == OK for s in states[PAGE][:start])
    # The short window clears the page soon after the errors stop (the 6 h pair, at 3.3x, stays under).
    back = first(states[PAGE][start + HOUR :], OK)
    assert back is not None and back <= pair.short_seconds // 60


def test_half_the_budget_rate_never_alerts(evaluator, prod):
    """0.05 % errors (burn 0.5) for four days: no page, no ticket."""
    minutes = 4 * DAY
    traffic = Traffic(minutes, prod).error_rates([0.0005] * minutes)
    states = evaluator.run(traffic, minutes, names=[PAGE, TICKET])
    assert first(states[PAGE]) is None and first(states[TICKET]) is None


def test_a_slow_burn_tickets_but_does_not_page(evaluator, prod):
    """0.2 % (burn 2) for four days: over the ticket's 1x, under both page rates."""
    minutes = 4 * DAY
    traffic = Traffic(minutes, prod).error_rates([0.002] * minutes)
    states = evaluator.run(traffic, minutes, names=[PAGE, TICKET])
    assert first(states[PAGE]) is None
    assert first(states[TICKET]) is not None


def test_a_five_minute_blip_does_not_page_on_the_one_hour_window_alone(evaluator, prod):
    """20 % for 5 minutes burns 1/43 of the month's budget: the 1 h window (16.7x) stays over
    the page rate for almost an hour, but the page needs its 5 min window too, so it ends
    within 5 minutes of the blip; a 4-minute blip (13.3x in the hour) never pages."""
    start, minutes = 6 * HOUR, 8 * HOUR  # six healthy hours first: the 6 h window is full
    traffic = Traffic(minutes, prod).error_rates(rates(minutes, blip=(start, 5, 0.20)))
    states = evaluator.run(traffic, minutes, names=[PAGE, BURN[0], BURN[1]])
    long_window, short_window, page = states[BURN[0]], states[BURN[1]], states[PAGE]
    paging = [i for i, s in enumerate(page) if s == ALARM]
    long_only = [i for i in range(minutes) if long_window[i] == ALARM and short_window[i] != ALARM]
    assert len(long_only) >= 45, "the 1 h window alone should stay over for most of the hour"
    assert not set(paging) & set(long_only)
    assert paging and max(paging) < start + 5 + slo.BURN_WINDOWS[0].short_seconds // 60

    traffic = Traffic(minutes, prod).error_rates(rates(minutes, blip=(start, 4, 0.20)))
    assert first(evaluator.run(traffic, minutes, names=[PAGE])[PAGE]) is None


def test_a_full_outage_pages_within_two_minutes(evaluator, prod):
    """100 % errors: the 1 h pair is over after 0.9 minutes of data (workbook: 0.6 min)."""
    start, minutes = HOUR, 2 * HOUR
    traffic = Traffic(minutes, prod).error_rates(rates(minutes, outage=(start, 30, 1.0)))
    assert first(evaluator.run(traffic, minutes, names=[PAGE])[PAGE]) - start + 1 <= 1


# -- the seed's thresholds --------------------------------------------------------------

SEED = 30  # minutes of each scenario


def _run(evaluator, traffic, *names):
    return {n: first(s) for n, s in evaluator.run(traffic, SEED, names=list(names)).items()}


def test_a_healthy_half_hour_raises_nothing(evaluator, prod):
    from foodshare.cache.strategies import STRATEGIES

    traffic = Traffic(SEED, prod).error_rates([0.0] * SEED)
    traffic.set("AWS/ApiGateway", "Latency", [300.0] * SEED)
    traffic.set("AWS/Lambda", "Duration", [120.0] * SEED)
    for cache_type in STRATEGIES:
        traffic.set("Foodshare", "CacheHit", [90.0] * SEED, cache_type=cache_type, level="L1")
        traffic.set("Foodshare", "CacheMiss", [10.0] * SEED, cache_type=cache_type, level="L1")
    traffic.set("AWS/SQS", "ApproximateNumberOfMessagesVisible", [0.0] * SEED)
    traffic.set("AWS/SQS", "ApproximateAgeOfOldestMessage", [5.0] * SEED)
    traffic.set("AWS/Lambda", "Errors", [0.0] * SEED)
    traffic.set("AWS/Lambda", "Throttles", [0.0] * SEED)
    states = evaluator.run(traffic, SEED)
    assert {n: s[-1] for n, s in states.items() if ALARM in s} == {}


@pytest.mark.parametrize(
    ("p95_ms", "warning", "critical"), [(800.0, False, False), (1200.0, True, False), (3000.0, True, True)]
)
def test_api_p95_latency_warning_at_1s_critical_at_2_5s(evaluator, prod, p95_ms, warning, critical):
    assert (prod.config.alarms.api_p95_warning_ms, prod.config.alarms.api_p95_critical_ms) == (1000, 2500)
    traffic = Traffic(SEED, prod).set("AWS/ApiGateway", "Latency", [p95_ms] * SEED)
    fired = _run(
        evaluator, traffic, "foodshare-prod-warning-api-p95-latency", "foodshare-prod-critical-api-p95-latency"
    )
    assert fired["foodshare-prod-warning-api-p95-latency"] == (
        prod.config.alarms.evaluation_periods - 1 if warning else None
    )
    assert (fired["foodshare-prod-critical-api-p95-latency"] is not None) is critical


@pytest.mark.parametrize(
    ("rate", "warning", "critical"), [(0.005, False, False), (0.02, True, False), (0.06, True, True)]
)
def test_api_error_rate_warning_at_1_percent_critical_at_5(evaluator, prod, rate, warning, critical):
    traffic = Traffic(SEED, prod).error_rates([rate] * SEED)
    fired = _run(evaluator, traffic, "foodshare-prod-warning-api-5xx-rate", "foodshare-prod-critical-api-5xx-rate")
    assert (fired["foodshare-prod-warning-api-5xx-rate"] is not None) is warning
    assert (fired["foodshare-prod-critical-api-5xx-rate"] is not None) is critical


@pytest.mark.parametrize(
    ("hit_pct", "warning", "critical"), [(80.0, False, False), (60.0, True, False), (40.0, True, True)]
)
def test_cache_hit_rate_warning_under_70_critical_under_50(evaluator, prod, hit_pct, warning, critical):
    from foodshare.cache.strategies import STRATEGIES

    cache_type = next(iter(STRATEGIES))
    traffic = Traffic(SEED, prod)
    traffic.set("Foodshare", "CacheHit", [hit_pct] * SEED, cache_type=cache_type, level="L1")
    traffic.set("Foodshare", "CacheMiss", [100.0 - hit_pct] * SEED, cache_type=cache_type, level="L1")
    names = [f"foodshare-prod-{s}-{cache_type}-cache-hit-rate" for s in ("warning", "critical")]
    fired = _run(evaluator, traffic, *names)
    assert (fired[names[0]] is not None) is warning
    assert (fired[names[1]] is not None) is critical


def test_hits_in_l2_count_as_hits(evaluator, prod):
    """An L1 miss served by Redis is a hit: 50 % L1 + 45 % L2 is 95 %, nothing fires."""
    from foodshare.cache.strategies import STRATEGIES

    cache_type = next(iter(STRATEGIES))
    traffic = Traffic(SEED, prod)
    traffic.set("Foodshare", "CacheHit", [50.0] * SEED, cache_type=cache_type, level="L1")
    traffic.set("Foodshare", "CacheMiss", [50.0] * SEED, cache_type=cache_type, level="L1")
    traffic.set("Foodshare", "CacheHit", [45.0] * SEED, cache_type=cache_type, level="L2")
    fired = _run(evaluator, traffic, f"foodshare-prod-warning-{cache_type}-cache-hit-rate")
    assert set(fired.values()) == {None}


def test_one_message_in_a_dead_letter_queue_is_critical_at_once(evaluator, prod):
    traffic = Traffic(SEED, prod).set("AWS/SQS", "ApproximateNumberOfMessagesVisible", [0.0] * 10 + [1.0] * 20)
    names = [
        f"foodshare-prod-critical-{n}-dlq-not-empty" for n in ["delivery", *(c.name for c in prod.catalog.consumers)]
    ]
    fired = _run(evaluator, traffic, *names)
    assert set(fired.values()) == {10}


def test_queue_age_over_the_threshold_warns(evaluator, prod):
    if not prod.catalog.consumers:
        pytest.skip("no consumer queues in the catalog")
    limit = prod.config.alarms.queue_oldest_message_seconds
    name = f"foodshare-prod-warning-{prod.catalog.consumers[0].name}-queue-age"
    below = Traffic(SEED, prod).set("AWS/SQS", "ApproximateAgeOfOldestMessage", [limit - 1.0] * SEED)
    above = Traffic(SEED, prod).set("AWS/SQS", "ApproximateAgeOfOldestMessage", [limit + 60.0] * SEED)
    assert _run(evaluator, below, name)[name] is None
    assert _run(evaluator, above, name)[name] is not None


@pytest.mark.parametrize("target", [t for t in slo.LATENCY if t.functions], ids=lambda t: t.name)
def test_latency_slo_of_discovery_and_claims(evaluator, prod, target):
    from tests.infra.cfn import function_id

    name = f"foodshare-prod-warning-slo-latency-{target.name}"
    fn = function_id(prod, target.functions[0])
    healthy = [target.p95_ms * 0.5] * 10
    under = Traffic(SEED, prod).set("AWS/Lambda", "Duration", healthy + [target.p95_ms * 0.9] * 20, FunctionName=fn)
    over = Traffic(SEED, prod).set("AWS/Lambda", "Duration", healthy + [target.p95_ms * 1.1] * 20, FunctionName=fn)
    assert _run(evaluator, under, name)[name] is None
    # 3 of 3 five-minute p95s over: the oldest needs only its last minute slow (with 1 of 5
    # minutes slow, a fifth of the requests are, so its p95 is), hence minute 10 + 2 x 5.
    assert _run(evaluator, over, name)[name] == 10 + 2 * 5


@pytest.mark.parametrize("expression", ["RATE(m) > 1", "m[1]", "SUM(METRICS())", "m % 2"])
def test_the_evaluator_refuses_what_it_does_not_implement(expression):
    from tests.infra.alarm_eval import ExpressionNotSupported, parse_alarm

    props = {
        "AlarmName": "x",
        "EvaluationPeriods": 1,
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanThreshold",
        "Metrics": [
            {"Id": "e", "Expression": expression},
            {
                "Id": "m",
                "MetricStat": {"Metric": {"Namespace": "N", "MetricName": "M"}, "Period": 60, "Stat": "Sum"},
                "ReturnData": False,
            },
        ],
    }
    with pytest.raises(ExpressionNotSupported):
        parse_alarm("x", props)
