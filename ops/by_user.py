"""One-off, after deploying the `by_user` index entries that erasure (issue 16) and the caller's lists (API 5.1.0) read.

Erasure winds a person down through the `by_user` index (their posts: `USER#<sharer>/FOOD#...`, their
claims: `USER#<claimer>/EXCHANGE#<id>`) instead of scanning the table, and GET /me/food and /me/exchanges
page the same entries newest first. This pass brings every post and exchange written before to what the
code writes now: a post gets its entry by creation time (`FOOD#<createdAt>#<foodId>`; posts indexed as
`FOOD#<foodId>` sorted by group, not time), an exchange its claimer's entry, and every exchange its sharer's
entry (`EXCHANGE#<id>/SHARER`: without one the sharer's GET /me/exchanges does not list it). Setting the same
values again changes nothing, so it can run again. `python -m ops.by_user` against the stage's table
(AWS_ENDPOINT_URL reaches an emulator).

Each write holds only while the item still names the person as the scan read it: an erasure sweeping them between
the scan and the write (a pass over a large table takes minutes) renamed them, and writing what was read would
name them again for good (the post's entry under USER#<their id>, a sharer entry for them).
"""

from __future__ import annotations

from foodshare.data.models import ExchangeItem, FoodItem, SharerEntryItem, table_connection
from foodshare.domain import personal_data
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

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
            model, person, owner = FoodItem, FoodItem.sharer_id, item["sharer_id"]["S"]
            entry = FoodItem.sharer_entry(item["created_at"]["S"], item["food_id"]["S"])
        else:
            shared[item["exchange_id"]["S"]] = item
            model, person, owner = ExchangeItem, ExchangeItem.claimer_id, item["claimer_id"]["S"]
            entry = f"EXCHANGE#{item['exchange_id']['S']}"
        if item.get("by_user_sk", {}).get("S") == entry and "by_user_pk" in item:
            continue
        try:
            model(pk, sk).update(
                actions=[model.by_user_pk.set(item.get("by_user_pk", {}).get("S") or f"USER#{owner}"),
                         model.by_user_sk.set(entry)],
                # never create an item deleted meanwhile, nor name a person the erasure renamed since the scan
                condition=model.pk.exists() & (person == owner),
            )
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            continue
        changed += 1
    for exchange_id, item in shared.items():
        if exchange_id in entries:
            continue
        changed += _add_sharer_entry(exchange_id, item)
    return changed


def _add_sharer_entry(exchange_id: str, item: dict) -> int:
    """The exchange's sharer entry, as a claim writes it, while the exchange names its sharer as read (1 if added)."""
    sharer = item["sharer_id"]["S"]
    try:
        with TransactWrite(connection=table_connection().connection) as transaction:
            transaction.condition_check(ExchangeItem, *ExchangeItem.key(exchange_id),
                                        condition=ExchangeItem.sharer_id == sharer)
            transaction.save(SharerEntryItem(*SharerEntryItem.key(exchange_id), exchange_id=exchange_id,
                                             food_id=item["food_id"]["S"], by_user_pk=f"USER#{sharer}",
                                             by_user_sk=f"EXCHANGE#{exchange_id}"))
    except TransactWriteError as exc:
        if not any(r is not None and r.code == "ConditionalCheckFailed" for r in exc.cancellation_reasons or []):
            raise
        return 0  # the sharer was erased since the scan: the sweep has their entries already
    return 1


def main() -> None:
    one_off.run(__doc__, migrate, "post and exchange index entries written")


if __name__ == "__main__":
    main()
