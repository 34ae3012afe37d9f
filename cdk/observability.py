"""Alarms on the service-level signals, routed to one SNS topic, and one dashboard showing them.

Thresholds come from cdk.json (`alarms`). Alarm names carry the severity
(`foodshare-<stage>-warning-...` / `-critical-...`) so subscribers can filter on it.
The cache hit rate is computed from the EMF metrics `foodshare.cache.stats` emits:
namespace `Foodshare`, `CacheHit` / `CacheMiss` with dimensions `cache_type`, `level`
and `service`, one alarm pair per cache strategy the code defines.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk.config import StageConfig
from cdk.functions import METRICS_NAMESPACE
from foodshare.cache import stats
from foodshare.cache.strategies import STRATEGIES


GT = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
GTE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
LT = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        http_api: apigw.HttpApi,
        functions: dict[str, lambda_.Function],
        provisioned_aliases: dict[str, lambda_.Alias],
        queues: dict[str, sqs.IQueue],
        dead_letter_queues: dict[str, sqs.IQueue],
        slo_covered: frozenset[str] = frozenset(),
    ) -> None:
        """`slo_covered`: functions whose errors reach callers as API 5xx, so the error-budget
        burn-rate alarms (cdk/slo_alarms.py) judge them instead of a per-function error count."""
        super().__init__(scope, id)
        self._prefix = f"foodshare-{config.name}"
        self._thresholds = config.alarms
        self._period = Duration.seconds(config.alarms.period_seconds)
        self.topic = self._topic()
        self._action = actions.SnsAction(self.topic)
        t = self._thresholds

        latency_p95 = http_api.metric_latency(statistic="p95", period=self._period)
        latency_p99 = http_api.metric_latency(statistic="p99", period=self._period)
        self._alarm("warning", "api-p95-latency", latency_p95, t.api_p95_warning_ms, GT, "API p95 latency (ms)")
        self._alarm("critical", "api-p95-latency", latency_p95, t.api_p95_critical_ms, GT, "API p95 latency (ms)")
        self._alarm("critical", "api-p99-latency", latency_p99, t.api_p99_ms, GT, "API p99 latency (ms)")
        error_rate = cloudwatch.MathExpression(
            expression="IF(requests > 0, 100 * errors / requests, 0)",
            using_metrics={
                "errors": http_api.metric_server_error(statistic="Sum", period=self._period),
                "requests": http_api.metric_count(statistic="Sum", period=self._period),
            },
            label="API 5xx rate (%)",
            period=self._period,
        )
        self._alarm("warning", "api-5xx-rate", error_rate, t.api_5xx_warning_percent, GT, "API 5xx rate (%)")
        self._alarm("critical", "api-5xx-rate", error_rate, t.api_5xx_critical_percent, GT, "API 5xx rate (%)")

        for name, fn in functions.items():
            errors = fn.metric_errors(statistic="Sum", period=self._period)
            throttles = fn.metric_throttles(statistic="Sum", period=self._period)
            if name not in slo_covered:
                self._alarm("critical", f"{name}-errors", errors, t.lambda_errors, GTE, f"{name} errors")
            self._alarm("warning", f"{name}-throttles", throttles, t.lambda_throttles, GTE, f"{name} throttles")

        for name, dlq in dead_letter_queues.items():
            visible = dlq.metric_approximate_number_of_messages_visible(statistic="Maximum", period=self._period)
            self._alarm("critical", f"{name}-dlq-not-empty", visible, 1, GTE, f"messages in {name}", periods=1)
        for name, queue in queues.items():
            age = queue.metric_approximate_age_of_oldest_message(statistic="Maximum", period=self._period)
            self._alarm("warning", f"{name}-queue-age", age, t.queue_oldest_message_seconds, GT, f"{name} oldest (s)")

        hit_rates = {ct: _hit_rate(ct, i, self._period) for i, ct in enumerate(STRATEGIES)}
        for cache_type, rate in hit_rates.items():
            label = f"{cache_type} cache hit rate (%)"
            self._alarm("warning", f"{cache_type}-cache-hit-rate", rate, t.cache_hit_warning_percent, LT, label)
            self._alarm("critical", f"{cache_type}-cache-hit-rate", rate, t.cache_hit_critical_percent, LT, label)

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=self._prefix)
        self.dashboard.add_widgets(
            _graph("API latency (ms)", [latency_p95, latency_p99], t.api_p95_warning_ms),
            _graph("API 5xx rate (%)", [error_rate], t.api_5xx_warning_percent),
            _graph("API requests", [http_api.metric_count(statistic="Sum", period=self._period)]),
        )
        self.dashboard.add_widgets(
            _graph(
                "Lambda errors", [fn.metric_errors(statistic="Sum", period=self._period) for fn in functions.values()]
            ),
            _graph(
                "Lambda throttles",
                [fn.metric_throttles(statistic="Sum", period=self._period) for fn in functions.values()],
            ),
            _graph(
                "Provisioned concurrency utilisation",
                [
                    a.metric("ProvisionedConcurrencyUtilization", statistic="Maximum", period=self._period)
                    for a in provisioned_aliases.values()
                ],
            ),
        )
        self.dashboard.add_widgets(
            _graph(
                "Queue age of oldest message (s)",
                [q.metric_approximate_age_of_oldest_message(period=self._period) for q in queues.values()],
            ),
            _graph(
                "Messages in DLQs",
                [
                    q.metric_approximate_number_of_messages_visible(period=self._period)
                    for q in dead_letter_queues.values()
                ],
            ),
            _graph("Cache hit rate (%)", list(hit_rates.values()), t.cache_hit_warning_percent),
        )

    def _topic(self) -> sns.Topic:
        """Encrypted with a key CloudWatch may use: the AWS-managed SNS key would refuse alarm deliveries."""
        key = kms.Key(self, "AlarmKey", description=f"{self._prefix} alarm topic", enable_key_rotation=True)
        key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                resources=["*"],
            )
        )
        return sns.Topic(self, "Alarms", topic_name=f"{self._prefix}-alarms", master_key=key, enforce_ssl=True)

    def _alarm(
        self,
        severity: str,
        name: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator,
        description: str,
        periods: int | None = None,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            f"{severity}-{name}",
            alarm_name=f"{self._prefix}-{severity}-{name}",
            alarm_description=f"{severity.upper()}: {description} {comparison.value} {threshold}",
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=periods or self._thresholds.evaluation_periods,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        return alarm


def _hit_rate(cache_type: str, index: int, period: Duration) -> cloudwatch.MathExpression:
    """100 x lookups served from L1 or L2 / all lookups (each starts at L1); ids carry `index`
    because one graph shows every type's rate."""

    def metric(name: str, level: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            namespace=METRICS_NAMESPACE,
            metric_name=name,
            dimensions_map={"cache_type": cache_type, "level": level, "service": stats.SERVICE},
            statistic="Sum",
            period=period,
        )

    # FILL: a level with no lookups in a period (L2 for an L1-only type) has no data point, not zero.
    l1hits, l2hits, l1misses = (f"FILL({name}{index}, 0)" for name in ("l1hits", "l2hits", "l1misses"))
    hits, lookups = f"({l1hits} + {l2hits})", f"({l1hits} + {l1misses})"
    return cloudwatch.MathExpression(
        expression=f"IF({lookups} > 0, 100 * {hits} / {lookups}, 100)",
        using_metrics={
            f"l1hits{index}": metric(stats.HIT_METRIC, stats.L1),
            f"l2hits{index}": metric(stats.HIT_METRIC, stats.L2),
            f"l1misses{index}": metric(stats.MISS_METRIC, stats.L1),
        },
        label=f"{cache_type} hit rate (%)",
        period=period,
    )


def _graph(title: str, metrics: list[cloudwatch.IMetric], warning: float | None = None) -> cloudwatch.GraphWidget:
    annotations = [cloudwatch.HorizontalAnnotation(value=warning, label="warning")] if warning is not None else None
    return cloudwatch.GraphWidget(title=title, left=metrics, left_annotations=annotations, width=8)
