"""Fifty people claim the same post at the same moment: how long until all have an answer, one winner.

Each claimer runs in its own thread through the local Lambda runtime (one container
per concurrent request, as Lambda scales), so the race goes through the real handler,
the rate limiter, the conditional transaction and moto's per-item write serialisation.
"""

from __future__ import annotations

import threading
import time

from benchmarks import results
from benchmarks.world import Request, World, to_event

CLAIMERS = 50
RACES = 3


def race(world: World, claimers: list[str]) -> float:
    """Milliseconds from the start signal until every claimer has an answer; checks exactly one 201."""
    from local.lambda_context import LambdaContext
    from tests.support.runtime import invoke_function

    post = world.fresh_post()
    events = [to_event(Request("POST", f"/food/{post}/claims", claimer))[1] for claimer in claimers]
    statuses: list[int] = []
    start = threading.Barrier(len(claimers) + 1)

    def claim(event: dict) -> None:
        start.wait()
        answer = invoke_function("claiming", event, LambdaContext(function_name="foodshare-claiming"))
        statuses.append(int(answer["statusCode"]))

    threads = [threading.Thread(target=claim, args=(event,)) for event in events]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = (time.perf_counter() - started) * 1000
    winners = statuses.count(201)
    if winners != 1 or any(status not in (201, 409) for status in statuses):
        raise AssertionError(f"claim race: {winners} winners, statuses {sorted(set(statuses))}")
    return elapsed


def measure(world: World) -> dict[str, float]:
    import os

    os.environ["LOCAL_MAX_CONTAINERS"] = str(CLAIMERS)
    claimers = [world.member() for _ in range(CLAIMERS)]
    race(world, claimers)  # warm-up: starts the 50 containers
    return {"claim_race_ms": results.median([race(world, claimers) for _ in range(RACES)])}
