"""The seed's three load scenarios as request mixes, shared by the load test and the capacity plan.

A scenario gives each kind of user action a share (browse, post, claim, admin); each
action is a weighted set of API routes. The load test picks actions with these shares;
the capacity plan turns a target rate into requests per second per route with them.
"""

from __future__ import annotations

from dataclasses import dataclass

# Which routes an action is made of, and how often each of them comes up.
ACTIONS: dict[str, dict[str, float]] = {
    "browse": {"GET /food": 0.7, "GET /food/{foodId}": 0.2, "GET /users/{userId}/reputation": 0.1},
    "post": {"POST /food": 1.0},
    "claim": {"POST /food/{foodId}/claims": 0.5, "POST /exchanges/{exchangeId}/confirm": 0.3,
              "POST /exchanges/{exchangeId}/cancel": 0.2},
    "admin": {"GET /groups/{groupId}/summary": 0.4, "GET /groups/{groupId}": 0.3,
              "POST /groups/{groupId}/invites": 0.3},
}

# Domain events a request commits (per request, on average): what the consumers' queues receive.
EVENTS_PER_REQUEST: dict[str, dict[str, float]] = {
    "POST /food": {"FoodShared": 1.0},
    "POST /food/{foodId}/claims": {"FoodClaimed": 1.0},
    "POST /exchanges/{exchangeId}/confirm": {"PickupConfirmed": 1.0, "ExchangeCompleted": 0.5},
    "POST /exchanges/{exchangeId}/cancel": {"ExchangeCancelled": 1.0},
}


@dataclass(frozen=True)
class Scenario:
    name: str
    mix: dict[str, float]  # action -> share (sums to 1)
    ramp_up: bool = False  # users arrive over the run instead of all at once
    description: str = ""

    def route_shares(self) -> dict[str, float]:
        """Share of all requests per route key."""
        shares: dict[str, float] = {}
        for action, share in self.mix.items():
            for route, weight in ACTIONS[action].items():
                shares[route] = shares.get(route, 0.0) + share * weight
        return shares


SCENARIOS: dict[str, Scenario] = {
    "daily_peak": Scenario("daily_peak", {"browse": 0.60, "post": 0.15, "claim": 0.20, "admin": 0.05},
                           description="The dinner-time peak of an ordinary day"),
    "viral_growth": Scenario("viral_growth", {"browse": 0.80, "post": 0.10, "claim": 0.08, "admin": 0.02},
                             ramp_up=True, description="Newcomers arriving fast, mostly looking around"),
    "sustained_growth": Scenario("sustained_growth", {"browse": 0.50, "post": 0.20, "claim": 0.25, "admin": 0.05},
                                 description="A larger, engaged community"),
}

# A signed-in app user makes about one request every this many seconds (think time),
# which turns "concurrent users" into requests per second for the capacity plan.
SECONDS_BETWEEN_REQUESTS = 30.0
