"""Never stale after a write: once a write has answered, discovery from any container shows it.

Each test first warms the cache until discovery is served from it (L1 hits counted),
then writes through the API and reads again at once.
"""

from __future__ import annotations

import json
import threading
import time

from foodshare import clock
from foodshare.cache import stats, versions
from foodshare.cache.readers import POSTS
from foodshare.redis_client import get_client
from local.lambda_context import LambdaContext
from tests.support.apigw import build_event, match_route
from tests.support.runtime import invoke_function
from tests.support import flows
from tests.support.api import call, claims_for


def _titles(user: str) -> list[str]:
    reply = call("GET", "/food", user=user)
    assert reply.status == 200, reply
    return sorted(item["title"] for item in reply.body["items"])


def _l1_hits(*kinds: str) -> int:
    return sum(n for (kind, level, hit), n in stats.totals().items() if kind in kinds and level == "L1" and hit)


def _warm(user: str) -> list[str]:
    """Read until the page (or the group lists) come from L1, proving the next read would be served from the cache."""
    before = _l1_hits("discovery_page", "food_discovery")
    for _ in range(3):
        titles = _titles(user)
    assert _l1_hits("discovery_page", "food_discovery") > before, "discovery was not served from the cache"
    return titles


def _token(key: str) -> bytes:
    return get_client().get(key)


def test_new_post_is_visible_at_once():
    c = flows.community()
    flows.share("sam", c["group"], title="Bread")
    assert _warm("cleo") == ["Bread"]
    flows.share("sam", c["group"], title="Soup")
    assert _titles("cleo") == ["Bread", "Soup"]


def test_withdrawn_post_disappears_at_once():
    c = flows.community()
    food_id = flows.share("sam", c["group"], title="Bread")
    assert _warm("cleo") == ["Bread"]
    assert call("DELETE", f"/food/{food_id}", user="sam").status == 200
    assert _titles("cleo") == []


def test_claimed_post_disappears_and_cancel_relists_it():
    c = flows.community()
    flows.user("ada")
    flows.join("ada", c["group"], "sam")
    food_id = flows.share("sam", c["group"], title="Bread")
    assert _warm("ada") == ["Bread"]
    exchange_id = flows.claim("cleo", food_id)
    assert _titles("ada") == []
    assert _warm("ada") == []
    assert call("POST", f"/exchanges/{exchange_id}/cancel", user="cleo").status == 200
    assert _titles("ada") == ["Bread"]


def test_expiry_bumps_the_group_version():
    """A claim cancelled after its window expires the post (FoodExpired): the group's version moves."""
    c = flows.community()
    start, end = flows.window(start_in_hours=0, length_hours=1)
    food_id = flows.share("sam", c["group"], title="Bread", pickupStart=start, pickupEnd=end)
    flows.share("sam", c["group"], title="Soup")
    exchange_id = flows.claim("cleo", food_id)
    assert _warm("cleo") == ["Soup"]
    before = _token(versions.food(c["group"]))
    clock.advance(2 * 3600)
    cancelled = call("POST", f"/exchanges/{exchange_id}/cancel", user="cleo")
    assert cancelled.status == 200 and call("GET", f"/food/{food_id}", user="sam").body["status"] == "expired"
    assert _token(versions.food(c["group"])) != before
    assert _titles("cleo") == ["Soup"]


def test_joining_and_partnering_show_new_groups_at_once():
    c = flows.community()
    flows.share("sam", c["group"], title="Bread")
    flows.user("ada")
    assert _titles("ada") == [] and _titles("ada") == []
    flows.join("ada", c["group"], "sam")
    assert _titles("ada") == ["Bread"]
    south = flows.group("bea", "South")
    flows.share("bea", south, title="Near")
    assert _warm("ada") == ["Bread"]
    from foodshare.data.models import UserItem

    UserItem(*UserItem.key("ada")).update(actions=[UserItem.score.set(80)])  # partner terms: score >= 70
    flows.user("ada")  # PUT /me: the profile version moves with it
    flows.partnership("sam", c["group"], "bea", south)
    assert _titles("ada") == ["Bread", "Near"]


def test_ended_posts_drop_out_of_a_cached_list():
    c = flows.community()
    start, end = flows.window(start_in_hours=0, length_hours=1)
    flows.share("sam", c["group"], title="Soon gone", pickupStart=start, pickupEnd=end)
    flows.share("sam", c["group"], title="Later")
    assert _warm("cleo") == ["Later", "Soon gone"]
    clock.advance(3600 + 1)
    assert _titles("cleo") == ["Later"]


def _discover_in_container(user: str) -> set[str]:
    """GET /food through the local Lambda runtime: each concurrent call gets its own container."""
    event = build_event(match_route("GET", "/food"), "/food", claims=claims_for(user))
    reply = invoke_function("discovery", event, LambdaContext(function_name="foodshare-discovery"))
    assert reply["statusCode"] == 200, reply
    return {item["foodId"] for item in json.loads(reply["body"])["items"]}


def test_claim_racing_discovery_reads_is_never_shown_after_it_returned():
    c = flows.community()
    flows.user("ada")
    flows.join("ada", c["group"], "sam")
    food_id = flows.share("sam", c["group"], title="Bread")
    for _ in range(3):
        assert food_id in _discover_in_container("ada")
    reads: list[tuple[float, float, bool]] = []
    claimed_at: list[float] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            started = time.monotonic()
            seen = food_id in _discover_in_container("ada")
            reads.append((started, time.monotonic(), seen))

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    flows.claim("cleo", food_id)
    claimed_at.append(time.monotonic())
    time.sleep(0.3)
    stop.set()
    for thread in threads:
        thread.join()
    after = [seen for started, _, seen in reads if started > claimed_at[0]]
    before = [seen for _, ended, seen in reads if ended < claimed_at[0]]
    assert after and before, "the readers did not overlap the claim"
    assert any(before) and not any(after)


def test_group_lists_are_shared_between_members():
    """One member's read fills the entry another member is then served from."""
    c = flows.community()
    flows.user("ada")
    flows.join("ada", c["group"], "sam")
    flows.share("sam", c["group"], title="Bread")
    _titles("cleo")
    _titles("cleo")
    assert POSTS.memory.get(c["group"]) is not None
    hits = _l1_hits("food_discovery")
    assert _titles("ada") == ["Bread"]
    assert _l1_hits("food_discovery") > hits


def _titles_above(user: str, score: float) -> list[str]:
    """What the user finds from sharers above `score` (others' exact scores are not shown)."""
    return [item["title"] for item in call("GET", "/food", user=user, query={"minReputation": score}).body["items"]]


def test_reputation_change_is_shown_at_once():
    import json as jsonlib

    from foodshare import reputation
    from foodshare.consumers import Delivered
    from foodshare.data.models import EventItem

    c = flows.community()
    flows.set_score(c["sharer"], 68)  # before anything is cached
    flows.share(c["sharer"], c["group"])
    _warm(c["claimer"])
    assert _titles_above(c["claimer"], 70) == []  # the sharer has 68: "developing", below 70's "established"
    shared = next(e for e in EventItem.scan(EventItem.pk.startswith("EVENTLOG#")) if e.event_type == "FoodShared")
    assert reputation.apply(Delivered.of(jsonlib.loads(shared.detail)))  # the consumer's commit, as from the queue
    assert len(_titles_above(c["claimer"], 70)) == 1
    assert call("GET", f"/users/{c['sharer']}/reputation", user=c["sharer"]).body["score"] == 70


class _BumpTimesOutOnce:
    """The container's Redis client, with the next version bump timing out (a latency spike: one failure, so the
    breaker stays closed)."""

    def __init__(self, client) -> None:
        self._client = client
        self.failed = False

    def evalsha(self, sha, *args):
        import redis

        if sha == versions._BUMP.sha and not self.failed:
            self.failed = True
            raise redis.TimeoutError("Timeout reading from socket")
        return self._client.evalsha(sha, *args)

    def __getattr__(self, name):
        return getattr(self._client, name)


def test_a_missed_bump_is_made_good_by_the_writers_next_bump(monkeypatch):
    """docs/cache.md, rule 5: a bump that fails where the breaker stays closed leaves other containers serving the
    old entries only until the writing container's next call. A writer that never reads the cache (posting,
    claiming, the consumers) renews the epoch with its next bump, not an entry TTL (10 min for a group's list) later."""
    from foodshare.cache.breaker import guard

    c = flows.community()
    flows.share("sam", c["group"], title="Bread")
    other = flows.group("sam", "Elsewhere")
    assert _warm("cleo") == ["Bread"]
    flaky = _BumpTimesOutOnce(get_client())
    monkeypatch.setattr(guard, "_client_factory", lambda: flaky)
    flows.share("sam", c["group"], title="Soup")  # committed; its bump timed out
    assert flaky.failed and guard.state == "CLOSED" and guard.owes_epoch
    flows.share("sam", other, title="Jam")  # the posting container's next request: its bump goes through
    # The discovery containers owe nothing (their Redis calls never failed): they serve what the versions allow.
    monkeypatch.setattr(guard, "owes_epoch", False)
    assert _titles("cleo") == ["Bread", "Soup"]
