"""Carrying out the fairness rules (`domain/fairness.py`) in the claim and posting paths.

Reads the few values a rule needs, asks the pure function, and adds the rule's
conditional write to the caller's unit of work, so a limit holds under races: the
active-claim limit is a condition on the claimer's `credits_held` (one held credit
per active claim), the daily credit limit a conditional counter per UTC day, a
group's quota a conditional write on one of the member's quota slots, the low-rating
suspension a check that the claimer's month of received ratings holds what was read, a moderator's
restriction a check that none is in force as the claim commits. A race lost on
any of them fails the transaction; the claim is retried from a fresh read and the
pure rule then refuses it with its own 409.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.expressions.condition import size

from foodshare import clock
from foodshare.data import reads
from foodshare.data.models import (
    DailySpendItem,
    ExchangeItem,
    FoodItem,
    GroupClaimQuotaItem,
    MembershipItem,
    QuotaSlotItem,
    ReceivedRatingsItem,
    RestrictionItem,
    UserItem,
)
from foodshare.data.transaction import UnitOfWork, with_retries
from foodshare.domain import fairness, groups, moderation_rules, users
from foodshare.domain.fairness import GroupQuota, Refusal
from foodshare.errors import ConcurrentUpdate, Conflict
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
    """Add the stars to the rated user's month of received ratings, in the rating's transaction."""
    uow.update(*received_rating(rated_user_id, exchange_id, stars, at))


def received_rating(rated_user_id: str, exchange_id: str, stars: int, at: datetime) -> tuple[ReceivedRatingsItem, list]:
    """The month item and the update adding one received rating to it: a blind ADD to a set (racing ratings
    both land, adding one again changes nothing), kept for as long as the rule can look back at the month's
    last day."""
    month_start = at.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    keep = fairness.LOW_RATING_WINDOW + _suspension_period() + timedelta(days=1)
    return (ReceivedRatingsItem(*ReceivedRatingsItem.key(rated_user_id, fairness.month_key(at))),
            [ReceivedRatingsItem.ratings.add({ReceivedRatingsItem.entry(clock.iso(at), stars, exchange_id)}),
             ReceivedRatingsItem.expires_at_epoch.set(next_month + keep)])


def suspension_keys(user_id: str, now: datetime) -> list[tuple[type, tuple[str, str]]]:
    """Keys of the months of received ratings `suspension` needs (two or three), for `data.reads.get_many`."""
    return [(ReceivedRatingsItem, ReceivedRatingsItem.key(user_id, month))
            for month in fairness.low_rating_months(_suspension_period(), now)]


def suspension(user_id: str, received: list[ReceivedRatingsItem | None], now: datetime) -> Refusal | None:
    """The low-rating rule over the months `suspension_keys` named (None: a month without ratings).

    A received rating names its exchange, not its rater (docs/privacy.md, "Received ratings"). The rule is asked
    first with every rating its own rater: it can only hold less once raters are known, so when it does not
    hold (nearly always) that is the answer, with no read. When it would suspend, the exchanges of the low
    ratings it looks back over are read in one batch (a claim or post more per refusal) and the rule asked again
    knowing who gave each: one person's low ratings count once."""
    period = _suspension_period()
    since = clock.iso(fairness.low_rating_since(period, now))
    entries = [entry for month in received if month is not None for entry in month.entries() if entry[0] >= since]
    refusal = fairness.suspension([(clock.parse_iso(at), stars) for at, stars, _ in entries], period, now)
    if refusal is None:
        return None
    raters = _raters(user_id, {exchange_id for _, stars, exchange_id in entries
                               if exchange_id and stars < fairness.LOW_RATING_BELOW})
    return fairness.suspension([(clock.parse_iso(at), stars, raters.get(exchange_id))
                                for at, stars, exchange_id in entries], period, now)


def _raters(user_id: str, exchange_ids: set[str]) -> dict[str, str]:
    """Who rated `user_id` in each exchange: its other participant (an exchange not found, or not theirs: absent,
    so its rating counts as a rater of its own). An erased rater is their anonymous id, one per person."""
    found = reads.get_many([(ExchangeItem, ExchangeItem.key(x)) for x in sorted(exchange_ids)])
    return {exchange.exchange_id: exchange.claimer_id if exchange.sharer_id == user_id else exchange.sharer_id
            for exchange in found
            if exchange is not None and user_id in (exchange.sharer_id, exchange.claimer_id)}


def _restriction(item: RestrictionItem | None, now: datetime) -> Refusal | None:
    return None if item is None else moderation_rules.restriction(clock.parse_iso(item.until), now)


@dataclass(frozen=True)
class PostReads:
    """The items the posting rules read, fetched with the post's other reads in one batch (`post_keys`)."""

    restriction: RestrictionItem | None
    received: list[ReceivedRatingsItem | None]

    @classmethod
    def of(cls, found: list) -> PostReads:
        return cls(found[0], found[1:])


def post_keys(user_id: str, group_id: str, now: datetime) -> list[tuple[type, tuple[str, str]]]:
    """Keys of what `check_may_post` needs, in `PostReads`' order, for `data.reads.get_many`."""
    return [(RestrictionItem, RestrictionItem.key(group_id, user_id)), *suspension_keys(user_id, now)]


def check_may_post(user_id: str, now: datetime, read: PostReads) -> None:
    """Posting is refused while the user is suspended, or restricted in the group."""
    for refusal in (suspension(user_id, read.received, now), _restriction(read.restriction, now)):
        if refusal:
            raise refused(refusal)


# ---- claims ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimReads:
    """The items the claim rules read, fetched with the claim's other reads in one batch (`claim_keys`)."""

    restriction: RestrictionItem | None
    spent_today: DailySpendItem | None
    quota: GroupClaimQuotaItem | None
    received: list[ReceivedRatingsItem | None]

    @classmethod
    def of(cls, found: list) -> ClaimReads:
        return cls(found[0], found[1], found[2], found[3:])


def claim_keys(user_id: str, group_id: str, now: datetime) -> list[tuple[type, tuple[str, str]]]:
    """Keys of what `check_may_claim` needs, in `ClaimReads`' order, for `data.reads.get_many`."""
    return [(RestrictionItem, RestrictionItem.key(group_id, user_id)),
            (DailySpendItem, DailySpendItem.key(user_id, fairness.day_key(now))),
            (GroupClaimQuotaItem, GroupClaimQuotaItem.key(group_id)),
            *suspension_keys(user_id, now)]


def check_may_claim(uow: UnitOfWork, claimer: UserItem, post: FoodItem, now: datetime, read: ClaimReads) -> int:
    """Refuse a claim that breaks a rule, and add the rules' conditional writes to `uow`.

    Returns the claimer's active-claim limit, which `credits.hold` puts in the condition
    of its update of the claimer (`credits_held < limit`).
    """
    settings = get_settings()
    level = claimer.trust_level
    for refusal in (
        suspension(claimer.user_id, read.received, now),
        _restriction(read.restriction, now),
        fairness.active_claims(level, int(claimer.credits_held or 0), settings.claim_limits),
    ):
        if refusal:
            raise refused(refusal)
    _ratings_unchanged(uow, claimer.user_id, now, read.received)
    _not_restricted(uow, post.group_id, claimer.user_id, now)
    _spend_today(uow, claimer.user_id, level, now, read.spent_today)
    _take_quota_slot(uow, post, claimer.user_id, now, _quota(read.quota))
    return fairness.active_claim_limit(level, settings.claim_limits)


def _ratings_unchanged(uow: UnitOfWork, user_id: str, now: datetime, received: list[ReceivedRatingsItem | None]) -> None:
    """The suspension rule's ratings stay as read until the claim commits: a rating lands only in the current
    month, so the transaction checks that month still holds as many as were read (else the claim retries and
    the rule sees the new rating)."""
    current = received[-1]  # `suspension_keys` ends with the current month
    count = len(current.ratings) if current is not None and current.ratings else 0
    uow.check(ReceivedRatingsItem, ReceivedRatingsItem.key(user_id, fairness.month_key(now)),
              ReceivedRatingsItem.ratings.does_not_exist() if count == 0 else size(ReceivedRatingsItem.ratings) == count,
              on_fail=ConcurrentUpdate("a rating was received meanwhile"))


def _not_restricted(uow: UnitOfWork, group_id: str, user_id: str, now: datetime) -> None:
    """No moderator's restriction in force as the claim commits (the rule found none in force as read): one landing
    while the claim is in flight makes it retry, and the rule then refuses it with its `retryAt`."""
    uow.check(RestrictionItem, RestrictionItem.key(group_id, user_id),
              RestrictionItem.pk.does_not_exist() | (RestrictionItem.until <= clock.iso(now)),
              on_fail=ConcurrentUpdate("a restriction landed meanwhile"))


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


def group_quota_for_member(group_id: str, user_id: str) -> GroupQuota | None:
    """The group's quota as its member `user_id` may see it: their membership and the quota in one batch (a group
    the caller is not in is not found)."""
    member, quota = reads.get_many([(MembershipItem, MembershipItem.key(group_id, user_id)),
                                    (GroupClaimQuotaItem, GroupClaimQuotaItem.key(group_id))])
    groups.checked_member(group_id, member)
    return _quota(quota)


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
    return with_retries(lambda: _set_group_quota(group_id, admin_id, quota))


def _set_group_quota(group_id: str, admin_id: str, quota: GroupQuota | None) -> GroupQuota | None:
    admin = groups.require_admin(group_id, admin_id)
    uow = UnitOfWork()
    users.keep_acting(uow, admin_id)
    # Still their admin membership as read when it commits: one who left meanwhile does not decide for the group
    # (read again: not found)
    uow.check(MembershipItem, MembershipItem.key(group_id, admin_id), groups.as_read(admin),
              on_fail=ConcurrentUpdate("Your membership changed meanwhile."))
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
