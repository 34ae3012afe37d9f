"""Round-trip budgets: each API route's sample request makes no more AWS calls (by operation) and Redis
round trips than tests/budgets.py allows, warm and (for the cached reads) with an empty cache.

Each request is the benchmarks' sample for the route (benchmarks/world.py) served through its
handler in-process; AWS calls are counted by the IAM tests' botocore recorder, Redis round trips
where redis-py sends (tests/support/round_trips.py).
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest

from benchmarks.world import World, request_for, route_keys, to_event
from foodshare.settings import get_settings
from tests.budgets import BUDGETS, UNBUDGETED, over_budget
from tests.support import round_trips

WARM_UPS = 2


@pytest.fixture
def settled(monkeypatch):
    """Cache entries are stored as soon as their versions are older than the request (no settle wait)."""
    monkeypatch.setenv("CACHE_SETTLE_MS", "0")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _serve(key: str, world: World) -> round_trips.Trips:
    function, event = to_event(request_for(key, world))
    return round_trips.measure(function, event)


def test_every_route_has_a_budget():
    assert set(route_keys()) - UNBUDGETED == set(BUDGETS)


@pytest.mark.parametrize("key", sorted(BUDGETS))
def test_warm_request_stays_within_its_budget(key, settled):
    world = World.build(posts=2)
    for _ in range(WARM_UPS):  # the container's clients and the cache are warm
        assert _serve(key, world).status < 500
        time.sleep(0.002)  # versions minted by the warm-up are older than the measured request
    trips = _serve(key, world)
    budget = BUDGETS[key]
    assert trips.status < 400, trips
    assert not over_budget(budget.warm, trips.aws), f"{key}: {trips.describe()}"
    assert trips.redis <= budget.redis, f"{key}: {trips.describe()}"


@pytest.mark.parametrize("key", sorted(k for k, b in BUDGETS.items() if b.cold is not None))
def test_cache_cold_read_stays_within_its_budget(key, settled):
    world = World.build(posts=2)
    assert _serve(key, world).status == 200  # the function's container is warm, ...
    round_trips.cold()  # ... its cache and Redis are empty
    trips = _serve(key, world)
    budget = BUDGETS[key]
    assert trips.status == 200, trips
    assert not over_budget(budget.cold, trips.aws), f"{key}: {trips.describe()}"
    assert trips.redis <= budget.cold_redis, f"{key}: {trips.describe()}"


def test_a_budget_catches_an_added_read(settled, monkeypatch):
    """The recorder sees a read a route did not make before (the budget test can fail)."""
    from foodshare.domain import users

    world = World.build(posts=0)
    _serve("GET /me", world)
    find = users.find
    monkeypatch.setattr(users, "find", lambda user_id, *more: (find(user_id, *more), find(user_id, *more))[1])
    trips = _serve("GET /me", world)
    assert over_budget(BUDGETS["GET /me"].warm, trips.aws) == ["dynamodb:GetItem: 2 > 1"]


def _cold_discovery(who: str) -> round_trips.Trips:
    from benchmarks.world import Request

    function, event = to_event(Request("GET", "/food", who, query={"lat": "52.52", "lng": "13.405"}))
    round_trips.measure(function, event)
    round_trips.cold()
    trips = round_trips.measure(function, event)
    assert trips.status == 200
    return trips


def test_cache_cold_discovery_does_not_grow_with_the_groups(settled):
    """Partner sets, the groups' boards and the posts they list each come in one batch and the cache in pipelined
    round trips, whatever the number of groups (up to 100 a batch)."""
    from benchmarks.world import person
    from foodshare.domain import groups, partnerships

    world = World.build(posts=2)
    few, many = person("few"), person("many")
    groups.add_member(world.group_a, few)
    groups.add_member(world.group_a, many)
    for i in range(11):
        admin = person("admin")
        group_id = groups.create(admin, f"Street {i}", None)[0].group_id
        groups.add_member(group_id, many)
        if i % 3 == 0:  # some of them have partners of their own
            other_admin = person("admin")
            other = groups.create(other_admin, f"Partner {i}", None)[0].group_id
            proposal = partnerships.propose(group_id, admin, other, partnerships.Terms(10, 0, 3)).partnership_id
            partnerships.accept(proposal, other_admin)
    trips = {who: _cold_discovery(who) for who in (few, many)}  # 2 visible groups; 2 + 11 + 4 partners = 17
    assert trips[many].aws == trips[few].aws, (trips[few].describe(), trips[many].describe())
    assert trips[many].redis == trips[few].redis, (trips[few].describe(), trips[many].describe())


def test_a_group_without_a_board_is_read_by_its_index_query(settled):
    """A group from before boards (`python -m ops.boards` not run yet) costs its query, as before, and shows its
    posts."""
    from foodshare.data.models import OpenPostsItem

    world = World.build(posts=2)
    before = _cold_discovery(world.claimer)
    OpenPostsItem(*OpenPostsItem.key(world.group_a)).delete()
    after = _cold_discovery(world.claimer)
    assert after.aws["dynamodb:Query"] == before.aws["dynamodb:Query"] + 1, (before.describe(), after.describe())
    assert after.items_read == before.items_read - 1  # the group's board is no longer read (same posts)


def _exchange_action(world: World, exchange_id: str, action: str, user_id: str) -> round_trips.Trips:
    from benchmarks.world import Request

    function, event = to_event(Request("POST", f"/exchanges/{exchange_id}/{action}", user_id))
    trips = round_trips.measure(function, event)
    assert trips.status == 200, trips
    return trips


@pytest.mark.parametrize("variant", ["completing confirm", "sharer's cancel"])
def test_a_credit_given_back_reads_no_profile(variant, settled):
    """Beyond the samples (a claimer's first confirm, a claimer's cancel): the confirm that completes (the sharer is
    paid) and a sharer's cancel (the claimer's credit released) read only the exchange, then write (issue 15)."""
    from foodshare.domain import exchanges

    world = World.build(posts=0)
    for _ in range(WARM_UPS + 1):
        exchange_id, claimer = world.claimed()
        if variant == "completing confirm":
            exchanges.confirm(exchange_id, claimer)
            trips = _exchange_action(world, exchange_id, "confirm", world.sharer)
        else:
            trips = _exchange_action(world, exchange_id, "cancel", world.sharer)
    assert dict(trips.aws) == {"dynamodb:GetItem": 1, "dynamodb:TransactWriteItems": 1}, trips.describe()


def test_at_the_cap_the_credit_is_written_again_reading_the_balance(settled):
    """A blind credit that would pass the cap fails its condition; the release is done again the read way: the
    claimer stays at the cap, their held credit is released, and the event then says the balance."""
    from foodshare.data.models import EventItem, UserItem
    from foodshare.domain import exchanges

    world = World.build(posts=0)
    exchange_id, claimer = world.claimed()
    cap = get_settings().max_credit_balance
    UserItem(*UserItem.key(claimer)).update(actions=[UserItem.credit_balance.set(cap)])
    trips = _exchange_action(world, exchange_id, "cancel", claimer)
    # the exchange, the blind transaction (refused), then the read way: the exchange and profile, the transaction
    assert dict(trips.aws) == {"dynamodb:GetItem": 3, "dynamodb:TransactWriteItems": 2}, trips.describe()
    profile = UserItem.get(*UserItem.key(claimer))
    assert (int(profile.credit_balance), int(profile.credits_held)) == (cap, 0)
    assert exchanges.get_for_participant(exchange_id, claimer).status == "cancelled"
    released = [json.loads(e.detail)["data"] for e in EventItem.scan() if e.event_type == "CreditsReleased"]
    assert released == [{"userId": claimer, "amount": 0, "balanceAfter": cap, "exchangeId": exchange_id,
                         "reason": "claim_cancelled"}]


def test_an_invite_code_from_before_reads_the_group_after_the_invite(settled):
    """A code without the group in it (made before issue 15) still joins, in one read more than the budget's."""
    from benchmarks.world import Request, person
    from foodshare import clock
    from foodshare.data.models import InviteItem

    world = World.build(posts=0)
    for n in range(WARM_UPS + 1):
        code = f"OLDC0DE{n:03d}"
        expires = clock.now() + timedelta(days=1)
        InviteItem(*InviteItem.key(code), code=code, group_id=world.group_a, created_by=world.sharer,
                   expires_at=clock.iso(expires), expires_at_epoch=expires).save()
        function, event = to_event(Request("POST", "/groups/join", person("joiner"), {"inviteCode": code}))
        trips = round_trips.measure(function, event)
        assert trips.status == 200, trips
    assert dict(trips.aws) == {"dynamodb:BatchGetItem": 1, "dynamodb:GetItem": 1,
                               "dynamodb:TransactWriteItems": 1}, trips.describe()


def test_a_partnership_id_from_before_reads_the_groups_after_it(settled):
    """An id naming no group (made before issue 15) is answered in one read more than the budget's."""
    from benchmarks.world import Request, person
    from foodshare.domain import groups
    from tests.api.test_groups import _proposal_from_before

    world = World.build(posts=0)
    for _ in range(WARM_UPS + 1):
        admin = person("admin")
        target = groups.create(admin, "Corner Pantry", None)[0].group_id
        function, event = to_event(Request("POST", f"/partnerships/{_proposal_from_before(world.group_a, target)}"
                                                   "/accept", admin))
        trips = round_trips.measure(function, event)
        assert trips.status == 200, trips
    assert dict(trips.aws) == {"dynamodb:BatchGetItem": 2, "dynamodb:TransactWriteItems": 1}, trips.describe()


def test_a_post_id_from_before_reads_the_post_first(settled, monkeypatch):
    """A post id naming no group (one ULID, made before issue 15) is claimed in one read more than the budget's:
    the post, then the rest with the sharer's profile (whose restriction the transaction then need not check)."""
    from foodshare import ids

    world = World.build(posts=0)
    with monkeypatch.context() as ids_from_before:
        ids_from_before.setattr(ids, "food_id", lambda group_id: ids.new_id())
        for _ in range(WARM_UPS + 1):
            trips = _serve("POST /food/{foodId}/claims", world)
            assert trips.status == 201, trips
    assert dict(trips.aws) == {"dynamodb:GetItem": 1, "dynamodb:BatchGetItem": 1,
                               "dynamodb:TransactWriteItems": 1}, trips.describe()
    assert dict(_serve("POST /food/{foodId}/claims", world).aws) == {"dynamodb:BatchGetItem": 1,
                                                                     "dynamodb:TransactWriteItems": 1}


def test_leaving_the_leaderboards_takes_the_groups_from_the_cache(settled):
    """PUT /me/privacy that starts or stops ranking names the person's groups (their leaderboards go stale): from the
    cache of their groups when warm (no memberships query), from the query when not."""
    from benchmarks.world import Request

    world = World.build(posts=0)
    function, board = to_event(Request("GET", f"/groups/{world.group_a}/leaderboard", world.claimer))
    assert round_trips.measure(function, board).status == 200  # the claimer's groups are cached
    for choice in (False, True, False):
        function, event = to_event(Request("PUT", "/me/privacy", world.claimer, {"leaderboard": choice}))
        trips = round_trips.measure(function, event)
        assert trips.status == 200, trips
    assert dict(trips.aws) == {"dynamodb:GetItem": 1, "dynamodb:TransactWriteItems": 1}, trips.describe()
    round_trips.cold()
    function, event = to_event(Request("PUT", "/me/privacy", world.claimer, {"leaderboard": True}))
    trips = round_trips.measure(function, event)
    assert dict(trips.aws) == {"dynamodb:GetItem": 1, "dynamodb:Query": 1, "dynamodb:TransactWriteItems": 1}, \
        trips.describe()


def test_an_erasure_takes_the_groups_from_the_cache_and_leaves_the_wind_down_to_its_queue(settled):
    """DELETE /me freezes the account in one transaction whatever the person has open (the wind-down is the erasure
    queue's): its groups, whose cached views go stale at once, from the cache when warm, from the query when not."""
    from benchmarks.world import Request, new_post, person
    from foodshare.domain import erasure, food, groups

    world = World.build(posts=0)
    heavy, light = person("heavy"), person("light")
    for group in (world.group_a, world.group_b):  # more to wind down than the budget's sample
        groups.add_member(group, heavy)
    food.share(heavy, new_post(world.group_a))
    groups.add_member(world.group_a, light)
    function, board = to_event(Request("GET", f"/groups/{world.group_a}/leaderboard", heavy))
    for _ in range(3):  # heavy has used the app: the board and their groups come from the cache
        time.sleep(0.002)
        viewed = round_trips.measure(function, board)
    assert viewed.status == 200 and not viewed.aws, viewed.describe()
    for who, cached in ((heavy, True), (light, False)):
        code, _ = erasure.request(who)
        function, event = to_event(Request("DELETE", "/me", who, {"confirmationCode": code}))
        trips = round_trips.measure(function, event)
        assert trips.status == 202, trips
        expected = {"dynamodb:GetItem": 1, "dynamodb:TransactWriteItems": 1} | ({} if cached else {"dynamodb:Query": 1})
        assert dict(trips.aws) == expected, (who, trips.describe())


def test_compare_alternates_the_versions_and_pools_each_ones_cpu_samples(monkeypatch, tmp_path):
    """The side-by-side run meets the same machine load in both halves: rounds alternate the two versions."""
    from benchmarks import round_trips as bench

    order = []

    def run(code, samples):
        order.append((code.name, samples))
        cpu = 10.0 if code.name == "old" else 5.0
        return {"GET /me": {"status": 200, "warm": {"dynamodb:GetItem": 1}, "items_read": 1, "redis": 1,
                            "cpu_ms": [cpu + len(order)] * samples}}

    monkeypatch.setattr(bench, "baseline_checkout", lambda ref, folder: tmp_path / "old")
    monkeypatch.setattr(bench, "ROOT", tmp_path / "new")
    monkeypatch.setattr(bench, "_run", run)
    printed, metrics = bench.compare(7, "old", rounds=3)
    assert order == [("old", 3), ("new", 3)] * 3
    assert metrics["round_trips.before.cpu_p50_ms.GET /me"] == 13.0  # samples 11, 13, 15 (3 each): the middle
    assert metrics["round_trips.after.cpu_p50_ms.GET /me"] == 9.0  # 7, 9, 11
    assert "GET /me" in printed and "measured on: " in printed  # which machine: CPU figures differ by 2x
