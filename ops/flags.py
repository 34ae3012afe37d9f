"""One-off, after deploying the moderation queue in one query: move older flags into the queue's `OPEN` range.

A flag lives at `GROUP#<g>/OPENFLAG#<userId>#<kind>` since the moderation queue is read in one query (its open
reports, open appeals and flags share the sort-key prefix `OPEN`); flags written before are at
`FLAG#<userId>#<kind>`, which the queue no longer reads. This pass puts each at its new key (unless a newer
flag of the same member and kind is there already: that one stays) and deletes the old item, in one
transaction per flag; a flag already moved is not found again, so it can run again. `python -m ops.flags`
against the stage's table (AWS_ENDPOINT_URL reaches an emulator).
"""

from __future__ import annotations

from foodshare.data.models import FlagItem
from foodshare.data.transaction import UnitOfWork
from foodshare.domain import personal_data
from foodshare.errors import Conflict

from ops import one_off

OLD_PREFIX = "FLAG#"


class _NewerThere(Conflict):
    pass


def _older(item: dict) -> bool:
    return item["pk"]["S"].startswith("GROUP#") and item["sk"]["S"].startswith(OLD_PREFIX)


def migrate() -> int:
    """Move every flag from its older key; returns how many were moved."""
    moved = 0
    for raw in personal_data.parallel_scan(_older):
        old = FlagItem.from_raw_data(raw)
        group_id = old.pk.split("#", 1)[1]
        new = FlagItem(*FlagItem.key(group_id, old.user_id, old.kind), user_id=old.user_id, kind=old.kind,
                       explanation=old.explanation, evidence=old.evidence, created_at=old.created_at)
        uow = UnitOfWork(allow_no_events=True)
        uow.save(new, FlagItem.pk.does_not_exist(), on_fail=_NewerThere("a newer flag is at the new key"))
        uow.delete(old)
        try:
            uow.commit()
            moved += 1
        except _NewerThere:
            old.delete()
    return moved


def main() -> None:
    one_off.run(__doc__, migrate, "flags moved into the moderation queue's range")


if __name__ == "__main__":
    main()
