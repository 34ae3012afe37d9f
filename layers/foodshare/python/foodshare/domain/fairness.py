"""Fairness rules: who may claim (and post) how much, as pure decisions over small values.

No I/O here. `domain/standing.py` reads the few values these functions need and makes
the unit of work carry the decisions out with conditional counters, so two racing
claims cannot both pass a limit. Each refusal names its rule (the API's error code)
and, where the rule knows it, the moment it lifts (`retryAt`).

The rules:
- trust-level limits on simultaneous active claims and on credits spent per UTC day
  (the product plan's table, configurable: CLAIM_LIMITS, DAILY_CREDIT_LIMITS);
- a group's own claim quota, set by its admins: at most N claims per member in a
  rolling window of W hours, lifted H hours before a post's pickup ends so food
  nobody claimed still goes to anyone (foodsharing.de's pickup quotas);
- OLIO's low-rating rule: 3 ratings below 3 stars within 30 days while those 30
  days also average below 3 stars suspend claiming and posting for a period; a
  rater's low ratings count once, so no one person can suspend another alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from foodshare.reputation_rules import TRUST_LEVELS

LEVELS: tuple[str, ...] = tuple(level for _, level in TRUST_LEVELS)  # exemplary ... concerning

ACTIVE_CLAIM_LIMIT = "active_claim_limit"
DAILY_CREDIT_LIMIT = "daily_credit_limit"
GROUP_CLAIM_QUOTA = "group_claim_quota"
LOW_RATING_SUSPENSION = "suspended_low_ratings"

LOW_RATING_WINDOW = timedelta(days=30)
LOW_RATING_COUNT = 3
LOW_RATING_BELOW = 3  # stars strictly below this are "low"; the window's average must also be below it


@dataclass(frozen=True)
class Refusal:
    """Why a claim or post is refused: the rule (error code), in words, and when it lifts (None: unknown)."""

    rule: str
    message: str
    retry_at: datetime | None = None


def per_level(values: tuple[int, ...]) -> dict[str, int]:
    """The settings' "5/4/3/2/1" form (highest level first) as level -> number."""
    if len(values) != len(LEVELS):
        raise ValueError(f"need one value per trust level {LEVELS}, got {values}")
    return dict(zip(LEVELS, values))


def active_claim_limit(level: str, limits: tuple[int, ...]) -> int:
    return per_level(limits)[level]


def active_claims(level: str, active: int, limits: tuple[int, ...]) -> Refusal | None:
    """A user at `level` holding `active` claims may take one more only below their level's limit."""
    limit = active_claim_limit(level, limits)
    if active < limit:
        return None
    return Refusal(
        ACTIVE_CLAIM_LIMIT,
        f"Members at trust level {level} may hold {limit} active claims at once; "
        "complete or cancel one to claim again.",
    )


def next_utc_day(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def day_key(now: datetime) -> str:
    return now.date().isoformat()


def daily_credit_limit(level: str, limits: tuple[int, ...]) -> int:
    return per_level(limits)[level]


def daily_credits(level: str, spent_today: int, cost: int, limits: tuple[int, ...], now: datetime) -> Refusal | None:
    """Spending `cost` more today must stay within the level's daily limit; it lifts at the next UTC midnight."""
    limit = daily_credit_limit(level, limits)
    if spent_today + cost <= limit:
        return None
    return Refusal(
        DAILY_CREDIT_LIMIT,
        f"Members at trust level {level} may spend {limit} credits a day on claims; the limit resets at midnight UTC.",
        next_utc_day(now),
    )


@dataclass(frozen=True)
class GroupQuota:
    """A group's claim quota: at most `max_claims` per member per `window_hours`, off `lift_hours` before pickup ends."""

    max_claims: int
    window_hours: int
    lift_hours: int

    @property
    def window(self) -> timedelta:
        return timedelta(hours=self.window_hours)


def quota_lifted(quota: GroupQuota, now: datetime, pickup_end: datetime) -> bool:
    """In the last `lift_hours` of a post's pickup window anyone may claim it, whatever their count."""
    return now >= pickup_end - timedelta(hours=quota.lift_hours)


def quota_slot(quota: GroupQuota, slots: dict[int, datetime], now: datetime) -> int | Refusal:
    """Which of the member's `max_claims` slots a claim takes, or the refusal.

    A slot holds the moment its last claim leaves the rolling window (`slots[i]`,
    absent: never used); it is free once that moment has passed. Taking a slot is a
    conditional write on that moment, so two claims racing for the last slot cannot
    both win. The refusal lifts when the earliest slot frees up.
    """
    for index in range(quota.max_claims):
        until = slots.get(index)
        if until is None or until <= now:
            return index
    frees_at = min(slots[i] for i in range(quota.max_claims))
    return Refusal(
        GROUP_CLAIM_QUOTA,
        f"This group allows {quota.max_claims} claims per member every {quota.window_hours} hours "
        f"(lifted {quota.lift_hours} hours before a pickup ends).",
        frees_at,
    )


# A received rating: (when, stars) or (when, stars, rater). `rater` is whatever tells one rater from another (None:
# not known, so it counts as a rater of its own); the rule never needs more of them than that.
ReceivedRating = tuple[datetime, int] | tuple[datetime, int, str | None]


def _counted(window: Sequence[tuple[datetime, int, str | None]]) -> list[int]:
    """Which ratings of a window (oldest first) the rule counts: every rating of 3 stars or more, and of each
    rater's low ratings only the first; an unknown rater's each count."""
    seen: set[str] = set()
    kept = []
    for index, (_, stars, rater) in enumerate(window):
        if stars < LOW_RATING_BELOW and rater is not None:
            if rater in seen:
                continue
            seen.add(rater)
        kept.append(index)
    return kept


def low_rating_suspension(ratings: Sequence[ReceivedRating], period: timedelta) -> datetime | None:
    """Until when the low-rating rule suspends a user, given the ratings they received (any order).

    The rule is checked at each received rating the rule counts: within the 30 days up to it, at
    least 3 ratings below 3 stars and an average below 3 stars, where one rater's low ratings count
    once (their first in those 30 days; their later ones neither add to the count nor pull the average
    down, nor start a suspension again). The latest moment it held starts the suspension. Returns None
    if it never held (the caller compares with now).

    Counting fewer low ratings can only hold less often: whatever it decides with raters known, it
    decides no suspension, or one ending no later, than with every rating its own rater.
    """
    ordered = sorted(((r[0], r[1], r[2] if len(r) > 2 else None) for r in ratings), key=lambda r: r[0])
    triggered: datetime | None = None
    for index, (at, _, _) in enumerate(ordered):
        inside = [i for i, (moment, _, _) in enumerate(ordered) if at - LOW_RATING_WINDOW < moment <= at]
        counted = [inside[i] for i in _counted([ordered[i] for i in inside])]
        if index not in counted:
            continue
        window = [ordered[i][1] for i in counted]
        low = sum(1 for stars in window if stars < LOW_RATING_BELOW)
        if low >= LOW_RATING_COUNT and sum(window) < LOW_RATING_BELOW * len(window):
            triggered = at
    return triggered + period if triggered else None


def low_rating_since(period: timedelta, now: datetime) -> datetime:
    """The earliest received rating that can still matter: a suspension it starts would be over by now."""
    return now - LOW_RATING_WINDOW - period


def month_key(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


def low_rating_months(period: timedelta, now: datetime) -> list[str]:
    """The UTC months (`yyyy-mm`, oldest first) that hold every rating `low_rating_since` keeps."""
    year, month = (int(part) for part in month_key(low_rating_since(period, now)).split("-"))
    last = month_key(now)
    months = [f"{year:04d}-{month:02d}"]
    while months[-1] < last:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        months.append(f"{year:04d}-{month:02d}")
    return months


def suspension(ratings: Sequence[ReceivedRating], period: timedelta, now: datetime) -> Refusal | None:
    until = low_rating_suspension(ratings, period)
    if until is None or until <= now:
        return None
    return Refusal(
        LOW_RATING_SUSPENSION,
        f"Claiming and posting are suspended for {period.days} days: {LOW_RATING_COUNT} ratings below "
        f"{LOW_RATING_BELOW} stars from different people within 30 days, averaging below {LOW_RATING_BELOW} stars.",
        until,
    )
