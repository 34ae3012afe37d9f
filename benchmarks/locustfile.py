"""Locust users for `make loadtest`: seeded people doing what a scenario's mix says.

Read by locust (run by benchmarks.loadtest) with LOADTEST_SCENARIO and LOADTEST_MANIFEST
(the seed's manifest: who is in which group) in the environment. Every request is named
by its route key so the report has per-route percentiles. Outcomes that are normal
business answers (a claim on a post someone else just took: 409) count as successes;
429 is reported as failure "rate_limited" so the report can count it apart from errors;
with LOADTEST_RATE_LIMITED_LOG set, the time of each 429 is also written there (one epoch
second a line) when the run stops, so a shape's stages can count them apart too (locust's
per-second history counts them as failures).
"""

from __future__ import annotations

import json
import os
import random
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from locust import HttpUser, between, events, task

from benchmarks.scenarios import ACTIONS, SCENARIOS
from local.seed import Manifest

SCENARIO = SCENARIOS[os.environ.get("LOADTEST_SCENARIO", "daily_peak")]
MANIFEST = Manifest.read(Path(os.environ["LOADTEST_MANIFEST"]))
PEOPLE = sorted(MANIFEST.users)
ACTION_NAMES = list(SCENARIO.mix)
ACTION_WEIGHTS = [SCENARIO.mix[a] for a in ACTION_NAMES]
RATE_LIMITED = "rate_limited"
# Answers that are the product working, not errors: a race lost, an exchange already moved on; a sharer the fraud
# signals restricted (the load's random claims and cancels can look like a pattern) is refused `restricted`.
ACCEPTED = {"POST /food/{foodId}/claims": {409}, "POST /exchanges/{exchangeId}/confirm": {409},
            "POST /exchanges/{exchangeId}/cancel": {409}, "POST /food": {(409, "restricted")}}


def accepted(route: str, status: int, body: bytes) -> bool:
    """A documented refusal this route's load may meet (`ACCEPTED`: a status, or a status and error code)."""
    allowed = ACCEPTED.get(route, ())
    if status in allowed:
        return True
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return False
    return (status, code) in allowed


_rate_limited_at: list[float] = []


@events.test_stop.add_listener
def _write_rate_limited(**_kwargs) -> None:
    if os.environ.get("LOADTEST_RATE_LIMITED_LOG"):
        Path(os.environ["LOADTEST_RATE_LIMITED_LOG"]).write_text("".join(f"{t:.3f}\n" for t in _rate_limited_at))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Neighbour(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        from local.jwt_keys import issue_token

        self.person = random.choice(PEOPLE)
        self.groups = MANIFEST.users[self.person]
        self.seen: list[dict] = []  # items of the last discovery page
        self.open_exchanges: list[str] = []
        self.tokens = {self.person: issue_token(self.person)}

    def _call(self, method: str, path: str, route: str, as_user: str | None = None, json: dict | None = None,
              params: dict | None = None):
        user = as_user or self.person
        if user not in self.tokens:
            from local.jwt_keys import issue_token

            self.tokens[user] = issue_token(user)
        with self.client.request(method, path, name=route, json=json, params=params, catch_response=True,
                                 headers={"authorization": f"Bearer {self.tokens[user]}"}) as response:
            if response.status_code == 429:
                _rate_limited_at.append(time.time())
                response.failure(RATE_LIMITED)
            elif response.status_code < 400 or accepted(route, response.status_code, response.content):
                response.success()
                return response.json() if response.content else None
            else:
                response.failure(f"{response.status_code} {response.text[:120]}")
        return None

    # -- one method per route of benchmarks.scenarios.ACTIONS ------------------------------

    def discover(self) -> None:
        page = self._call("GET", "/food", "GET /food", params={"lat": "52.52", "lng": "13.405", "radiusKm": "30"})
        self.seen = (page or {}).get("items") or self.seen

    def read_post(self) -> None:
        if not self.seen:
            return self.discover()
        self._call("GET", f"/food/{random.choice(self.seen)['foodId']}", "GET /food/{foodId}")

    def reputation(self) -> None:
        sharer = random.choice(self.seen)["sharer"]["handle"] if self.seen else self.person
        self._call("GET", f"/users/{sharer}/reputation", "GET /users/{userId}/reputation")

    def share(self) -> None:
        start = datetime.now(timezone.utc) + timedelta(hours=random.randint(1, 24))
        self._call("POST", "/food", "POST /food", json={
            "groupId": random.choice(self.groups), "title": "Leftover soup", "quantity": random.randint(1, 4),
            "dietaryTags": ["vegetarian"], "allergens": [],
            "pickupLocation": {"lat": 52.52, "lng": 13.405, "label": "Front door"},
            "pickupStart": _iso(start), "pickupEnd": _iso(start + timedelta(hours=2))})

    def claim(self) -> None:
        if not self.seen:
            return self.discover()
        mine = [i for i, item in enumerate(self.seen) if item["sharer"]["mine"]]
        for i in reversed(mine):  # nobody claims their own post
            self.seen.pop(i)
        if not self.seen:
            return self.discover()
        item = self.seen.pop(random.randrange(len(self.seen)))
        answer = self._call("POST", f"/food/{item['foodId']}/claims", "POST /food/{foodId}/claims")
        if answer and "exchangeId" in answer:
            self.open_exchanges.append(answer["exchangeId"])

    def _close(self, action: str) -> None:
        if not self.open_exchanges:
            return self.claim()
        exchange = self.open_exchanges.pop()
        self._call("POST", f"/exchanges/{exchange}/{action}", f"POST /exchanges/{{exchangeId}}/{action}")

    def confirm(self) -> None:
        self._close("confirm")

    def cancel(self) -> None:
        self._close("cancel")

    def summary(self) -> None:
        group_id = random.choice(self.groups)
        self._call("GET", f"/groups/{group_id}/summary", "GET /groups/{groupId}/summary")

    def group(self) -> None:
        group_id = random.choice(self.groups)
        self._call("GET", f"/groups/{group_id}", "GET /groups/{groupId}")

    def invite(self) -> None:
        group_id = random.choice(self.groups)
        admin = MANIFEST.groups[group_id]["admin"]
        self._call("POST", f"/groups/{group_id}/invites", "POST /groups/{groupId}/invites", as_user=admin)

    @task
    def act(self) -> None:
        action = random.choices(ACTION_NAMES, weights=ACTION_WEIGHTS)[0]
        routes = ACTIONS[action]
        route = random.choices(list(routes), weights=list(routes.values()))[0]
        getattr(self, ROUTE_METHODS[route])()


ROUTE_METHODS = {
    "GET /food": "discover", "GET /food/{foodId}": "read_post", "GET /users/{userId}/reputation": "reputation",
    "POST /food": "share", "POST /food/{foodId}/claims": "claim", "POST /exchanges/{exchangeId}/confirm": "confirm",
    "POST /exchanges/{exchangeId}/cancel": "cancel", "GET /groups/{groupId}/summary": "summary",
    "GET /groups/{groupId}": "group", "POST /groups/{groupId}/invites": "invite",
}


if os.environ.get("LOADTEST_SHAPE"):
    from locust import LoadTestShape

    from benchmarks import shapes

    class Shaped(LoadTestShape):
        """The stages of benchmarks.shapes for LOADTEST_SHAPE, LOADTEST_USERS (peak) and LOADTEST_DURATION."""

        stages = shapes.plan(os.environ["LOADTEST_SHAPE"], int(os.environ.get("LOADTEST_USERS", "10")),
                             float(os.environ.get("LOADTEST_DURATION", "60")))

        def tick(self):
            return shapes.tick(self.stages, self.get_run_time())
