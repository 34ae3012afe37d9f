"""The service-level objectives: the ONE place their targets are written.

The CDK stack generates its burn-rate alarms, latency SLO alarms and SLO dashboard
from this module (cdk/slo_alarms.py); `make slo-report` (scripts/slo_report.py) and
the load-test report (benchmarks/report.py) judge measurements against it. Nothing
else writes 99.9, 2000 ms or the burn rates down.

Availability is request based: the share of API requests not answered with a 5xx,
over a rolling 30 days. Its error budget is 1 - objective (0.1 % of requests, or
43.2 minutes of full outage in 30 days). The burn rate of a window is the window's
error rate divided by that budget (CloudWatch Application Signals' definition), and
the alerting follows Google's SRE workbook (chapter 5, "multiwindow, multi-burn-rate
alerts"): page when 2 % of the month's budget burns within an hour (14.4x over 1 h)
or 5 % within 6 h (6x over 6 h); open a ticket when 10 % burns within 3 days (1x).
Each long window has a short one (1/12 of it) that must also be over, so an alert
stops soon after the burning does.

Latency is a p95 target per scope, pure decision functions below judge a value:
- the whole API: p95 < 2 s (the epic's figure);
- discovery (GET /food) < 500 ms: it is served from Redis (sub-millisecond on a hit,
  ~150-250 ms uncached in docs/performance.md) by a provisioned-concurrency function,
  and it is what every session opens with;
- claims and the exchange lifecycle < 1 s: one DynamoDB transaction (warm p95 ~60 ms
  in-process) but contended (50 claimers on one post answer within ~0.6-0.9 s), and
  the moment a neighbour decides to walk over.
"""

from __future__ import annotations

from dataclasses import dataclass

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


@dataclass(frozen=True)
class AvailabilitySlo:
    name: str
    objective: float  # fraction of good requests, e.g. 0.999
    window_seconds: int

    @property
    def budget(self) -> float:
        """The error budget as a fraction of requests."""
        return 1.0 - self.objective


@dataclass(frozen=True)
class LatencySlo:
    """p95 of the scope's requests under `p95_ms`. `functions` names the catalog's API
    functions whose Lambda Duration measures it (empty: the API Gateway's latency);
    `routes` the route keys the load test reports it by (empty: all routes)."""

    name: str
    p95_ms: float
    functions: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()
    percentile: float = 95.0


@dataclass(frozen=True)
class BurnWindow:
    """One multi-window alert: both windows' burn rates at or above `burn_rate`."""

    severity: str  # "page" or "ticket"
    burn_rate: float
    long_seconds: int
    short_seconds: int

    @property
    def budget_consumed(self) -> float:
        """Fraction of the 30-day budget burnt when the long window just reaches the threshold."""
        return self.burn_rate * self.long_seconds / AVAILABILITY.window_seconds

    def detection_seconds(self, error_rate: float, budget: float) -> float:
        """The workbook's detection time for a steady error rate: long window x burn rate x budget / error rate."""
        return self.long_seconds * self.burn_rate * budget / error_rate


AVAILABILITY = AvailabilitySlo("api-availability", objective=0.999, window_seconds=30 * DAY)

LATENCY = (
    LatencySlo("api", p95_ms=2000.0),
    LatencySlo("discovery", p95_ms=500.0, functions=("discovery",), routes=("GET /food",)),
    LatencySlo(
        "claims",
        p95_ms=1000.0,
        functions=("claiming",),
        routes=(
            "POST /food/{foodId}/claims",
            "POST /exchanges/{exchangeId}/confirm",
            "POST /exchanges/{exchangeId}/cancel",
            "POST /exchanges/{exchangeId}/no-show",
        ),
    ),
)

BURN_WINDOWS = (
    BurnWindow("page", 14.4, long_seconds=1 * HOUR, short_seconds=5 * MINUTE),
    BurnWindow("page", 6.0, long_seconds=6 * HOUR, short_seconds=30 * MINUTE),
    BurnWindow("ticket", 1.0, long_seconds=3 * DAY, short_seconds=6 * HOUR),
)

# Beyond the SLOs, what the load test also reports (not an SLO: a goal of the cache design).
CACHE_HIT_RATE_GOAL_PCT = 85.0
P99_GOAL_MS = 3000.0


def burn_rate(errors: float, requests: float, slo: AvailabilitySlo = AVAILABILITY) -> float:
    """Error rate over the window divided by the budget; 0 without requests."""
    return (errors / requests) / slo.budget if requests else 0.0


@dataclass(frozen=True)
class Attainment:
    requests: float
    errors: float
    availability: float  # fraction good (1.0 without requests)
    budget_remaining: float  # fraction of the window's budget left; negative when overspent
    met: bool


def attainment(errors: float, requests: float, slo: AvailabilitySlo = AVAILABILITY) -> Attainment:
    """Availability over the window and the share of its error budget still left.

    Budget left = 1 - (errors / allowed errors), allowed = budget x requests; a window
    without requests has spent nothing."""
    if not requests:
        return Attainment(0, 0, 1.0, 1.0, True)
    availability = 1.0 - errors / requests
    remaining = 1.0 - errors / (slo.budget * requests)
    return Attainment(requests, errors, availability, remaining, availability >= slo.objective)


def latency_met(p95_ms: float | None, slo: LatencySlo) -> bool | None:
    """None when there is no measurement."""
    return None if p95_ms is None else p95_ms < slo.p95_ms


def latency(name: str) -> LatencySlo:
    (found,) = [s for s in LATENCY if s.name == name]
    return found
