"""One-off, after deploying the handle index (`HandleItem`): record the handles of people who appeared before it.

`identities.resolve` finds a handle by key since the index exists; members who joined, partner-group
claimers who claimed and reporters who reported before the deploy have no index item, so their handles
would not resolve. This pass records one for every membership, every partner-group claim (the claimer
in the post's group) and every report (the reporter in each group it went to). A member's item carries their
pseudonym in the group (what lets appointing a moderator skip reading the membership; run it again after the
deploy that brought that). Writing the same item again changes nothing, so it can run again.
`python -m ops.handles` against the stage's table (AWS_ENDPOINT_URL reaches an emulator).
"""

from __future__ import annotations

from foodshare.data.transaction import UnitOfWork
from foodshare.domain import identities, personal_data

from ops import one_off

BATCH = 25  # people recorded per transaction (a transaction holds at most 100 items)


def _appearances(item: dict) -> list[tuple[str, str, str | None]]:
    """(user id, group id, pseudonym there if a member's) an item shows someone in; [] for items that show nobody."""
    pk, sk = item["pk"]["S"], item["sk"]["S"]
    if pk.startswith("GROUP#") and sk.startswith("MEMBER#"):
        return [(item["user_id"]["S"], item["group_id"]["S"], item.get("pseudonym", {}).get("S"))]
    if pk.startswith("EXCHANGE#") and sk == "META" and "partnership_id" in item and "S" in item["partnership_id"]:
        return [(item["claimer_id"]["S"], item["group_id"]["S"], None)]
    if pk.startswith("REPORT#") and sk == "META":
        return [(item["reporter_id"]["S"], g["S"], None) for g in item.get("group_ids", {}).get("L", [])]
    return []


def migrate() -> int:
    """Record every earlier appearance's handle; returns how many were recorded."""
    pseudonyms: dict[tuple[str, str], str | None] = {}
    for item in personal_data.parallel_scan(_appearances):
        for user_id, group_id, pseudonym in _appearances(item):
            pseudonyms[user_id, group_id] = pseudonyms.get((user_id, group_id)) or pseudonym
    pairs = sorted(pseudonyms)
    for start in range(0, len(pairs), BATCH):
        uow = UnitOfWork(allow_no_events=True)
        for user_id, group_id in pairs[start:start + BATCH]:
            identities.record_handle(uow, user_id, group_id, pseudonym=pseudonyms[user_id, group_id])
        uow.commit()
    return len(pairs)


def main() -> None:
    one_off.run(__doc__, migrate, "handles recorded")


if __name__ == "__main__":
    main()
