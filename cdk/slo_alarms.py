"""Alarms and a dashboard generated from the service-level objectives (foodshare.slo).

Availability: for each burn window of foodshare.slo.BURN_WINDOWS, two metric-math
alarms (the long and the short window) on the API Gateway's `5xx` / `Count`, each with
Period = the window and one evaluation period: CloudWatch evaluates an alarm every
minute over the trailing period, so the window slides minute by minute. The windows
of a pair are joined by AND in a composite alarm per severity (page: the 1 h and 6 h
pairs OR-ed; ticket: the 3-day pair); only the composites notify, the window alarms
are their inputs. CloudWatch limits respected: 2 metrics + 1 expression per alarm
(limit 10); the longest range is 3 days with a period >= 1 h (limit 7 days).

The expressions use only `IF`, `FILL`, comparison and arithmetic: the alarm evaluator
of the tests (tests/infra/alarm_eval.py) implements exactly that subset and refuses
anything else, so a new construct here must come with its evaluation there.

Latency: one alarm per latency SLO on its p95 (API Gateway `Latency` for the whole API,
the function's Lambda `Duration` for discovery and claims), over 5-minute periods,
3 of 3 breaching: a ticket, not a page.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct
from foodshare import slo

GTE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
GT = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
LATENCY_PERIOD = Duration.minutes(5)
LATENCY_EVALUATION_PERIODS = 3
BUDGET_PERIOD = Duration.seconds(slo.AVAILABILITY.window_seconds)


def window_label(seconds: int) -> str:
    for unit, size in (("d", slo.DAY), ("h", slo.HOUR), ("m", slo.MINUTE)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    raise ValueError(f"window of {seconds} s is not whole minutes")


def _number(value: float) -> str:
    """A constant as the expression shows it (0.001, not 0.0010000000000000009)."""
    return f"{value:.6g}"


class SloAlarms(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        stage: str,
        http_api: apigw.HttpApi,
        functions: dict[str, lambda_.Function],
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, id)
        self._prefix = f"foodshare-{stage}"
        self._http_api = http_api
        action = actions.SnsAction(topic)
        availability = slo.AVAILABILITY

        pairs: dict[str, list[cloudwatch.AlarmRule]] = {}
        self.window_alarms: dict[str, cloudwatch.Alarm] = {}
        for window in slo.BURN_WINDOWS:
            long, short = (self._burn_alarm(s, window.burn_rate) for s in (window.long_seconds, window.short_seconds))
            pairs.setdefault(window.severity, []).append(
                cloudwatch.AlarmRule.all_of(
                    cloudwatch.AlarmRule.from_alarm(long, cloudwatch.AlarmState.ALARM),
                    cloudwatch.AlarmRule.from_alarm(short, cloudwatch.AlarmState.ALARM),
                )
            )
        self.composites: dict[str, cloudwatch.CompositeAlarm] = {}
        for severity, rules in pairs.items():
            composite = cloudwatch.CompositeAlarm(
                self,
                f"{severity}-{availability.name}",
                composite_alarm_name=f"{self._prefix}-{severity}-{availability.name}",
                alarm_description=f"{severity.upper()}: API error budget ({availability.objective:.3%} over "
                f"{window_label(availability.window_seconds)}) burning; see docs/runbook.md",
                alarm_rule=cloudwatch.AlarmRule.any_of(*rules),
            )
            composite.add_alarm_action(action)
            composite.add_ok_action(action)
            self.composites[severity] = composite

        self.latency_alarms: dict[str, cloudwatch.Alarm] = {}
        self._latency_metrics: dict[str, list[cloudwatch.IMetric]] = {}
        for target in slo.LATENCY:
            metrics = self._latency_metrics_of(target, functions)
            self._latency_metrics[target.name] = metrics
            for i, metric in enumerate(metrics):
                suffix = "" if len(metrics) == 1 else f"-{target.functions[i]}"
                alarm = cloudwatch.Alarm(
                    self,
                    f"latency-{target.name}{suffix}",
                    alarm_name=f"{self._prefix}-warning-slo-latency-{target.name}{suffix}",
                    alarm_description=f"WARNING: p{target.percentile:g} of {target.name} over its SLO "
                    f"({target.p95_ms:g} ms) for {LATENCY_EVALUATION_PERIODS} x {window_label(300)}",
                    metric=metric,
                    threshold=target.p95_ms,
                    comparison_operator=GT,
                    evaluation_periods=LATENCY_EVALUATION_PERIODS,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )
                alarm.add_alarm_action(action)
                alarm.add_ok_action(action)
                self.latency_alarms[f"{target.name}{suffix}"] = alarm
        self.dashboard = self._dashboard()

    # -- availability --------------------------------------------------------------------

    def _requests_and_errors(self, period: Duration, suffix: str = "") -> dict[str, cloudwatch.IMetric]:
        """`suffix` keeps ids apart when one widget shows several windows."""
        return {
            f"errors{suffix}": self._http_api.metric_server_error(statistic="Sum", period=period),
            f"requests{suffix}": self._http_api.metric_count(statistic="Sum", period=period),
        }

    def burn_rate_expression(self, period: Duration, label: str, suffix: str = "") -> cloudwatch.MathExpression:
        """Error rate over the period / error budget; 0 when requests were counted but no 5xx
        datapoint exists; no datapoint at all without requests (missing data, not breaching)."""
        budget = _number(slo.AVAILABILITY.budget)
        errors, requests = f"errors{suffix}", f"requests{suffix}"
        return cloudwatch.MathExpression(
            expression=f"IF({requests} > 0, FILL({errors}, 0) / {requests} / {budget}, 0)",
            using_metrics=self._requests_and_errors(period, suffix),
            label=label,
            period=period,
        )

    def _burn_alarm(self, seconds: int, rate: float) -> cloudwatch.Alarm:
        key = f"burn-{window_label(seconds)}-{rate:g}x"
        if key in self.window_alarms:
            return self.window_alarms[key]
        alarm = cloudwatch.Alarm(
            self,
            key,
            alarm_name=f"{self._prefix}-{key}",
            alarm_description=f"API error budget burn rate over {window_label(seconds)} >= {rate:g}; an input of "
            f"the {self._prefix} page/ticket composite alarms, which notify",
            metric=self.burn_rate_expression(Duration.seconds(seconds), f"burn rate {window_label(seconds)}"),
            threshold=rate,
            comparison_operator=GTE,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.window_alarms[key] = alarm
        return alarm

    # -- latency -------------------------------------------------------------------------

    def _latency_metrics_of(
        self, target: slo.LatencySlo, functions: dict[str, lambda_.Function]
    ) -> list[cloudwatch.IMetric]:
        stat = f"p{target.percentile:g}"
        if not target.functions:
            return [self._http_api.metric_latency(statistic=stat, period=LATENCY_PERIOD)]
        return [
            functions[name].metric_duration(statistic=stat, period=LATENCY_PERIOD)
            for name in target.functions
            if name in functions
        ]

    # -- dashboard -----------------------------------------------------------------------

    def _dashboard(self) -> cloudwatch.Dashboard:
        """Attainment and budget left over the SLO window, burn rates, latency against targets."""
        availability = slo.AVAILABILITY
        budget = _number(availability.budget)
        attained = cloudwatch.MathExpression(
            expression="IF(requests > 0, 100 * (1 - FILL(errors, 0) / requests), 100)",
            using_metrics=self._requests_and_errors(BUDGET_PERIOD),
            label=f"availability % ({window_label(availability.window_seconds)}, objective "
            f"{100 * availability.objective:g} %)",
            period=BUDGET_PERIOD,
        )
        remaining = cloudwatch.MathExpression(
            expression=f"IF(requestsb > 0, 100 * (1 - FILL(errorsb, 0) / (requestsb * {budget})), 100)",
            using_metrics=self._requests_and_errors(BUDGET_PERIOD, "b"),
            label="error budget remaining %",
            period=BUDGET_PERIOD,
        )
        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=f"{self._prefix}-slo")
        dashboard.add_widgets(
            cloudwatch.SingleValueWidget(
                title="API availability and error budget", metrics=[attained, remaining], width=8, height=6
            ),
            cloudwatch.GraphWidget(
                title="Burn rate (x budget)",
                left=[
                    self.burn_rate_expression(Duration.seconds(s), window_label(s), f"w{window_label(s)}")
                    for s in sorted({w.long_seconds for w in slo.BURN_WINDOWS})
                ],
                left_annotations=[
                    cloudwatch.HorizontalAnnotation(value=w.burn_rate, label=f"{w.severity} {w.burn_rate:g}x")
                    for w in slo.BURN_WINDOWS
                ],
                width=16,
                height=6,
            ),
        )
        dashboard.add_widgets(
            *(
                cloudwatch.GraphWidget(
                    title=f"{target.name} p{target.percentile:g} (ms)",
                    left=self._latency_metrics[target.name],
                    left_annotations=[cloudwatch.HorizontalAnnotation(value=target.p95_ms, label="SLO")],
                    width=8,
                )
                for target in slo.LATENCY
            )
        )
        return dashboard
