"""Alarms on the seed's thresholds, all routed to the encrypted alarm topic, and one dashboard."""

from __future__ import annotations

from tests.infra.cfn import of_type, props


def _alarms(synth) -> dict[str, dict]:
    return {
        props(a)["AlarmName"].removeprefix(f"foodshare-{synth.config.name}-"): props(a)
        for a in of_type(synth, "AWS::CloudWatch::Alarm").values()
    }


def test_every_alarm_notifies_the_topic_on_alarm_and_recovery(synth):
    (topic_id,) = of_type(synth, "AWS::SNS::Topic")
    composites = {props(a)["AlarmName"]: props(a) for a in of_type(synth, "AWS::CloudWatch::CompositeAlarm").values()}
    assert composites
    for name, alarm in [*_alarms(synth).items(), *composites.items()]:
        if name.startswith("burn-"):  # inputs of the composites (tests/infra/test_alarm_behaviour.py)
            assert "AlarmActions" not in alarm, name
            continue
        assert alarm["AlarmActions"] == [{"Ref": topic_id}], name
        assert alarm["OKActions"] == [{"Ref": topic_id}], name


def test_topic_is_encrypted_with_a_key_cloudwatch_may_use(synth):
    (topic,) = of_type(synth, "AWS::SNS::Topic").values()
    key_id = props(topic)["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key = props(synth.resources[key_id])
    assert key["EnableKeyRotation"] is True
    principals = [s["Principal"] for s in key["KeyPolicy"]["Statement"]]
    assert {"Service": "cloudwatch.amazonaws.com"} in principals


def test_api_latency_alarms(synth):
    alarms, t = _alarms(synth), synth.config.alarms
    assert (t.api_p95_warning_ms, t.api_p95_critical_ms, t.api_p99_ms) == (1000, 2500, 3000)
    for name, stat, threshold in (
        ("warning-api-p95-latency", "p95", t.api_p95_warning_ms),
        ("critical-api-p95-latency", "p95", t.api_p95_critical_ms),
        ("critical-api-p99-latency", "p99", t.api_p99_ms),
    ):
        alarm = alarms[name]
        assert (alarm["MetricName"], alarm["Namespace"]) == ("Latency", "AWS/ApiGateway")
        assert alarm["ExtendedStatistic"] == stat
        assert alarm["Threshold"] == threshold
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


def _expression(alarm: dict) -> str:
    (expression,) = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]
    return expression


def test_api_5xx_rate_alarms(synth):
    alarms, t = _alarms(synth), synth.config.alarms
    assert (t.api_5xx_warning_percent, t.api_5xx_critical_percent) == (1, 5)
    for severity, threshold in (("warning", 1), ("critical", 5)):
        alarm = alarms[f"{severity}-api-5xx-rate"]
        assert "100 * errors / requests" in _expression(alarm)
        inputs = {m["Id"]: m["MetricStat"]["Metric"]["MetricName"] for m in alarm["Metrics"] if "MetricStat" in m}
        assert inputs == {"errors": "5xx", "requests": "Count"}
        assert alarm["Threshold"] == threshold


def test_errors_and_throttles_per_function(synth):
    """API functions' errors reach callers as 5xx: the error-budget alarms judge them, so
    only consumers and scheduled jobs keep a per-function error alarm."""
    alarms = _alarms(synth)
    api = {fn.name for fn in synth.catalog.api_functions}
    for name in synth.catalog.names():
        assert alarms[f"warning-{name}-throttles"]["MetricName"] == "Throttles"
        if name in api:
            assert f"critical-{name}-errors" not in alarms
        else:
            assert alarms[f"critical-{name}-errors"]["MetricName"] == "Errors"


def test_any_message_in_any_dlq_alarms(synth):
    alarms = _alarms(synth)
    dlqs = ["delivery", *(c.name for c in synth.catalog.consumers)]
    for name in dlqs:
        alarm = alarms[f"critical-{name}-dlq-not-empty"]
        assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
        assert alarm["EvaluationPeriods"] == 1
    dlq_alarms = [n for n in alarms if n.endswith("-dlq-not-empty")]
    assert len(dlq_alarms) == len(dlqs)


def test_queue_age_per_consumer(synth):
    alarms = _alarms(synth)
    for consumer in synth.catalog.consumers:
        alarm = alarms[f"warning-{consumer.name}-queue-age"]
        assert alarm["MetricName"] == "ApproximateAgeOfOldestMessage"
        assert alarm["Threshold"] == synth.config.alarms.queue_oldest_message_seconds


def test_cache_hit_rate_alarms_per_cache_type(synth):
    from foodshare.cache.strategies import STRATEGIES

    alarms, t = _alarms(synth), synth.config.alarms
    assert (t.cache_hit_warning_percent, t.cache_hit_critical_percent) == (70, 50)
    for cache_type in STRATEGIES:
        for severity, threshold in (("warning", 70), ("critical", 50)):
            alarm = alarms[f"{severity}-{cache_type}-cache-hit-rate"]
            assert alarm["Threshold"] == threshold
            assert alarm["ComparisonOperator"] == "LessThanThreshold"
            metrics = [m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m]
            seen = set()
            for m in metrics:
                dims = {d["Name"]: d["Value"] for d in m["Dimensions"]}
                assert m["Namespace"] == "Foodshare"
                assert dims == {"cache_type": cache_type, "level": dims["level"], "service": "foodshare"}
                seen.add((m["MetricName"], dims["level"]))
            assert seen == {("CacheHit", "L1"), ("CacheHit", "L2"), ("CacheMiss", "L1")}


def test_operations_and_slo_dashboards(synth):
    names = {props(d)["DashboardName"] for d in of_type(synth, "AWS::CloudWatch::Dashboard").values()}
    assert names == {f"foodshare-{synth.config.name}", f"foodshare-{synth.config.name}-slo"}
