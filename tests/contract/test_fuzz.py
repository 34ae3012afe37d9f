"""The API answers what its document says, for any generated input (schemathesis).

Against a running stack (`stack`), as a user who belongs to a group (`world`), with path
parameters naming real groups, posts, exchanges and partnerships, and body fields naming real
groups and invite codes, so operations get past 404. Checks: no 5xx, every status documented, every body matching its schema, the
documented content type. The CI run is the fuzzing phase with a few examples an operation;
`make fuzz` adds the coverage phase (boundary and invalid values of every parameter) and
more examples: FUZZ_EXAMPLES, FUZZ_PHASES.

Rate limits: the stack runs the dev template's per-user limits unchanged (10 posts an hour,
60 requests a minute on most routes). A run of thousands of cases as one user would meet
them within a minute and then test nothing but the 429 path. So before each case the fuzz
user's own limiter buckets (`rl:<user>:*` in the stack's Redis) are emptied: every case gets
a fresh window and reaches the handler, nothing in the product is switched off, and the 429
answer itself stays covered by the contract (documented on every route) and by its own tests
(tests/cache/test_rate_limits.py). Any 429 the run still sees is counted and must conform.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import redis
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from local.openapi import DOCUMENT

schema = schemathesis.openapi.from_path(DOCUMENT)
schema.config.phases.update(phases=os.environ.get("FUZZ_PHASES", "examples,fuzzing").split(","))
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]
_REDIS_URL = os.environ.get("REDIS_URL")  # the served stack's (tests/support/stack.py); none: no limits
_redis = redis.Redis.from_url(_REDIS_URL) if _REDIS_URL else None
# FUZZ_REPORT=path: the answers seen, per operation and status, written at the end of the run
_answers: dict[str, Counter] = defaultdict(Counter)


def fresh_window(user: str) -> None:
    """Empty `user`'s rate-limit buckets (GCRA state, foodshare.cache.ratelimit): a new window."""
    keys = list(_redis.scan_iter(match=f"rl:{user}:*", count=1000)) if _redis else []
    if keys:
        _redis.delete(*keys)


@pytest.fixture(scope="module", autouse=True)
def answers_report():
    started = time.monotonic()
    yield
    if os.environ.get("FUZZ_REPORT"):
        statuses = Counter()
        for counts in _answers.values():
            statuses.update(counts)
        Path(os.environ["FUZZ_REPORT"]).write_text(json.dumps({
            "seconds": round(time.monotonic() - started, 1), "cases": sum(statuses.values()),
            "statuses": dict(sorted(statuses.items())), "phases": os.environ.get("FUZZ_PHASES", "examples,fuzzing"),
            "examples": EXAMPLES, "operations": {op: dict(c) for op, c in sorted(_answers.items())}}, indent=2))


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_documented(case, stack, world):
    if case.path_parameters:
        # most cases name something that exists; the rest keep the generated value (404s are documented)
        for name in case.path_parameters:
            if name in world.ids and random.random() < 0.85:
                case.path_parameters[name] = random.choice(world.ids[name])
    if isinstance(case.body, dict):  # the same for body fields naming a group or an invite
        for name in case.body.keys() & world.body.keys():
            if random.random() < 0.85:
                case.body[name] = random.choice(world.body[name])
    headers = {"authorization": f"Bearer {stack.token_for(world.user)}"}
    fresh_window(world.user)
    response = None
    try:
        # 60 s, not schemathesis's 10: a route's first call may wait for a cold worker (as in conftest.py)
        response = case.call_and_validate(base_url=stack.base_url, headers=headers, checks=CHECKS, timeout=60)
    finally:
        _answers[f"{case.method} {case.path}"][str(response.status_code) if response is not None else "failed"] += 1
