"""Carrying out the fairness rules (`domain/fairness.py`) in the claim and posting paths.

Reads the few values a rule needs, asks the pure function, and adds the rule's
conditional write to the caller's unit of work, so a limit holds under races: the
active-claim limit is a condition on the claimer's `credits_held` (one held credit
per active claim), the daily credit limit a conditional counter per UTC day, a
group's quota a conditional write on one of the member's quota slots. A race lost on
any of them fails the transaction; the claim is retried from a fresh read and the
pure rule then refuses it with its own 409.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from foodshare import clock
from foodshare.data.models import (
    DailySpendItem,
    FoodItem,
    GroupClaimQuotaItem,
    QuotaSlotItem,
    ReceivedRatingItem,
    RestrictionItem,
    UserItem,
)
from foodshare.data.transaction import UnitOfWork
from foodshare.domain import fairness, groups, moderation_rules
from foodshare.domain.fairness import GroupQuota, Refusal
from foodshare.errors import Conflict
from foodshare.settings import get_settings

CLAIM_COST = 1  # the credit a claim holds (domain/credits.py)


def refused(refusal: Refusal) -> Conflict:
    return Conflict(
        refusal.message,
        code=refusal.rule,
        retry_at=clock.iso(refusal.retry_at) if refusal.retry_at else None,
    )


# ---- low-rating suspension ------------------------------------------------------------------


def _suspension_period() -> timedelta:
    return timedelta(days=get_settings().low_rating_suspension_days)


def record_received_rating(uow: UnitOfWork, rated_user_id: str, exchange_id: str, stars: int, at: datetime) -> None:
    """Keep the stars a user received for as long as the low-rating rule can look back."""
    keep = fairness.LOW_RATING_WINDOW + _suspension_period() + timedelta(days=1)
    uow.save(
        ReceivedRatingItem(
            *ReceivedRatingItem.key(rated_user_id, clock.iso(at), exchange_id),
            stars=stars,
            created_at=clock.iso(at),
            expires_at_epoch=at + keep,
        )
    )


def _received_ratings(user_id: str, now: datetime) -> list[tuple[datetime, int]]:
    since = now - fairness.LOW_RATING_WINDOW - _suspension_period()
    items = ReceivedRatingItem.query(
        f"USER#{user_id}", ReceivedRatingItem.sk.between(f"RATED#{clock.iso(since)}", "RATED#~")
    )
    return [(clock.parse_iso(item.created_at), int(item.stars)) for item in items]


def suspension(user_id: str, now: datetime) -> Refusal | None:
    return fairness.suspension(_received_ratings(user_id, now), _suspension_period(), now)


def _restriction(item: RestrictionItem | None, now: datetime) -> Refusal | None:
    return None if item is None else moderation_rules.restriction(clock.parse_iso(item.until), now)


def check_may_post(user_id: str, now: datetime, restricted: RestrictionItem | None) -> None:
    """Posting is refused while the user is suspended, or restricted in the group (`restricted`: the
    user's restriction item there, read by the caller with its other reads: `RestrictionItem.key`)."""
    for refusal in (suspension(user_id, now), _restriction(restricted, now)):
        if refusal:
            raise refused(refusal)


# ---- claims ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimReads:
    """The items the claim rules read, fetched with the claim's other reads in one batch (`claim_keys`)."""

    restriction: RestrictionItem | None
    spent_today: DailySpendItem | None
    quota: GroupClaimQuotaItem | None


def claim_keys(user_id: str, group_id: str, now: datetime) -> list[tuple[type, tuple[str, str]]]:
    """Keys of what `check_may_claim` needs, in `ClaimReads`' order, for `data.reads.get_many`."""
    return [(RestrictionItem, RestrictionItem.key(group_id, user_id)),
            (DailySpendItem, DailySpendItem.key(user_id, fairness.day_key(now))),
            (GroupClaimQuotaItem, GroupClaimQuotaItem.key(group_id))]


def check_may_claim(uow: UnitOfWork, claimer: UserItem, post: FoodItem, now: datetime, read: ClaimReads) -> int:
    """Refuse a claim that breaks a rule, and add the rules' conditional writes to `uow`.

    Returns the claimer's active-claim limit, which `credits.hold` puts in the condition
    of its update of the claimer (`credits_held < limit`).
    """
    settings = get_settings()
    level = claimer.trust_level
    for refusal in (
        suspension(claimer.user_id, now),
        _restriction(read.restriction, now),
        fairness.active_claims(level, int(claimer.credits_held or 0), settings.claim_limits),
    ):
        if refusal:
            raise refused(refusal)
    _spend_today(uow, claimer.user_id, level, now, read.spent_today)
    _take_quota_slot(uow, post, claimer.user_id, now, _quota(read.quota))
    return fairness.active_claim_limit(level, settings.claim_limits)


def _spend_today(uow: UnitOfWork, user_id: str, level: str, now: datetime, spent_item: DailySpendItem | None) -> None:
    limits = get_settings().daily_credit_limits
    counter = DailySpendItem(*DailySpendItem.key(user_id, fairness.day_key(now)))
    spent = int(spent_item.count) if spent_item is not None else 0
    refusal = fairness.daily_credits(level, spent, CLAIM_COST, limits, now)
    if refusal:
        raise refused(refusal)
    limit = fairness.daily_credit_limit(level, limits)
    # Refused as if full when another claim took the last credit of the day meanwhile.
    full = fairness.daily_credits(level, limit, CLAIM_COST, limits, now)
    uow.update(
        counter,
        [DailySpendItem.count.add(CLAIM_COST), DailySpendItem.expires_at_epoch.set(now + timedelta(days=2))],
        DailySpendItem.count.does_not_exist() | (DailySpendItem.count <= limit - CLAIM_COST),
        on_fail=refused(full),
    )


def group_quota(group_id: str) -> GroupQuota | None:
    try:
        return _quota(GroupClaimQuotaItem.get(*GroupClaimQuotaItem.key(group_id)))
    except GroupClaimQuotaItem.DoesNotExist:
        return None


def _quota(item: GroupClaimQuotaItem | None) -> GroupQuota | None:
    return None if item is None else GroupQuota(int(item.max_claims), int(item.window_hours), int(item.lift_hours))


def _take_quota_slot(uow: UnitOfWork, post: FoodItem, user_id: str, now: datetime, quota: GroupQuota | None) -> None:
    if quota is None or fairness.quota_lifted(quota, now, clock.parse_iso(post.pickup_end)):
        return
    pk, prefix = QuotaSlotItem.key(post.group_id, user_id, 0)
    prefix = prefix[: -len("000")]
    slots = {
        int(item.sk[len(prefix):]): clock.parse_iso(item.until)
        for item in QuotaSlotItem.query(pk, QuotaSlotItem.sk.startswith(prefix))
    }
    decision = fairness.quota_slot(quota, slots, now)
    if isinstance(decision, Refusal):
        raise refused(decision)
    until = now + quota.window
    # A slot taken meanwhile fails this condition: the claim retries and sees it taken.
    uow.update(
        QuotaSlotItem(*QuotaSlotItem.key(post.group_id, user_id, decision)),
        [QuotaSlotItem.until.set(clock.iso(until)), QuotaSlotItem.expires_at_epoch.set(until + timedelta(days=1))],
        QuotaSlotItem.until.does_not_exist() | (QuotaSlotItem.until <= clock.iso(now)),
    )


def set_group_quota(group_id: str, admin_id: str, quota: GroupQuota | None) -> GroupQuota | None:
    """Admins set (or, with None, remove) their group's claim quota."""
    groups.require_admin(group_id, admin_id)
    uow = UnitOfWork()
    item = GroupClaimQuotaItem(*GroupClaimQuotaItem.key(group_id))
    if quota is None:
        uow.delete(item)
    else:
        item.max_claims, item.window_hours, item.lift_hours = quota.max_claims, quota.window_hours, quota.lift_hours
        item.updated_by, item.updated_at = admin_id, clock.now_iso()
        uow.save(item)
    uow.record(
        "GroupClaimQuotaChanged",
        admin_id,
        {
            "groupId": group_id,
            "maxClaims": quota.max_claims if quota else None,
            "windowHours": quota.window_hours if quota else None,
            "liftHours": quota.lift_hours if quota else None,
        },
    )
    uow.commit()
    return quota
