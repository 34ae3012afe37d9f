"""One-off, after deploying the settlement of exchanges nobody closed: put older claimed posts back in expiring_food.

The `food_expiry` job finds the exchanges still open EXCHANGE_SETTLE_HOURS after their pickup window through their
claimed posts in the `expiring_food` index (domain/settlement.py): a claim now leaves its post there. A post claimed
before the deploy was taken out by its claim, so its exchange would never be settled. This pass gives every claimed
post without them its index keys (those its pickup end gives), under the condition that it is still claimed and has
none: an exchange closed meanwhile keeps its post out. A post whose window ended more than EXCHANGE_SETTLE_HOURS +
EXPIRY_LOOKBACK_HOURS ago is in a bucket the job no longer reads: the pass settles those itself, as the job would.
Writing again changes nothing, so it can run again. `python -m ops.claimed_expiry` against the stage's table
(AWS_ENDPOINT_URL reaches an emulator), after the deploy has finished.
"""

from __future__ import annotations

from datetime import timedelta

from pynamodb.exceptions import UpdateError

from foodshare import clock
from foodshare.data.models import ExchangeItem, FoodItem
from foodshare.domain import exchanges, personal_data
from foodshare.errors import DomainError
from foodshare.settings import get_settings

from ops import one_off


def _claimed_out_of_the_index(item: dict) -> bool:
    return (item["pk"]["S"].startswith("FOOD#") and item["sk"]["S"] == "META"
            and item.get("status", {}).get("S") == "claimed" and "expiry_pk" not in item)


def migrate() -> int:
    """Index (or, past the job's reach, settle) every claimed post the index lacks; returns how many."""
    settings = get_settings()
    now, grace = clock.now(), timedelta(hours=settings.exchange_settle_hours)
    reach = now - grace - timedelta(hours=settings.expiry_lookback_hours)
    done = 0
    for item in personal_data.parallel_scan(_claimed_out_of_the_index):
        food_id, pickup_end = item["food_id"]["S"], item["pickup_end"]["S"]
        keys = FoodItem.available_index(item["group_id"]["S"], food_id, pickup_end)
        try:
            FoodItem(*FoodItem.key(food_id)).update(
                actions=[FoodItem.expiry_pk.set(keys["expiry_pk"]), FoodItem.expiry_sk.set(keys["expiry_sk"])],
                condition=(FoodItem.status == "claimed") & FoodItem.expiry_pk.does_not_exist())
        except UpdateError:
            continue  # closed (or indexed) meanwhile
        done += 1
        if clock.parse_iso(pickup_end) < reach and "exchange_id" in item:
            try:
                exchange = ExchangeItem.get(*ExchangeItem.key(item["exchange_id"]["S"]), consistent_read=True)
                exchanges.settle(exchange, now, grace)
            except (ExchangeItem.DoesNotExist, DomainError):
                pass  # left claimed and indexed: the invariants name it
    return done


def main() -> None:
    one_off.run(__doc__, migrate, "claimed posts indexed for the settlement")


if __name__ == "__main__":
    main()
