"""The read-through itself: stampedes load once, levels expire on their own, hits and misses are counted."""

from __future__ import annotations

import json
import threading
import time

from foodshare.cache import stats, versions
from foodshare.cache.layered import Layered
from foodshare.cache.strategies import Strategy
from foodshare.cache.versions import Snapshot
from tests.support import flows
from tests.support.api import call

KEY = versions.food("stampede-group")


def _strategy(name: str, l1: float = 30, l2: int = 60) -> Strategy:
    return Strategy(name, l1, l2, "test source")


def _counting_loader(delay: float = 0.0):
    calls: list[int] = []
    lock = threading.Lock()

    def load():
        with lock:
            calls.append(1)
        time.sleep(delay)
        return ["value"]

    return load, calls


def _concurrently(target, args_list) -> None:
    threads = [threading.Thread(target=target, args=args) for args in args_list]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _prime_versions() -> None:
    """Mint the version keys in an earlier 'request', so entries built now may be stored."""
    Snapshot().fetch([KEY])
    time.sleep(0.002)


def test_concurrent_misses_in_one_container_load_once():
    _prime_versions()
    cache = Layered(_strategy("stampede_one"), lambda v: v, lambda v: v)
    load, calls = _counting_loader(delay=0.2)
    results = []

    def read():
        results.append(cache.get(Snapshot(), "k", [KEY], load))

    _concurrently(read, [()] * 20)
    assert results == [["value"]] * 20
    assert len(calls) == 1


def test_concurrent_misses_across_containers_load_once():
    """Twenty containers (own L1 and in-container locks each) share Redis: one loads, the others wait for L2."""
    _prime_versions()
    containers = [Layered(_strategy("stampede_many"), lambda v: v, lambda v: v) for _ in range(20)]
    load, calls = _counting_loader(delay=0.2)
    results = []

    def read(cache):
        results.append(cache.get(Snapshot(), "k", [KEY], load))

    _concurrently(read, [(cache,) for cache in containers])
    assert results == [["value"]] * 20
    assert len(calls) == 1


def test_levels_expire_after_their_ttl(clean_redis):
    _prime_versions()
    cache = Layered(_strategy("ttl", l1=0.2, l2=1), lambda v: v, lambda v: v)
    load, calls = _counting_loader()
    cache.get(Snapshot(), "k", [KEY], load)
    assert 0 < clean_redis.pttl("c:ttl:k") <= 1000
    before = stats.totals()

    def counted(level: str, hit: bool) -> int:
        return stats.totals().get(("ttl", level, hit), 0) - before.get(("ttl", level, hit), 0)

    cache.get(Snapshot(), "k", [KEY], load)
    assert counted("L1", True) == 1 and len(calls) == 1
    time.sleep(0.25)  # L1 expired, L2 still holds it
    cache.get(Snapshot(), "k", [KEY], load)
    assert counted("L1", False) == 1 and counted("L2", True) == 1 and len(calls) == 1
    time.sleep(1.0)  # both expired
    cache.get(Snapshot(), "k", [KEY], load)
    assert counted("L2", False) == 1 and len(calls) == 2


def test_a_bumped_version_invalidates_both_levels():
    _prime_versions()
    cache = Layered(_strategy("bumped"), lambda v: v, lambda v: v)
    load, calls = _counting_loader()
    cache.get(Snapshot(), "k", [KEY], load)
    cache.get(Snapshot(), "k", [KEY], load)
    assert len(calls) == 1
    versions.bump([KEY])
    cache.get(Snapshot(), "k", [KEY], load)
    assert len(calls) == 2


def test_hits_and_misses_are_emitted_per_type_and_level(capsys):
    c = flows.community()
    flows.share("sam", c["group"], title="Bread")
    for query in (None, None, None, {"limit": "5"}):  # pages built, then served, then another built from L1
        assert call("GET", "/food", user="cleo", query=query).status == 200
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    seen = set()
    for blob in lines:
        directive = blob["_aws"]["CloudWatchMetrics"][0]
        assert directive["Namespace"] == "Foodshare"
        for metric in directive["Metrics"]:
            if metric["Name"] in ("CacheHit", "CacheMiss"):
                # exactly the dimension set the CDK alarms read (cdk/observability.py)
                assert sorted(directive["Dimensions"][0]) == ["cache_type", "level", "service"]
                assert blob["service"] == "foodshare"
                seen.add((metric["Name"], blob["cache_type"], blob["level"]))
    assert ("CacheHit", "discovery_page", "L1") in seen
    assert ("CacheMiss", "discovery_page", "L1") in seen
    assert ("CacheHit", "food_discovery", "L1") in seen
    assert ("CacheMiss", "food_discovery", "L1") in seen
    assert ("CacheHit", "user_profile", "L1") in seen
    assert ("CacheHit", "visible_groups", "L1") in seen


def test_no_metric_lines_where_metrics_are_disabled(capsys, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")  # as the local stack sets it
    c = flows.community()
    flows.share("sam", c["group"], title="Bread")
    capsys.readouterr()
    assert call("GET", "/food", user="cleo").status == 200
    assert '"_aws"' not in capsys.readouterr().out


def test_a_loader_that_may_not_store_does_not_hold_the_other_containers_for_the_whole_lock(settings_env):
    """Within the settle time after a write nothing may be stored (docs/cache.md, rule 4): the container that took the
    load lock finds its value unstorable, so the entry the others poll for never comes. They load as soon as the
    lock is released, not when it lapses (LOCK_MS, 2 s: every miss of a just-written key waited that long)."""
    from foodshare.cache.flight import LOCK_MS

    settings_env(CACHE_SETTLE_MS="1000")
    versions.bump([KEY])  # a write just now: no entry built on it may be stored for a second
    containers = [Layered(_strategy("settling"), lambda v: v, lambda v: v) for _ in range(2)]
    load, calls = _counting_loader(delay=0.1)
    took = []

    def read(cache):
        started = time.monotonic()
        assert cache.get(Snapshot(), "k", [KEY], load) == ["value"]
        took.append(time.monotonic() - started)

    _concurrently(read, [(cache,) for cache in containers])
    assert len(calls) == 2  # neither could store, so both loaded
    assert max(took) < LOCK_MS / 1000 / 2, took
