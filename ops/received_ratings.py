"""One-off, after deploying the monthly received-ratings items (issue 15): carry the older per-rating items over.

Before, each received rating was its own item (`USER#<id>/RATED#<createdAt>#<exchangeId>`) and the
low-rating rule queried them; now the rule reads the months (`USER#<id>/RATED#<yyyy-mm>`, see
`ReceivedRatingsItem`) by key. Ratings given before the deploy are only in the old items, so until
they expire (45 days) the rule would not see them: this pass adds each to its month. Adding to a
set is idempotent, so it can run again (or race a rating being given) without counting a rating
twice; the old items are left to their TTL. `python -m ops.received_ratings` against the stage's
table (AWS_ENDPOINT_URL reaches an emulator).
"""

from __future__ import annotations

from foodshare import clock
from foodshare.domain import personal_data, standing

from ops import one_off


def _is_old(item: dict) -> bool:
    pk, sk = item["pk"]["S"], item["sk"]["S"]
    return pk.startswith("USER#") and sk.startswith("RATED#") and sk.count("#") == 2 and "stars" in item


def migrate() -> int:
    """Add every old per-rating item to its month; returns how many were carried over."""
    moved = 0
    for item in personal_data.parallel_scan(_is_old):
        user_id = item["pk"]["S"].removeprefix("USER#")
        _, created_at, exchange_id = item["sk"]["S"].split("#", 2)
        month, actions = standing.received_rating(user_id, exchange_id, int(item["stars"]["N"]),
                                                  clock.parse_iso(created_at))
        month.update(actions=actions)
        moved += 1
    return moved


def main() -> None:
    one_off.run(__doc__, migrate, "received ratings carried over to their months")


if __name__ == "__main__":
    main()
