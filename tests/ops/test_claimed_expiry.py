"""The one-off putting posts claimed before the settlement back in expiring_food (ops/claimed_expiry.py)."""

from __future__ import annotations

from datetime import timedelta

from foodshare import clock
from foodshare.data.models import ExchangeItem, FoodItem
from foodshare.domain import settlement
from ops import claimed_expiry
from tests.support import flows
from tests.support.api import call


def _as_claimed_before(food_id: str) -> None:
    """What a claim before this deploy left: the post out of expiring_food."""
    FoodItem(*FoodItem.key(food_id)).update(actions=[FoodItem.expiry_pk.remove(), FoodItem.expiry_sk.remove()])


def test_older_claimed_posts_are_indexed_so_their_exchanges_settle_and_long_past_ones_are_settled_at_once():
    c = flows.community()
    ends = clock.iso(clock.now() + timedelta(hours=1.5))
    long_ago = flows.share("sam", c["group"], pickupEnd=ends)
    long_ago_exchange = flows.claim("cleo", long_ago)
    clock.advance(130 * 3600)  # past the grace and the lookback: in no bucket the job reads
    recent = flows.share("sam", c["group"], pickupEnd=clock.iso(clock.now() + timedelta(hours=1.5)))
    recent_exchange = flows.claim("cleo", recent)
    closed = flows.claim("cleo", flows.share("sam", c["group"]))
    assert call("POST", f"/exchanges/{closed}/cancel", user="cleo").status == 200
    for food_id in (long_ago, recent):
        _as_claimed_before(food_id)

    assert claimed_expiry.migrate() == 2
    assert claimed_expiry.migrate() == 0  # again: nothing left to do
    assert ExchangeItem.get(*ExchangeItem.key(long_ago_exchange)).status == "lapsed"
    post = FoodItem.get(*FoodItem.key(recent))
    assert (post.status, post.expiry_pk) == ("claimed", f"EXPIRES#{post.pickup_end[:13]}")
    clock.advance(74 * 3600)
    assert settlement.settle_due().lapsed == 1
    assert ExchangeItem.get(*ExchangeItem.key(recent_exchange)).status == "lapsed"
