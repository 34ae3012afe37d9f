"""Group read models: the activity summary (CQRS, fed by events) and the reputation leaderboard.

Summary items, all under GROUP#<id>:
- DAY#<yyyy-mm-dd>: posts shared and exchanges completed that day. "Last 30 days" is the
  sum of today's bucket and the 29 before it, so the window slides without any job.
- ACTIVE#<userId>: the latest moment a member shared or picked up food in the group;
  only ever moved forward, so out-of-order delivery cannot move it back.
- ACTIVITY: all-time rating totals for the average, kept by the reputation consumer (reputation.py), not here: it
  counts a rating with the rated person's line for it, and a detected rating ring's reversal takes the ring's
  ratings out of both in one transaction (a group's figures leave out exactly what the profiles leave out).
Counters are ADDs (order does not matter); each event applies once (processed marker). A FoodClaimed only
moves a last-active moment forward, conditioned on the value read, so a duplicate finds nothing to do: it
writes no marker, and an event that changes nothing writes nothing (`consumers.once`, issue 15's cost).

The leaderboard is read from the members' profiles, where the reputation consumer
keeps the score: it follows every score change at once and cannot drift from it.

Both are served through the cache (`foodshare.cache.group_reads`) under the group's
`summary:<g>` version, which this consumer bumps after each event it is given (applied or found applied).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from foodshare import clock, consumers
from foodshare.ids import ANONYMOUS_PREFIX
from foodshare.cache import versions
from foodshare.consumers import Delivered
from foodshare.data.models import ActiveMemberItem, GroupActivityItem, GroupDayItem, MembershipItem, UserItem
from foodshare.data.transaction import UnitOfWork
from foodshare.domain import identities
from foodshare.errors import ConcurrentUpdate

CONSUMER = "read_models"
WINDOW_DAYS = 30
DAY_RETENTION = timedelta(days=WINDOW_DAYS + 10)
LEADERBOARD_SIZE = 20


@dataclass(frozen=True)
class Leader:
    user_id: str
    pseudonym: str
    score: float
    trust_level: str


def apply(event: Delivered) -> bool:
    """Apply an event to its group's summary once; returns False for a duplicate."""
    applied = consumers.once(CONSUMER, event, lambda uow: _build(uow, event), idempotent_noop=True)
    group_id = event.data.get("groupId")
    if group_id:
        # The read model may have changed under its cached copies. Also when `once` answers "not applied": a
        # write the SDK sent again after no answer can find its own first send applied (data/transaction.py).
        versions.bump([versions.summary(group_id)])
    return applied


def _build(uow: UnitOfWork, event: Delivered) -> str | None:
    """The event's effect on its group's read model; `GUARDED` where it is a forward-only move (idempotent)."""
    data = event.data
    group_id = data["groupId"]
    day = event.occurred_at[:10]
    if event.event_type == "FoodShared":
        _count_day(uow, group_id, day, event, GroupDayItem.posts)
        _mark_active(uow, group_id, data["sharerId"], event.occurred_at)
    elif event.event_type == "FoodClaimed":
        if data.get("partnershipId") is None:  # partner-group claimers are not members of this group
            _mark_active(uow, group_id, data["claimerId"], event.occurred_at)
        return consumers.GUARDED  # a duplicate finds the moment already there (never moved back)
    elif event.event_type == "ExchangeCompleted":
        _count_day(uow, group_id, day, event, GroupDayItem.completed)
        _mark_active(uow, group_id, data["sharerId"], event.occurred_at)
        if data.get("partnershipId") is None:
            _mark_active(uow, group_id, data["claimerId"], event.occurred_at)


def _count_day(uow: UnitOfWork, group_id: str, day: str, event: Delivered, counter) -> None:
    uow.update(
        GroupDayItem(*GroupDayItem.key(group_id, day)),
        [counter.add(1), GroupDayItem.expires_at_epoch.set(day_expiry(day))],
    )


def day_expiry(day: str) -> datetime:
    """When a day bucket may go: from its day, not from the event that touched it last, so
    events delivered in any order leave the same item (the restore drill's archive replay
    found the expiry following the last-delivered event)."""
    return clock.parse_iso(f"{day}T00:00:00Z") + timedelta(days=1) + DAY_RETENTION


def _mark_active(uow: UnitOfWork, group_id: str, user_id: str, at: str) -> None:
    """Move the member's last-active moment forward (never back); optimistic on the value read.

    Not for a person erased (no profile, or the anonymous id their events carry after the sweep: the sweep
    deleted their marks, and a replay must not bring one back) or being erased while the event was in flight:
    that would bring their id back. Nor while they restrict processing (an erasure's freeze restricts too): a mark
    is a record of their activity kept for the group's figures (docs/privacy.md, restriction)."""
    if user_id.startswith(ANONYMOUS_PREFIX):
        return
    try:
        if UserItem.get(*UserItem.key(user_id)).restricted:
            return
    except UserItem.DoesNotExist:
        return
    item = ActiveMemberItem(*ActiveMemberItem.key(group_id, user_id), user_id=user_id, last_active_at=at)
    try:
        current = ActiveMemberItem.get(item.pk, item.sk).last_active_at
    except ActiveMemberItem.DoesNotExist:
        current = None
    if current is not None and current >= at:
        return
    condition = (ActiveMemberItem.pk.does_not_exist() if current is None
                 else ActiveMemberItem.last_active_at == current)
    uow.save(item, condition, on_fail=ConcurrentUpdate("activity moved meanwhile"))


def summary(group_id: str, now: datetime | None = None) -> dict:
    """The group's activity over the last 30 days (today and the 29 days before) and its rating."""
    now = now or clock.now()
    first_day = (now - timedelta(days=WINDOW_DAYS - 1)).date().isoformat()
    pk = f"GROUP#{group_id}"
    days = list(GroupDayItem.query(pk, GroupDayItem.sk.between(f"DAY#{first_day}", f"DAY#{now.date().isoformat()}")))
    cutoff = clock.iso(now - timedelta(days=WINDOW_DAYS))
    recently_active = [
        a.user_id
        for a in ActiveMemberItem.query(
            pk, ActiveMemberItem.sk.startswith("ACTIVE#"), filter_condition=ActiveMemberItem.last_active_at >= cutoff
        )
    ]
    try:
        totals = GroupActivityItem.get(*GroupActivityItem.key(group_id))
        ratings, stars = int(totals.ratings_count), int(totals.rating_stars_total)
    except GroupActivityItem.DoesNotExist:
        ratings, stars = 0, 0
    return {
        "groupId": group_id,
        "windowDays": WINDOW_DAYS,
        "activeMembers": len(_still_members(group_id, recently_active)),
        "postsLast30Days": sum(int(d.posts) for d in days),
        "completedExchangesLast30Days": sum(int(d.completed) for d in days),
        "averageRating": round(stars / ratings, 2) if ratings else None,
        "ratingsCount": ratings,
    }


def _still_members(group_id: str, user_ids: list[str]) -> list[str]:
    """Those of `user_ids` who have not left the group since."""
    return [m.user_id for m in MembershipItem.batch_get([MembershipItem.key(group_id, u) for u in user_ids])]


def leaderboard(group_id: str, limit: int = LEADERBOARD_SIZE) -> list[Leader]:
    """The group's members by reputation score, highest first."""
    members = {
        m.user_id: m for m in MembershipItem.query(f"GROUP#{group_id}", MembershipItem.sk.startswith("MEMBER#"))
    }
    profiles = [  # pages of 100 inside; without those who restricted processing or objected to ranking
        p for p in UserItem.batch_get([UserItem.key(u) for u in members]) if not p.restricted and p.leaderboard is not False
    ]
    # Each member as the group knows them: their pseudonym in this group, not their global one.
    names = {p.user_id: identities.of(p.user_id, group_id, members[p.user_id].pseudonym).pseudonym for p in profiles}
    profiles.sort(key=lambda p: (-float(p.score), names[p.user_id]))
    return [Leader(p.user_id, names[p.user_id], float(p.score), p.trust_level) for p in profiles[:limit]]
