"""A small CloudWatch alarm evaluator over a synthesized template, for synthetic per-minute series.

What it reads from each `AWS::CloudWatch::Alarm`: the metric (plain, or `Metrics` with
`MetricStat` inputs and one returned `Expression`), its `Period`, `EvaluationPeriods`,
`DatapointsToAlarm`, `Threshold`, `ComparisonOperator` and `TreatMissingData`; from each
`AWS::CloudWatch::CompositeAlarm` its `AlarmRule` (ALARM/OK/INSUFFICIENT_DATA of other
alarms joined by AND, OR, NOT and parentheses).

The model of CloudWatch it implements:
- the alarm is evaluated once a minute, after that minute's data is in;
- datapoint k (k = 0 the newest) aggregates the `Period` minutes ending k periods before
  now: periods slide by minute (the behaviour the burn-rate windows rely on);
- minutes before the series starts have no data;
- a statistic over a period: Sum, Minimum, Maximum, SampleCount, Average (of the
  minute values), pNN (nearest rank over the minute values: exact for a constant
  series, which is what the tests feed);
- metric math: numbers, metric ids, + - * /, comparisons (> < >= <= == !=, 1 or 0),
  AND/OR, IF(c, a[, b]) and FILL(m, value). An operation on a missing datapoint gives a
  missing datapoint, except FILL. Anything else raises ExpressionNotSupported: a new
  expression in cdk/ must be implemented here before it can be tested;
- state: of the newest EvaluationPeriods datapoints, missing ones are treated as
  `TreatMissingData` says (breaching, notBreaching, ignore: dropped and the state kept
  when none is left, missing: dropped and INSUFFICIENT_DATA when none is left); ALARM
  when at least DatapointsToAlarm (default EvaluationPeriods) breach, else OK.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

ALARM, OK, INSUFFICIENT = "ALARM", "OK", "INSUFFICIENT_DATA"
Series = list  # per-minute values, None = no datapoint that minute


class ExpressionNotSupported(Exception):
    pass


@dataclass(frozen=True)
class MetricRef:
    namespace: str
    name: str
    dimensions: dict
    stat: str

    def dimension_ids(self) -> dict[str, str]:
        """Dimension values with `{"Ref": id}` tokens shown as their logical id."""
        return {k: (v["Ref"] if isinstance(v, dict) and "Ref" in v else v) for k, v in self.dimensions.items()}


Source = Callable[[MetricRef], Series]

# -- expressions ------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(>=|<=|==|!=|&&|\|\||[-+*/(),<>]))"
)


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ExpressionNotSupported(f"cannot read {text[pos:]!r} in {text!r}")
        out.append(m.group(m.lastindex))
        pos = m.end()
    return out


class _Parser:
    """Recursive descent to a tree of tuples: ("num", v) ("id", name) ("call", f, args) ("op", o, a, b)."""

    LEVELS = (("OR", "||"), ("AND", "&&"), (">", "<", ">=", "<=", "==", "!="), ("+", "-"), ("*", "/"))

    def __init__(self, text: str):
        self.text, self.tokens, self.i = text, _tokens(text), 0

    def parse(self):
        tree = self._level(0)
        if self.i != len(self.tokens):
            raise ExpressionNotSupported(f"unexpected {self.tokens[self.i]!r} in {self.text!r}")
        return tree

    def _peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def _take(self, expected=None):
        token = self._peek()
        if token is None or (expected and token != expected):
            raise ExpressionNotSupported(f"expected {expected or 'more'} in {self.text!r}")
        self.i += 1
        return token

    def _level(self, n):
        if n == len(self.LEVELS):
            return self._unary()
        left = self._level(n + 1)
        while self._peek() in self.LEVELS[n]:
            op = self._take()
            left = ("op", {"&&": "AND", "||": "OR"}.get(op, op), left, self._level(n + 1))
        return left

    def _unary(self):
        if self._peek() == "-":
            self._take()
            return ("op", "-", ("num", 0.0), self._unary())
        return self._atom()

    def _atom(self):
        token = self._take()
        if token == "(":
            tree = self._level(0)
            self._take(")")
            return tree
        if re.fullmatch(r"\d.*", token):
            return ("num", float(token))
        if self._peek() == "(":
            self._take("(")
            args = [self._level(0)]
            while self._peek() == ",":
                self._take(",")
                args.append(self._level(0))
            self._take(")")
            if token not in _FUNCTIONS:
                raise ExpressionNotSupported(f"function {token} in {self.text!r}")
            return ("call", token, args)
        return ("id", token)


def _fill(value, default):
    return default if value is None else value


_FUNCTIONS = {"IF": None, "FILL": _fill}  # IF is evaluated lazily in evaluate_expression
_OPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    # CloudWatch: a division by zero yields no datapoint.
    "/": lambda a, b: None if b == 0 else a / b,
    ">": lambda a, b: float(a > b),
    "<": lambda a, b: float(a < b),
    ">=": lambda a, b: float(a >= b),
    "<=": lambda a, b: float(a <= b),
    "==": lambda a, b: float(a == b),
    "!=": lambda a, b: float(a != b),
    "AND": lambda a, b: float(bool(a) and bool(b)),
    "OR": lambda a, b: float(bool(a) or bool(b)),
}


def evaluate_expression(tree, values: dict[str, float | None]) -> float | None:
    kind = tree[0]
    if kind == "num":
        return tree[1]
    if kind == "id":
        if tree[1] not in values:
            raise ExpressionNotSupported(f"unknown id {tree[1]}")
        return values[tree[1]]
    if kind == "call":
        _, name, args = tree
        if name == "IF":
            if len(args) not in (2, 3):
                raise ExpressionNotSupported("IF takes 2 or 3 arguments")
            cond = evaluate_expression(args[0], values)
            if cond is None or (not cond and len(args) == 2):  # IF(c, a) has no datapoint where c is false
                return None
            return evaluate_expression(args[1] if cond else args[2], values)
        evaluated = [evaluate_expression(a, values) for a in args]
        return _FUNCTIONS[name](*evaluated)
    _, op, left, right = tree
    a, b = evaluate_expression(left, values), evaluate_expression(right, values)
    if a is None or b is None:
        return None
    return _OPS[op](a, b)


# -- statistics over a period -----------------------------------------------------------


def aggregate(values: list[float], stat: str) -> float | None:
    if not values:
        return None
    if stat in ("Sum", "SampleCount"):
        return float(sum(values))
    if stat == "Maximum":
        return max(values)
    if stat == "Minimum":
        return min(values)
    if stat == "Average":
        return sum(values) / len(values)
    m = re.fullmatch(r"p(\d+(?:\.\d+)?)", stat)
    if m:
        ordered = sorted(values)
        rank = max(1, math.ceil(float(m.group(1)) / 100 * len(ordered)))
        return ordered[rank - 1]
    raise ExpressionNotSupported(f"statistic {stat}")


class _Prepared:
    """A series with prefix sums, so a Sum over a 3-day window costs O(1) per minute."""

    def __init__(self, series: Series):
        self.series = series
        self.sums, self.counts = [0.0], [0]
        for v in series:
            self.sums.append(self.sums[-1] + (v or 0.0))
            self.counts.append(self.counts[-1] + (v is not None))

    def aggregate(self, start: int, end: int, stat: str) -> float | None:
        if stat in ("Sum", "SampleCount"):
            if self.counts[end + 1] == self.counts[start]:
                return None
            return self.sums[end + 1] - self.sums[start]
        return aggregate([v for v in self.series[start : end + 1] if v is not None], stat)


# -- alarms ------------------------------------------------------------------------------


@dataclass
class Alarm:
    logical_id: str
    name: str
    period_minutes: int
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    comparison: str
    treat_missing: str
    inputs: dict[str, MetricRef]  # id -> metric
    expression: object | None  # parsed tree; None: the single input is the value
    actions: bool

    def datapoint(self, data: dict[str, _Prepared], minute: int, k: int) -> float | None:
        end = minute - k * self.period_minutes  # inclusive
        start = max(end - self.period_minutes + 1, 0)
        values = {}
        for id_, ref in self.inputs.items():
            values[id_] = data[id_].aggregate(start, end, ref.stat) if end >= 0 else None
        if self.expression is None:
            return next(iter(values.values()))
        return evaluate_expression(self.expression, values)

    def breaches(self, value: float) -> bool:
        return {
            "GreaterThanThreshold": value > self.threshold,
            "GreaterThanOrEqualToThreshold": value >= self.threshold,
            "LessThanThreshold": value < self.threshold,
            "LessThanOrEqualToThreshold": value <= self.threshold,
        }[self.comparison]

    def state(self, data: dict[str, _Prepared], minute: int, previous: str) -> str:
        points = [self.datapoint(data, minute, k) for k in range(self.evaluation_periods)]
        verdicts = []
        for p in points:
            if p is not None:
                verdicts.append(self.breaches(p))
            elif self.treat_missing == "breaching":
                verdicts.append(True)
            elif self.treat_missing == "notBreaching":
                verdicts.append(False)
        if not verdicts:
            return previous if self.treat_missing == "ignore" else INSUFFICIENT
        return ALARM if sum(verdicts) >= self.datapoints_to_alarm else OK


def _metric_ref(metric: dict, stat: str) -> MetricRef:
    dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
    return MetricRef(metric["Namespace"], metric["MetricName"], dims, stat)


def parse_alarm(logical_id: str, props: dict) -> Alarm:
    inputs: dict[str, MetricRef] = {}
    expression = None
    if "Metrics" in props:
        periods = set()
        returned = []
        for m in props["Metrics"]:
            if "MetricStat" in m:
                stat = m["MetricStat"]
                inputs[m["Id"]] = _metric_ref(stat["Metric"], stat["Stat"])
                periods.add(stat["Period"])
            elif "Expression" in m:
                if m.get("ReturnData", True):
                    returned.append(m["Expression"])
                if "Period" in m:
                    periods.add(m["Period"])
            else:
                raise ExpressionNotSupported(f"{logical_id}: metric query {m}")
        if len(returned) != 1 or len(periods) != 1:
            raise ExpressionNotSupported(
                f"{logical_id}: one returned expression and one period, not {returned} {periods}"
            )
        expression, (period,) = _Parser(returned[0]).parse(), periods
    else:
        stat = props.get("ExtendedStatistic") or props["Statistic"]
        inputs["m"] = _metric_ref(props, stat)
        period = props["Period"]
    if period % 60:
        raise ExpressionNotSupported(f"{logical_id}: period {period} s is not whole minutes")
    evaluation = props["EvaluationPeriods"]
    return Alarm(
        logical_id=logical_id,
        name=props["AlarmName"],
        period_minutes=period // 60,
        evaluation_periods=evaluation,
        datapoints_to_alarm=props.get("DatapointsToAlarm", evaluation),
        threshold=float(props["Threshold"]),
        comparison=props["ComparisonOperator"],
        treat_missing=props.get("TreatMissingData", "missing"),
        inputs=inputs,
        expression=expression,
        actions=bool(props.get("AlarmActions")),
    )


# -- composite alarms -------------------------------------------------------------------


def _flatten(value) -> str:
    """An AlarmRule as text, alarm ARNs (`Fn::GetAtt [id, Arn]`) shown as `@id`."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(_flatten(p) for p in parts)
    if "Fn::GetAtt" in value:
        return f"@{value['Fn::GetAtt'][0]}"
    raise ExpressionNotSupported(f"alarm rule part {value}")


_RULE_TOKEN = re.compile(r'\s*(?:(ALARM|OK|INSUFFICIENT_DATA)\("@?([^"]+)"\)|(AND|OR|NOT|TRUE|FALSE|\(|\)))')


@dataclass
class Composite:
    logical_id: str
    name: str
    rule: str
    actions: bool

    def state(self, states_by_id: dict[str, str]) -> str:
        tokens, pos = [], 0
        while pos < len(self.rule.rstrip()):
            m = _RULE_TOKEN.match(self.rule, pos)
            if not m:
                raise ExpressionNotSupported(f"{self.name}: alarm rule {self.rule[pos:]!r}")
            tokens.append(("ref", m.group(1), m.group(2)) if m.group(1) else ("kw", m.group(3)))
            pos = m.end()
        value, rest = self._or(tokens, states_by_id)
        if rest:
            raise ExpressionNotSupported(f"{self.name}: trailing {rest}")
        return ALARM if value else OK

    def _or(self, tokens, states):
        value, tokens = self._and(tokens, states)
        while tokens and tokens[0] == ("kw", "OR"):
            right, tokens = self._and(tokens[1:], states)
            value = value or right
        return value, tokens

    def _and(self, tokens, states):
        value, tokens = self._not(tokens, states)
        while tokens and tokens[0] == ("kw", "AND"):
            right, tokens = self._not(tokens[1:], states)
            value = value and right
        return value, tokens

    def _not(self, tokens, states):
        if tokens[0] == ("kw", "NOT"):
            value, tokens = self._not(tokens[1:], states)
            return not value, tokens
        head = tokens[0]
        if head == ("kw", "("):
            value, tokens = self._or(tokens[1:], states)
            if not tokens or tokens[0] != ("kw", ")"):
                raise ExpressionNotSupported(f"{self.name}: unbalanced parentheses")
            return value, tokens[1:]
        if head[0] == "ref":
            return states[head[2]] == head[1], tokens[1:]
        if head in (("kw", "TRUE"), ("kw", "FALSE")):
            return head[1] == "TRUE", tokens[1:]
        raise ExpressionNotSupported(f"{self.name}: {head}")


# -- the template -----------------------------------------------------------------------


class Evaluator:
    def __init__(self, resources: dict):
        self.alarms = {
            lid: parse_alarm(lid, r["Properties"])
            for lid, r in resources.items()
            if r["Type"] == "AWS::CloudWatch::Alarm"
        }
        self.composites = {
            lid: Composite(
                lid,
                r["Properties"]["AlarmName"],
                _flatten(r["Properties"]["AlarmRule"]),
                bool(r["Properties"].get("AlarmActions")),
            )
            for lid, r in resources.items()
            if r["Type"] == "AWS::CloudWatch::CompositeAlarm"
        }

    def by_name(self, name: str) -> Alarm | Composite:
        (found,) = [a for a in [*self.alarms.values(), *self.composites.values()] if a.name == name]
        return found

    def run(self, source: Source, minutes: int, names: list[str] | None = None) -> dict[str, list[str]]:
        """Each alarm's (and composite's) state at the end of every minute, by alarm name.
        `names`: only these alarms (and what the named composites need)."""
        alarms = self.alarms
        composites = self.composites
        if names is not None:
            composites = {lid: c for lid, c in composites.items() if c.name in names}
            needed = set(names) | {
                a.name for a in alarms.values() for c in composites.values() if f"@{a.logical_id}" in c.rule
            }
            alarms = {lid: a for lid, a in alarms.items() if a.name in needed}
        data = {}
        for lid, alarm in alarms.items():
            data[lid] = {}
            for id_, ref in alarm.inputs.items():
                series = list(source(ref))
                if len(series) < minutes:
                    series += [None] * (minutes - len(series))
                data[lid][id_] = _Prepared(series)
        states = {lid: INSUFFICIENT for lid in alarms}
        history: dict[str, list[str]] = {a.name: [] for a in [*alarms.values(), *composites.values()]}
        for minute in range(minutes):
            for lid, alarm in alarms.items():
                states[lid] = alarm.state(data[lid], minute, states[lid])
                history[alarm.name].append(states[lid])
            for composite in composites.values():
                history[composite.name].append(composite.state(states))
        return history


def first(states: list[str], wanted: str = ALARM) -> int | None:
    """The first minute in `wanted` state, None if never."""
    return next((i for i, s in enumerate(states) if s == wanted), None)
