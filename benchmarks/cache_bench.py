"""Cache benchmark: prints what the discovery cache costs and buys (make bench-cache).

- cached discovery (what GET /food serves: cache.readers.discovery_page, warm, i.e. the page
  from L1 after one versions read) against a raw Redis GET of the same response body (goal: <= 2x);
- uncached discovery (the DynamoDB readers) against cached (goal: >= 10x faster);
- the hit rate (L1 or L2 served / lookups) on a browse-heavy mix: 95 % discovery by
  random members, 5 % writes (share, claim, cancel, withdraw) that bump versions (goal: >= 90 %);
- p95 of single cache operations: the versions read, a version bump, an L2 GET.

AWS is moto in this process; Redis is the real local server, database 12 (flushed).
Entries are stored at once (CACHE_SETTLE_MS=0): moto's indexes are consistent at once.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable

from tests.support.environment import LOCAL_DEFAULTS  # every setting a function requires

os.environ.update(
    {
        **LOCAL_DEFAULTS,  # a setting made required later is here too (settings fail fast naming it)
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "TABLE_NAME": "foodshare-bench",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "REDIS_URL": os.environ.get("BENCH_CACHE_REDIS_URL", "redis://127.0.0.1:6379/12"), "CACHE_SETTLE_MS": "0",
    }
)

GROUPS, USERS, POSTS_PER_GROUP, MIX_OPERATIONS = 30, 90, 8, 3000
SAMPLES = {"cached": 2000, "uncached": 100, "operation": 1000}
if "--quick" in sys.argv[1:]:  # a smoke run (tests/perf: the section still runs and prints what make bench reads)
    GROUPS, USERS, POSTS_PER_GROUP, MIX_OPERATIONS = 4, 12, 3, 200
    SAMPLES = {"cached": 50, "uncached": 5, "operation": 50}
random.seed(5)


def _percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def _timed(operation: Callable[[], object], samples: int) -> list[float]:
    return _timed_together([operation], samples)[0]


def _timed_together(operations: list[Callable[[], object]], samples: int) -> list[list[float]]:
    """Latencies in ms, the operations taking turns: load from other processes hits them alike."""
    latencies: list[list[float]] = [[] for _ in operations]
    for operation in operations:
        operation()
    for _ in range(samples):
        for operation, taken in zip(operations, latencies):
            started = time.perf_counter()
            operation()
            taken.append((time.perf_counter() - started) * 1000)
    return latencies


def _world():
    from datetime import timedelta

    from foodshare import clock
    from foodshare.domain import food, groups, users

    people = [f"user{i:03d}" for i in range(USERS)]
    for person in people:
        users.update_profile(person, person.title(), (52.52, 13.405))
    members: dict[str, list[str]] = {}
    for g in range(GROUPS):
        admin = people[g % USERS]
        group, _ = groups.create(admin, f"Group {g}", None)
        members[group.group_id] = [admin]
    group_ids = list(members)
    for person in people:
        for group_id in random.sample(group_ids, 2):
            if person not in members[group_id]:
                groups.join(person, groups.create_invite(group_id, members[group_id][0]).code)
                members[group_id].append(person)
    start = clock.now() + timedelta(hours=1)
    for group_id, who in members.items():
        for p in range(POSTS_PER_GROUP):
            food.share(random.choice(who), food.NewPost(
                group_id, f"Post {p}", None, 2, ["vegetarian"], [], 52.52, 13.405, None, start, start + timedelta(hours=3)))
    return people, members


def _mix_write(people: list[str], members: dict[str, list[str]], open_claims: list[tuple[str, str]]) -> None:
    from datetime import timedelta

    from foodshare import clock
    from foodshare.domain import discovery, exchanges, food
    from foodshare.errors import DomainError

    group_id = random.choice(list(members))
    roll = random.random()
    try:
        if roll < 0.4:
            start = clock.now() + timedelta(hours=1)
            food.share(random.choice(members[group_id]), food.NewPost(
                group_id, "Fresh", None, 1, [], [], 52.52, 13.405, None, start, start + timedelta(hours=3)))
        elif roll < 0.8 or not open_claims:
            posts = discovery.available_posts(group_id, clock.now_iso())
            if posts:
                post = random.choice(posts)
                claimer = random.choice([m for m in members[group_id] if m != post.sharer_id] or [post.sharer_id])
                open_claims.append((exchanges.claim(post.food_id, claimer).exchange_id, claimer))
        else:
            exchange_id, claimer = open_claims.pop()
            exchanges.cancel(exchange_id, claimer)
    except DomainError:
        pass  # lost a race, out of credits, own post: the write simply does not happen


def main() -> None:
    from tests.support.aws import aws_environment

    from foodshare.api import views
    from foodshare.cache import stats, versions
    from foodshare.cache.readers import POSTS, discovery_page
    from foodshare.cache.versions import Snapshot
    from foodshare.domain import discovery
    from foodshare.redis_client import get_client

    client = get_client()
    client.flushdb()
    with aws_environment():
        people, members = _world()
        viewer = people[7]

        def page_of(person: str) -> str:
            """GET /food's body for `person`, as the discovery handler serves it."""
            return discovery_page(person, discovery.Filters(),
                                  lambda page, cursor: views.discovery_page(page, cursor, person))

        def cached():
            return page_of(viewer)

        def uncached():
            return views.discovery_page(*discovery.discover(viewer, discovery.Filters()), viewer)

        time.sleep(0.01)
        payload = cached()
        client.set("bench:payload", payload)
        raw, warm = _timed_together([lambda: client.get("bench:payload"), cached], SAMPLES["cached"])
        cold = _timed(uncached, SAMPLES["uncached"])

        group_id = next(iter(members))
        version_key = versions.food(group_id)
        version_read = _timed(lambda: Snapshot().fetch([version_key]), SAMPLES["operation"])
        bump = _timed(lambda: versions.bump([version_key]), SAMPLES["operation"])
        POSTS.get(Snapshot(), group_id, [version_key], lambda: discovery.available_posts(group_id, "0"))
        l2_get = _timed(lambda: client.get(f"c:food_discovery:{group_id}"), SAMPLES["operation"])

        for person in people:  # every member's first look fills the shared entries
            page_of(person)
        before = stats.totals()
        open_claims: list[tuple[str, str]] = []
        writes = 0
        for _ in range(MIX_OPERATIONS):
            if random.random() < 0.05:
                _mix_write(people, members, open_claims)
                writes += 1
            else:
                page_of(random.choice(people))
        after = stats.totals()

    def delta(kind: str | None, level: str, hit: bool) -> int:
        return sum(n - before.get(key, 0) for key, n in after.items()
                   if key[1] == level and key[2] == hit and (kind is None or key[0] == kind))

    def hit_rate(kind: str | None) -> float:
        lookups = delta(kind, "L1", True) + delta(kind, "L1", False)
        return 100 * (delta(kind, "L1", True) + delta(kind, "L2", True)) / lookups if lookups else 0.0

    raw_p50, warm_p50, cold_p50 = statistics.median(raw), statistics.median(warm), statistics.median(cold)
    print(f"payload: {len(payload)} bytes, {len(json.loads(payload)['items'])} items; "
          f"world: {GROUPS} groups, {USERS} users")
    print(f"raw Redis GET of the payload    p50 {raw_p50:.3f} ms  p95 {_percentile(raw, 95):.3f} ms")
    print(f"cached discovery (warm)         p50 {warm_p50:.3f} ms  p95 {_percentile(warm, 95):.3f} ms"
          f"  -> {warm_p50 / raw_p50:.2f}x raw GET (goal <= 2x)")
    print(f"uncached discovery (DynamoDB)   p50 {cold_p50:.3f} ms  p95 {_percentile(cold, 95):.3f} ms"
          f"  -> cached is {cold_p50 / warm_p50:.1f}x faster (goal >= 10x)")
    print(f"browse-heavy mix: {MIX_OPERATIONS} operations, {writes} writes -> hit rate {hit_rate(None):.1f} % (goal >= 90 %)")
    for kind in ("discovery_page", "food_discovery", "visible_groups", "user_profile", "group_names"):
        print(f"  {kind:<16} hit rate {hit_rate(kind):5.1f} %  (L1 {delta(kind, 'L1', True)}, "
              f"L2 {delta(kind, 'L2', True)}, DynamoDB {delta(kind, 'L3', True)})")
    print("cache operations p95: "
          f"versions read {_percentile(version_read, 95):.3f} ms, version bump (invalidation) "
          f"{_percentile(bump, 95):.3f} ms, L2 GET {_percentile(l2_get, 95):.3f} ms, "
          f"whole cached discovery {_percentile(warm, 95):.3f} ms (goal < 5 ms)")


if __name__ == "__main__":
    main()
