"""The one-off building the boards of groups from before boards (ops/boards.py)."""

from __future__ import annotations

from foodshare.data import reads
from foodshare.data.models import FoodItem, OpenPostsItem
from ops import boards
from tests.support import flows, round_trips
from tests.support.api import call


def _board(group_id: str) -> OpenPostsItem | None:
    return reads.get_many([(OpenPostsItem, OpenPostsItem.key(group_id))])[0]


def _discovered(user_id: str) -> set[str]:
    round_trips.cold()
    reply = call("GET", "/food", user=user_id, query={"limit": 50})
    assert reply.status == 200, reply
    return {item["foodId"] for item in reply.body["items"]}


def test_older_groups_get_complete_boards_of_their_available_posts(monkeypatch):
    c = flows.community()
    group = c["group"]
    listed = {flows.share("sam", group) for _ in range(3)}
    flows.claim("cleo", flows.share("sam", group))  # claimed: on no board
    quiet = flows.group("sam", "Quiet street")
    for group_id in (group, quiet):  # as groups created before boards have none
        OpenPostsItem(*OpenPostsItem.key(group_id)).delete()
    listed.add(flows.share("sam", group))  # shared after the deploy: its transaction upserts an incomplete board
    assert not _board(group).complete and _board(quiet) is None
    assert _discovered("cleo") == listed  # read by the index query meanwhile

    monkeypatch.setattr(boards, "ENTRIES_PER_WRITE", 2)  # several writes for one group
    assert boards.migrate() == 2
    ends = {food_id: FoodItem.get(*FoodItem.key(food_id)).pickup_end for food_id in listed}
    for _ in range(2):  # and again: the same boards
        assert (_board(group).listed, _board(group).complete) == (ends, True)
        assert (_board(quiet).listed, _board(quiet).complete) == ({}, True)
        assert _discovered("cleo") == listed
        assert boards.migrate() == 2
