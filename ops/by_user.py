"""One-off, after deploying the `by_user` index entries the "mine" lists read (issues 16 and 18).

Erasure winds a person down through the `by_user` index (their posts: `USER#<sharer>/FOOD#...`, their
claims: `USER#<claimer>/EXCHANGE#<id>`) instead of scanning the table, and GET /me/food and /me/exchanges
page the same entries newest first. This pass brings every post and exchange written before to what the
code writes now: a post gets its entry by creation time (`FOOD#<createdAt>#<foodId>`; posts indexed as
`FOOD#<foodId>` sorted by group, not time), an exchange its claimer's entry, and every exchange its sharer's
entry (`EXCHANGE#<id>/SHARER`: without one the sharer's GET /me/exchanges does not list it). Setting the same
values again changes nothing, so it can run again. `python -m ops.by_user` against the stage's table
(AWS_ENDPOINT_URL reaches an emulator).
"""

from __future__ import annotations

from foodshare.data.models import ExchangeItem, FoodItem, SharerEntryItem
from foodshare.domain import personal_data

from ops import one_off


def _read(item: dict) -> bool:
    pk, sk = item["pk"]["S"], item["sk"]["S"]
    return (sk == "META" and pk.startswith(("FOOD#", "EXCHANGE#"))) or (pk.startswith("EXCHANGE#") and sk == "SHARER")


def migrate() -> int:
    """Bring every post's and exchange's `by_user` entries up to date; returns how many items were written."""
    changed = 0
    shared: dict[str, dict] = {}  # exchange id -> the exchange
    entries: set[str] = set()  # exchange ids with a sharer entry
    for item in personal_data.parallel_scan(_read):
        pk, sk = item["pk"]["S"], item["sk"]["S"]
        if sk == "SHARER":
            entries.add(pk.removeprefix("EXCHANGE#"))
            continue
        if pk.startswith("FOOD#"):
            model, owner = FoodItem, item["sharer_id"]["S"]
            entry = FoodItem.sharer_entry(item["created_at"]["S"], item["food_id"]["S"])
        else:
            shared[item["exchange_id"]["S"]] = item
            model, owner, entry = ExchangeItem, item["claimer_id"]["S"], f"EXCHANGE#{item['exchange_id']['S']}"
        if item.get("by_user_sk", {}).get("S") == entry and "by_user_pk" in item:
            continue
        model(pk, sk).update(
            actions=[model.by_user_pk.set(item.get("by_user_pk", {}).get("S") or f"USER#{owner}"),
                     model.by_user_sk.set(entry)],
            condition=model.pk.exists(),  # never create an item that was deleted meanwhile
        )
        changed += 1
    for exchange_id, item in shared.items():
        if exchange_id in entries:
            continue
        SharerEntryItem(*SharerEntryItem.key(exchange_id), exchange_id=exchange_id, food_id=item["food_id"]["S"],
                        by_user_pk=f"USER#{item['sharer_id']['S']}", by_user_sk=f"EXCHANGE#{exchange_id}").save()  # a claim writes the same
        changed += 1
    return changed


def main() -> None:
    one_off.run(__doc__, migrate, "post and exchange index entries written")


if __name__ == "__main__":
    main()
