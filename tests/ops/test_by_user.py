"""The one-off indexing older posts and exchanges by their person (ops/by_user.py), so erasure winds them down."""

from __future__ import annotations

from foodshare.data.models import ExchangeItem, FoodItem, SharerEntryItem

from ops import by_user
from tests.events.conftest import backbone  # noqa: F401  (the fixture: the erasure consumer winds down)
from tests.support import flows
from tests.support.api import call


def _unindex(model, key) -> None:
    model(*key).update(actions=[model.by_user_pk.remove(), model.by_user_sk.remove()])


def test_posts_and_claims_from_before_the_index_are_wound_down_by_an_erasure_once_indexed(backbone):  # noqa: F811
    group = flows.community()["group"]
    open_post, claimed_post = flows.share("sam", group), flows.share("sam", group)
    exchange = flows.claim("cleo", claimed_post)
    for model, key in ((FoodItem, FoodItem.key(open_post)), (FoodItem, FoodItem.key(claimed_post)),
                       (ExchangeItem, ExchangeItem.key(exchange))):
        _unindex(model, key)
    def indexed(user_id: str, prefix: str) -> list[str]:
        return [i.by_user_sk for i in FoodItem.by_user.query(f"USER#{user_id}", FoodItem.by_user_sk.startswith(prefix))]

    assert indexed("sam", "FOOD#") == [] and indexed("cleo", "EXCHANGE#") == []  # as before the deploy

    assert by_user.migrate() == 3
    assert sorted(indexed("sam", "FOOD#")) == sorted(
        FoodItem.sharer_entry(FoodItem.get(*FoodItem.key(p)).created_at, p) for p in (open_post, claimed_post))
    assert indexed("cleo", "EXCHANGE#") == [f"EXCHANGE#{exchange}"]
    assert by_user.migrate() == 0  # again: nothing left to index

    code = call("POST", "/me/erasure", user="cleo").body["confirmationCode"]
    assert call("DELETE", "/me", user="cleo", json={"confirmationCode": code}).status == 202
    backbone.deliver()
    assert ExchangeItem.get(*ExchangeItem.key(exchange)).status == "cancelled"  # found through the index
    code = call("POST", "/me/erasure", user="sam").body["confirmationCode"]
    assert call("DELETE", "/me", user="sam", json={"confirmationCode": code}).status == 202
    backbone.deliver()
    assert FoodItem.get(*FoodItem.key(open_post)).status == "withdrawn"


def test_older_posts_are_listed_by_time_and_older_exchanges_on_both_sides_once_migrated():
    """Posts indexed as FOOD#<foodId> (by group, not time) and exchanges claimed before their sharer entry: GET
    /me/food and /me/exchanges list them as they list new ones after the one-off."""
    group = flows.community()["group"]
    first, second = flows.share("sam", group, title="First"), flows.share("sam", group, title="Second")
    exchange = flows.claim("cleo", second)
    for post in (first, second):  # as written before
        FoodItem(*FoodItem.key(post)).update(actions=[FoodItem.by_user_sk.set(f"FOOD#{post}")])
    SharerEntryItem(*SharerEntryItem.key(exchange)).delete()
    assert call("GET", "/me/exchanges", user="sam").body["exchanges"] == []

    assert by_user.migrate() == 3
    assert by_user.migrate() == 0
    posts = call("GET", "/me/food", user="sam").body["posts"]
    assert sorted(p["foodId"] for p in posts) == sorted([first, second])
    assert [p["createdAt"] for p in posts] == sorted((p["createdAt"] for p in posts), reverse=True)
    [shown] = call("GET", "/me/exchanges", user="sam").body["exchanges"]
    assert shown["exchangeId"] == exchange and shown["sharer"]["mine"] and shown["food"]["foodId"] == second


def test_a_person_erased_while_the_one_off_runs_is_not_written_back(backbone, monkeypatch):  # noqa: F811
    """The pass scans, then writes what it read: an erasure sweeping the person between the two (a one-off over
    a large table runs for minutes) must not get their id back, on their post's index entry or on a sharer entry
    it adds for an exchange of theirs (both would name them under USER#<their id> for good)."""
    from foodshare.domain import personal_data

    group = flows.community()["group"]
    post = flows.share("sam", group)
    exchange = flows.claim("cleo", post)
    FoodItem(*FoodItem.key(post)).update(actions=[FoodItem.by_user_sk.set(f"FOOD#{post}")])  # as written before
    SharerEntryItem(*SharerEntryItem.key(exchange)).delete()
    read = personal_data.parallel_scan(by_user._read)  # the pass's scan, before the erasure

    code = call("POST", "/me/erasure", user="sam").body["confirmationCode"]
    assert call("DELETE", "/me", user="sam", json={"confirmationCode": code}).status == 202
    backbone.deliver()
    assert not any(personal_data.names(i, {"sam"}) for i in personal_data.parallel_scan())

    scan = personal_data.parallel_scan
    monkeypatch.setattr(personal_data, "parallel_scan", lambda keep=None: read)
    by_user.migrate()
    named = [(i["pk"]["S"], i["sk"]["S"]) for i in scan() if personal_data.names(i, {"sam"})]
    assert named == [], named
