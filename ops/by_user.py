"""One-off, after deploying the posts' and claims' `by_user` index entries (issue 16's erasure at scale).

Erasure winds a person down through the `by_user` index (their posts: `USER#<sharer>/FOOD#<id>`, their
claims: `USER#<claimer>/EXCHANGE#<id>`) instead of scanning the table. Posts and exchanges written before
the index carry no entry, so an erasure would not find them to withdraw or cancel (the sweep still
anonymises them). This pass adds the entry to every post and exchange without one; setting the same
values again changes nothing, so it can run again. `python -m ops.by_user` against the stage's table
(AWS_ENDPOINT_URL reaches an emulator).
"""

from __future__ import annotations

from foodshare.data.models import ExchangeItem, FoodItem
from foodshare.domain import personal_data

from ops import one_off


def _missing(item: dict) -> bool:
    pk, sk = item["pk"]["S"], item["sk"]["S"]
    return sk == "META" and pk.startswith(("FOOD#", "EXCHANGE#")) and "by_user_pk" not in item


def migrate() -> int:
    """Add the `by_user` entry to every post and exchange without one; returns how many were added."""
    added = 0
    for item in personal_data.parallel_scan(_missing):
        if item["pk"]["S"].startswith("FOOD#"):
            model, owner, sk = FoodItem, item["sharer_id"]["S"], f"FOOD#{item['food_id']['S']}"
        else:
            model, owner, sk = ExchangeItem, item["claimer_id"]["S"], f"EXCHANGE#{item['exchange_id']['S']}"
        model(item["pk"]["S"], item["sk"]["S"]).update(
            actions=[model.by_user_pk.set(f"USER#{owner}"), model.by_user_sk.set(sk)],
            condition=model.pk.exists(),  # never create an item that was deleted meanwhile
        )
        added += 1
    return added


def main() -> None:
    one_off.run(__doc__, migrate, "posts and exchanges indexed by their person")


if __name__ == "__main__":
    main()
