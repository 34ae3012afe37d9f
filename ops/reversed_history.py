"""One-off, after deploying cap windows summed from the history (issue 15): mark the impacts taken back before.

Before, a cap window's use was its own item (`USER#<id>/REPCAP#<kind>#<window>`) and a reversal (an overturned
penalty, a rating ring) gave the room back by subtracting from it; now the use is the sum of the window's
history lines, and a line taken back is marked (`reversed_by`, the reversal's event id) so it no longer counts.
Lines taken back before the deploy carry no mark: without this pass their windows would count them again (and a
second ring flag could take them back again). Each reversal line (`reversed_<kind>`, its sort key ending in the
original event's id) marks its original, only if unmarked, so it can run again. The window items are left to
their TTL (32 days). `python -m ops.reversed_history` against the stage's table (AWS_ENDPOINT_URL reaches an
emulator).
"""

from __future__ import annotations

from foodshare.data.models import ReputationHistoryItem
from foodshare.domain import personal_data
from pynamodb.exceptions import UpdateError

from ops import one_off

_REVERSED = "reversed_"


def _is_reversal(item: dict) -> bool:
    return item["sk"]["S"].startswith("REPHIST#") and item.get("kind", {}).get("S", "").startswith(_REVERSED)


def migrate() -> int:
    """Mark the original of every reversal line; returns how many were newly marked."""
    marked = 0
    for item in personal_data.parallel_scan(_is_reversal):
        kind = item["kind"]["S"].removeprefix(_REVERSED)
        original_id = item["sk"]["S"].rsplit("#", 1)[1]
        lines = ReputationHistoryItem.query(item["pk"]["S"], ReputationHistoryItem.sk.startswith("REPHIST#"),
                                            filter_condition=(ReputationHistoryItem.event_id == original_id)
                                            & (ReputationHistoryItem.kind == kind))
        for original in lines:
            try:
                original.update([ReputationHistoryItem.reversed_by.set(item["event_id"]["S"])],
                                condition=ReputationHistoryItem.reversed_by.does_not_exist())
                marked += 1
            except UpdateError:  # marked already (an earlier run, or the reversal came after the deploy)
                pass
    return marked


def main() -> None:
    one_off.run(__doc__, migrate, "history lines marked taken back")


if __name__ == "__main__":
    main()
