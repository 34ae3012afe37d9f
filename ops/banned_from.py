"""One-off, after deploying bans that hide their group's posts (API 5.3.1): record older bans on the person's profile.

Since API 5.3.1 a ban adds its group to the banned person's `banned_from` (a string set on their profile) in the
ban's transaction, an overturned ban takes it out, and every view of a post (GET /food, GET /food/{foodId},
GET /me/exchanges, the bots' /browse) reads it with the profile it reads already (`visibility.sees`). A ban made
before (its item `GROUP#<g>/BANNED#<u>`) is not on the profile: without this pass the group's posts still show to the
person through a partnership of another group of theirs. For each ban item, one transaction adds its group to the
profile, on the conditions that the ban is still there as scanned (an overturn meanwhile deleted it: nothing is
added back), that the profile is there and not being erased (never a stub, nothing after the erasure's sweep) and
that the group is not on it yet (so the count is of profiles changed, and it can run again). Then the cache
versions of the people changed are bumped: their discovery view may be cached from before (without Redis reachable
from where it runs, those entries expire within 30 minutes). `python -m ops.banned_from` against the stage's table
(AWS_ENDPOINT_URL reaches an emulator; REDIS_URL the stage's cache).
"""

from __future__ import annotations

from foodshare.cache import versions
from foodshare.data.models import BanItem, UserItem
from foodshare.data.transaction import UnitOfWork
from foodshare.domain import personal_data, users
from foodshare.errors import Conflict

from ops import one_off


class _Settled(Conflict):
    """The ban was overturned meanwhile, the profile is gone or being erased, or the group is on it already."""


def _ban(item: dict) -> bool:
    return item["pk"]["S"].startswith("GROUP#") and item["sk"]["S"].startswith("BANNED#")


def record(ban: BanItem) -> bool:
    """Add the ban's group to the banned person's `banned_from`; whether it was added."""
    group_id, user_id = ban.pk.split("#", 1)[1], ban.sk.split("#", 1)[1]
    settled = _Settled("nothing to record")
    uow = UnitOfWork(allow_no_events=True)
    uow.check(BanItem, BanItem.key(group_id, user_id), BanItem.action_id == ban.action_id, on_fail=settled)
    uow.update(UserItem(*UserItem.key(user_id)), [UserItem.banned_from.add({group_id})],
               users.NOT_ERASING & ~UserItem.banned_from.contains(group_id), on_fail=settled)
    try:
        uow.commit()
    except _Settled:
        return False
    return True


def migrate() -> int:
    """Record every ban on its person's profile; returns how many profiles gained a group."""
    changed = [ban.sk.split("#", 1)[1] for ban in map(BanItem.from_raw_data, personal_data.parallel_scan(_ban))
               if record(ban)]
    versions.bump([versions.user(user_id) for user_id in changed])
    return len(changed)


def main() -> None:
    one_off.run(__doc__, migrate, "bans recorded on the banned person's profile")


if __name__ == "__main__":
    main()
