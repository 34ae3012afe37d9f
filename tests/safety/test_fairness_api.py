"""Each fairness rule through the claim path: its 409, the rule's code, when it lifts, and races."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from foodshare import clock
from foodshare.data.models import UserItem

from tests.support import flows
from tests.support.api import call


def _members(group_id: str, admin: str, *names: str) -> None:
    for name in names:
        flows.user(name)
        flows.join(name, group_id, admin)


def _set_score(user_id: str, score: float, level: str, balance: int = 50) -> None:
    user = UserItem.get(*UserItem.key(user_id))
    user.update(actions=[UserItem.score.set(score), UserItem.trust_level.set(level),
                         UserItem.credit_balance.set(balance)])


def _race_claims(user_id: str, posts: list[str]) -> list[str]:
    """One user claims every post at the same instant, below the API (which resolves one request at a
    time per process), so the conditional writes themselves race: the status or error code of each."""
    from foodshare.domain import exchanges
    from foodshare.errors import DomainError

    barrier = threading.Barrier(len(posts))
    outcomes = []

    def claim(food_id: str) -> None:
        barrier.wait()
        try:
            outcomes.append(exchanges.claim(food_id, user_id).status)
        except DomainError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=claim, args=(p,)) for p in posts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def _claim(user_id: str, food_id: str):
    return call("POST", f"/food/{food_id}/claims", user=user_id)


def test_active_claim_limit_per_trust_level_and_its_lifting():
    c = flows.community()
    _set_score("cleo", 60, "developing")  # developing: 2 at once
    posts = [flows.share("sam", c["group"]) for _ in range(3)]
    first = flows.claim("cleo", posts[0])
    flows.claim("cleo", posts[1])
    refused = _claim("cleo", posts[2])
    assert refused.status == 409 and refused.error_code == "active_claim_limit"
    assert "2 active claims" in refused.body["error"]["message"]
    assert call("GET", f"/food/{posts[2]}", user="cleo").body["status"] == "available"  # nothing written
    flows.complete("sam", "cleo", first)  # completing one lifts it
    assert _claim("cleo", posts[2]).status == 201

    _set_score("cleo", 95, "exemplary")  # exemplary: 5 at once
    more = [flows.share("sam", c["group"]) for _ in range(4)]
    assert [_claim("cleo", p).status for p in more] == [201, 201, 201, 409]


def test_concerning_members_may_hold_one_claim_even_when_racing():
    c = flows.community()
    _set_score("cleo", 40, "concerning")
    posts = [flows.share("sam", c["group"]) for _ in range(6)]
    outcomes = _race_claims("cleo", posts)
    assert Counter(outcomes) == {"claimed": 1, "active_claim_limit": 5}, outcomes
    assert int(UserItem.get(*UserItem.key("cleo")).credits_held) == 1


def test_daily_credit_limit_lifts_at_midnight():
    c = flows.community()
    _set_score("cleo", 40, "concerning")  # concerning: 3 credits a day, 1 claim at a time
    for _ in range(3):
        exchange = flows.claim("cleo", flows.share("sam", c["group"]))
        assert call("POST", f"/exchanges/{exchange}/cancel", user="cleo").status == 200
    refused = _claim("cleo", flows.share("sam", c["group"]))
    assert refused.status == 409 and refused.error_code == "daily_credit_limit"
    retry_at = refused.body["error"]["retryAt"]
    assert retry_at == clock.iso((clock.now() + timedelta(days=1)).replace(hour=0, minute=0, second=0))
    clock.advance((clock.parse_iso(retry_at) - clock.now()).total_seconds() + 1)
    assert _claim("cleo", flows.share("sam", c["group"])).status == 201


def test_daily_credit_limit_holds_under_racing_claims(settings_env):
    settings_env(DAILY_CREDIT_LIMITS="20/15/10/7/2", CLAIM_LIMITS="9/9/9/9/9")
    c = flows.community()
    _set_score("cleo", 40, "concerning")
    posts = [flows.share("sam", c["group"]) for _ in range(6)]
    outcomes = _race_claims("cleo", posts)
    assert Counter(outcomes) == {"claimed": 2, "daily_credit_limit": 4}, outcomes


def test_group_quota_set_by_admins_refuses_lifts_near_pickup_end_and_rolls():
    c = flows.community()
    group = c["group"]
    _members(group, "sam", "ida")
    _set_score("cleo", 95, "exemplary")  # so only the quota limits her
    body = {"maxClaims": 2, "windowHours": 24, "liftHours": 2}
    none = call("GET", f"/groups/{group}/claim-quota", user="cleo")
    assert none.status == 200 and none.body == {"groupId": group, "maxClaims": None, "windowHours": None,
                                                "liftHours": None}, none
    flows.user("outsider")
    assert call("GET", f"/groups/{group}/claim-quota", user="outsider").status == 404
    assert call("PUT", f"/groups/{group}/claim-quota", user="cleo", json=body).status == 403
    bad = call("PUT", f"/groups/{group}/claim-quota", user="sam", json={"maxClaims": 0, "windowHours": 24})
    assert bad.status == 400 and set(bad.body["error"]["fields"]) == {"maxClaims"}
    assert call("PUT", f"/groups/{group}/claim-quota", user="sam", json=body).body == {
        "groupId": group, "maxClaims": 2, "windowHours": 24, "liftHours": 2}
    assert call("GET", f"/groups/{group}/claim-quota", user="cleo").body["maxClaims"] == 2
    assert call("GET", f"/groups/{group}/claim-quota", user="outsider").status == 404  # a quota shows no outsider

    first_post = flows.share("sam", group)
    first_at = clock.now()
    first = flows.claim("cleo", first_post)
    assert call("POST", f"/exchanges/{first}/cancel", user="cleo").status == 200
    clock.advance(3600)
    flows.claim("cleo", flows.share("sam", group))
    later = flows.share("sam", group, pickupStart=clock.iso(clock.now() + timedelta(hours=1)),
                        pickupEnd=clock.iso(clock.now() + timedelta(hours=5)))
    refused = _claim("cleo", later)
    assert refused.status == 409 and refused.error_code == "group_claim_quota"
    retry_at = clock.parse_iso(refused.body["error"]["retryAt"])
    assert abs((retry_at - (first_at + timedelta(hours=24))).total_seconds()) <= 2  # when the first claim rolls out
    assert _claim("ida", later).status == 201  # ida has her own quota
    # Another post, whose pickup ends within the lift hours: anyone may claim it.
    soon = flows.share("sam", group, pickupStart=clock.iso(clock.now()),
                       pickupEnd=clock.iso(clock.now() + timedelta(hours=1, minutes=30)))
    assert _claim("cleo", soon).status == 201
    # The window rolls: 23 hours on, the first claim has left it.
    clock.advance(23 * 3600)
    assert _claim("cleo", flows.share("sam", group)).status == 201
    # Removing the quota.
    assert call("DELETE", f"/groups/{group}/claim-quota", user="sam").body["maxClaims"] is None


def test_group_quota_of_one_holds_under_racing_claims():
    c = flows.community()
    _set_score("cleo", 95, "exemplary")
    assert call("PUT", f"/groups/{c['group']}/claim-quota", user="sam",
                json={"maxClaims": 1, "windowHours": 48}).status == 200
    posts = [flows.share("sam", c["group"]) for _ in range(5)]
    outcomes = _race_claims("cleo", posts)
    assert Counter(outcomes) == {"claimed": 1, "group_claim_quota": 4}, outcomes


def _rated_exchange(sharer: str, claimer: str, group: str, stars: int) -> None:
    exchange = flows.claim(claimer, flows.share(sharer, group))
    flows.complete(sharer, claimer, exchange)
    assert call("POST", f"/exchanges/{exchange}/ratings", user=sharer, json={"stars": stars}).status == 201


def test_low_rating_suspension_blocks_claiming_and_posting_until_it_lifts():
    c = flows.community()
    group = c["group"]
    _set_score("cleo", 95, "exemplary")
    _members(group, "sam", "bea", "dan")
    for rater, stars in (("sam", 2), ("bea", 1)):
        _rated_exchange(rater, "cleo", group, stars)
        clock.advance(5 * 86400)
    assert _claim("cleo", flows.share("sam", group)).status == 201  # two low ratings: not yet
    _rated_exchange("dan", "cleo", group, 2)
    refused = _claim("cleo", flows.share("sam", group))
    assert refused.status == 409 and refused.error_code == "suspended_low_ratings"
    posting = call("POST", "/food", user="cleo", json=flows.post_body(group))
    assert posting.status == 409 and posting.error_code == "suspended_low_ratings"
    lifts = clock.parse_iso(refused.body["error"]["retryAt"])
    assert timedelta(days=13) < lifts - clock.now() <= timedelta(days=14)
    clock.advance((lifts - clock.now()).total_seconds() + 1)
    assert call("POST", "/food", user="cleo", json=flows.post_body(group)).status == 201
    assert _claim("cleo", flows.share("sam", group)).status == 201


def test_low_ratings_either_side_of_a_month_end_suspend_together():
    """Received ratings are kept per UTC month: the rule reads every month it looks back over."""
    c = flows.community()
    group = c["group"]
    _set_score("cleo", 95, "exemplary")
    _members(group, "sam", "bea", "dan")
    now = clock.now()
    last_day = (now.replace(day=1, hour=12, minute=0, second=0, microsecond=0) + timedelta(days=32)).replace(day=1) \
        - timedelta(days=1)
    clock.advance((last_day - now).total_seconds())
    for rater, stars in (("sam", 2), ("bea", 1), ("dan", 2)):  # a month's last day, then the next's first two
        _rated_exchange(rater, "cleo", group, stars)
        clock.advance(86400)
    assert clock.now().day == 3
    refused = _claim("cleo", flows.share("sam", group))
    assert refused.status == 409 and refused.error_code == "suspended_low_ratings"
    assert call("POST", "/food", user="cleo", json=flows.post_body(group)).error_code == "suspended_low_ratings"


def test_a_low_rating_received_while_a_claim_is_in_flight_is_seen_by_its_retry(monkeypatch):
    """The claim reads the months of received ratings in its batch; its transaction checks that the current
    month still holds what was read, so a rating landing in between makes the claim retry and be refused. (The
    racing rating names no exchange there is: its rater is unknown, so it counts as a third person's.)"""
    from foodshare.data import reads
    from foodshare.domain import standing

    c = flows.community()
    group = c["group"]
    _set_score("cleo", 95, "exemplary")
    _members(group, "sam", "bea")
    for rater, stars in (("sam", 2), ("bea", 1)):
        _rated_exchange(rater, "cleo", group, stars)
    food_id = flows.share("sam", group)
    get_many, landed = reads.get_many, []

    def then_a_rating_lands(wanted):
        found = get_many(wanted)
        if not landed and any(key[1].startswith("RATED#") for _, key in wanted):
            landed.append(True)
            month, actions = standing.received_rating("cleo", "racing-exchange", 1, clock.now())
            month.update(actions=actions)
        return found

    monkeypatch.setattr(reads, "get_many", then_a_rating_lands)
    refused = _claim("cleo", food_id)
    assert landed and refused.status == 409 and refused.error_code == "suspended_low_ratings"


def test_a_good_month_is_not_suspended_by_three_low_ratings():
    c = flows.community()
    group = c["group"]
    _set_score("cleo", 95, "exemplary")
    _members(group, "sam", "bea", "dan")
    for rater, stars in (("sam", 5), ("bea", 5), ("dan", 5), ("sam", 5), ("sam", 2), ("bea", 2), ("dan", 2)):
        _rated_exchange(rater, "cleo", group, stars)
    assert _claim("cleo", flows.share("sam", group)).status == 201


def test_one_person_cannot_suspend_another_alone():
    """Found by an audit: three exchanges with one counterpart, each rated 1★ by them, suspended cleo from claiming
    and posting for 14 days (and the settlement job lets a claimer complete an exchange alone). A rater's low
    ratings count once: sam's three are one, with bea's two low ratings; a third person's makes three."""
    c = flows.community()
    group = c["group"]
    _set_score("cleo", 95, "exemplary")
    _members(group, "sam", "bea", "dan")
    for _ in range(3):
        _rated_exchange("sam", "cleo", group, 1)
    assert _claim("cleo", flows.share("sam", group)).status == 201
    assert call("POST", "/food", user="cleo", json=flows.post_body(group)).status == 201
    for _ in range(2):
        _rated_exchange("bea", "cleo", group, 2)
    assert _claim("cleo", flows.share("sam", group)).status == 201  # two people, four low ratings: not yet
    _rated_exchange("dan", "cleo", group, 2)
    refused = _claim("cleo", flows.share("sam", group))
    assert refused.status == 409 and refused.error_code == "suspended_low_ratings"
    assert call("POST", "/food", user="cleo", json=flows.post_body(group)).error_code == "suspended_low_ratings"
    lifts = clock.parse_iso(refused.body["error"]["retryAt"])
    assert timedelta(days=13) < lifts - clock.now() <= timedelta(days=14)


def test_the_raters_are_read_only_when_the_rule_would_otherwise_suspend():
    """The month items name exchanges, not raters: a claim reads the low ratings' exchanges (one batch more) only
    when counting every rating as its own rater would suspend. Otherwise the claim keeps its budget's one batch."""
    from benchmarks.world import Request, to_event
    from tests.support import round_trips

    c = flows.community()
    group = c["group"]
    _set_score("cleo", 95, "exemplary")
    _members(group, "sam", "bea")
    _rated_exchange("sam", "cleo", group, 1)
    _rated_exchange("bea", "cleo", group, 2)

    def claim_trips() -> round_trips.Trips:
        trips = round_trips.measure(*to_event(Request("POST", f"/food/{flows.share('sam', group)}/claims", "cleo")))
        assert trips.status == 201, trips.describe()
        return trips

    assert claim_trips().aws["dynamodb:BatchGetItem"] == 1  # two low ratings: nothing more to know
    for _ in range(2):
        _rated_exchange("sam", "cleo", group, 1)
    assert claim_trips().aws["dynamodb:BatchGetItem"] == 2  # four, sam's three of them: who gave them is read
