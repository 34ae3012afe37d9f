"""The finished discovery page in L1: served on repeat, never after what it was built from changed.

A page depends on versions (the caller's, each visible group's posts, every candidate's
sharer, the names) and on time (its first candidate's pickup window end).
"""

from __future__ import annotations

import json

from foodshare import clock, reputation
from foodshare.cache import stats, versions
from foodshare.consumers import Delivered
from foodshare.data.models import EventItem
from foodshare.redis_client import get_client
from tests.support import flows
from tests.support.api import call

COMPONENTS = ("food_discovery", "visible_groups", "user_profile", "group_names")


def _lookups(kind: str, hit: bool | None = None) -> int:
    return sum(n for (k, level, h), n in stats.totals().items() if k == kind and level == "L1" and hit in (None, h))


def _get(user: str, query: dict | None = None):
    reply = call("GET", "/food", user=user, query=query)
    assert reply.status == 200, reply
    return reply


def _warm_page(user: str, query: dict | None = None) -> list[str]:
    """Read until the page itself is served from L1."""
    before = _lookups("discovery_page", hit=True)
    for _ in range(3):
        reply = _get(user, query)
    assert _lookups("discovery_page", hit=True) > before, "the page was not served from L1"
    return sorted(item["title"] for item in reply.body["items"])


def test_a_repeated_request_is_one_page_lookup():
    c = flows.community()
    flows.share("sam", c["group"], title="Bread")
    flows.share("sam", c["group"], title="Soup")
    assert _warm_page("cleo") == ["Bread", "Soup"]
    first = _get("cleo")
    parts = {kind: _lookups(kind) for kind in COMPONENTS}
    hits = _lookups("discovery_page", hit=True)
    again = _get("cleo")
    assert again.body == first.body and again.headers["Content-Type"] == "application/json"
    assert _lookups("discovery_page", hit=True) == hits + 1
    assert {kind: _lookups(kind) for kind in COMPONENTS} == parts  # nothing below the page was looked up

    one = _get("cleo", {"limit": "1"})  # other filters: another page
    assert len(one.body["items"]) == 1 and one.body["nextCursor"]
    assert _get("cleo", {"limit": "1"}).body == one.body
    assert _get("cleo").body == first.body


def test_a_sharers_score_change_rebuilds_a_cached_page():
    """The page filtered on the sharer's score (minReputation): the sharer's version is one it depends on."""
    c = flows.community()
    flows.set_score(c["sharer"], 68)  # before anything is cached
    flows.share(c["sharer"], c["group"], title="Bread")
    strict = {"minReputation": "70"}  # judged by trust level: "established" from 70
    assert _warm_page(c["claimer"], strict) == []  # the sharer has 68 ("developing")
    shared = next(e for e in EventItem.scan(EventItem.pk.startswith("EVENTLOG#")) if e.event_type == "FoodShared")
    assert reputation.apply(Delivered.of(json.loads(shared.detail)))  # the consumer's commit: +2
    reply = _get(c["claimer"], strict)
    assert [i["title"] for i in reply.body["items"]] == ["Bread"]  # now 70


def test_a_pickup_window_end_expires_a_cached_page_without_any_write():
    """The post that ends is not on the page, but the page's next cursor points at it."""
    c = flows.community()
    shown_from, shown_to = flows.window(start_in_hours=0, length_hours=3)
    flows.share("sam", c["group"], title="Shown", pickupStart=shown_from, pickupEnd=shown_to)
    next_from, next_to = flows.window(start_in_hours=0.5, length_hours=0.5)
    flows.share("sam", c["group"], title="Next", pickupStart=next_from, pickupEnd=next_to)
    one = {"limit": "1"}
    assert _warm_page("cleo", one) == ["Shown"]
    assert _get("cleo", one).body["nextCursor"]
    token = get_client().get(versions.food(c["group"]))
    clock.advance(3600 + 1)
    misses = _lookups("discovery_page", hit=False)
    reply = _get("cleo", one)
    assert [i["title"] for i in reply.body["items"]] == ["Shown"] and reply.body["nextCursor"] is None
    assert _lookups("discovery_page", hit=False) == misses + 1  # the cached page was not served
    assert get_client().get(versions.food(c["group"])) == token  # no version moved: time alone did it
    assert _warm_page("cleo", one) == ["Shown"]  # the rebuilt page is cached again
