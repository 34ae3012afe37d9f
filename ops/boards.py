"""One-off, after deploying the groups' boards of open posts (`OpenPostsItem`): build the board of every older group.

Cache-cold discovery reads a group's board (`GROUP#<g>/OPENPOSTS`) instead of querying the AvailableFoodIndex
per group; a group created before has no complete board and is still read by its query (correct, one call a
group). This pass writes each group's board from its index entries and marks it complete. Entries are upserted
beside live writes: a post listed meanwhile was put on the board by its own transaction, and one unlisted between
the index read and this write leaves an entry naming a post that is no longer available, which readers drop (the
post decides). Run it after the deploy has finished (no older code still listing posts); writing the same entries
again changes nothing, so it can run again. `python -m ops.boards` against the stage's table (AWS_ENDPOINT_URL
reaches an emulator).
"""

from __future__ import annotations

from foodshare import clock
from foodshare.data.models import OpenPostsItem
from foodshare.data.transaction import UnitOfWork
from foodshare.domain import discovery, personal_data

from ops import one_off

ENTRIES_PER_WRITE = 100  # an update expression holds at most 4 KB


def _group(item: dict) -> bool:
    return item["pk"]["S"].startswith("GROUP#") and item["sk"]["S"] == "META"


def build(group_id: str) -> None:
    """The group's board from its index entries, marked complete with its last write."""
    posts = discovery.available_posts(group_id, clock.now_iso())
    entries = [OpenPostsItem.entry(post.food_id).set(post.pickup_end) for post in posts]
    board = OpenPostsItem(*OpenPostsItem.key(group_id))
    writes = [entries[start:start + ENTRIES_PER_WRITE] for start in range(0, len(entries), ENTRIES_PER_WRITE)] or [[]]
    for number, actions in enumerate(writes, start=1):
        complete = [OpenPostsItem.complete.set(True)] if number == len(writes) else []
        uow = UnitOfWork(allow_no_events=True)  # sent again if it meets a live listing change on the board
        uow.update(board, actions + complete)
        uow.commit()


def migrate() -> int:
    """Build the board of every group; returns how many were built."""
    group_ids = [item["group_id"]["S"] for item in personal_data.parallel_scan(_group)]
    for group_id in group_ids:
        build(group_id)
    return len(group_ids)


def main() -> None:
    one_off.run(__doc__, migrate, "group boards built")


if __name__ == "__main__":
    main()
