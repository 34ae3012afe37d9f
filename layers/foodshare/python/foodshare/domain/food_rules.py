"""A post's pickup window: a pure decision over small values (no I/O here).

Times are stored in UTC to the second (`clock.iso`) and compared as strings: by the indexes (`avail_sk`,
`expiry_sk`: "<pickupEnd>#<foodId>"), a claim ("the pickup window has ended") and the expiry job. So the window is
judged as it will be stored: its fractions of a second dropped first (a start at .100 and an end at .900 of one
second passed "ends after it starts" and was stored as an empty window).

A window ends within `MAX_AHEAD` and lasts at most `MAX_LENGTH`: food keeps for days, not years. Unbounded, a window
ending in 9999 kept its post listed for ever (the expiry job reads the hours up to now) and its claim open until 72
hours after it (the settlement's grace), the claimer's credit and claim slot held, the sharer unpaid; a start far
back put the post first in discovery, ordered by pickup start. Bounded, a post leaves discovery, and its claim is
settled, within `MAX_AHEAD` plus the settlement's grace.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from foodshare.errors import ValidationFailed

AVAILABLE, EXPIRED = "available", "expired"  # a post's statuses (`food.AVAILABLE`, `food.EXPIRED`)
MAX_AHEAD = timedelta(days=30)  # from now to the window's end
MAX_LENGTH = timedelta(days=7)  # from the window's start to its end


def stored(moment: datetime) -> datetime:
    """`moment` as it is stored: in UTC, to the second (`clock.iso` writes it)."""
    return moment.astimezone(UTC).replace(microsecond=0)


def check_window(start: datetime, end: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The window (`start`, `end`) as stored; a 400 naming the field when it may not be shared at `now`."""
    start, end, now = stored(start), stored(end), stored(now)
    if end <= start:
        raise ValidationFailed("The pickup window ends before it starts.", fields={"pickupEnd": "must be after pickupStart"})
    if end <= now:
        raise ValidationFailed("The pickup window is already over.", fields={"pickupEnd": "must be in the future"})
    if end - now > MAX_AHEAD:
        raise ValidationFailed(f"The pickup window must end within {MAX_AHEAD.days} days.",
                               fields={"pickupEnd": f"must be within {MAX_AHEAD.days} days from now"})
    if end - start > MAX_LENGTH:
        days = MAX_LENGTH.days
        raise ValidationFailed(f"The pickup window may last at most {days} days.",
                               fields={"pickupStart": f"must be at most {days} days before pickupEnd",
                                       "pickupEnd": f"must be at most {days} days after pickupStart"})
    return start, end


def window_ended(pickup_end: str, now: str) -> bool:
    """Whether the pickup window ending at `pickup_end` is over at `now` (both as stored, `clock.iso`): a claim is
    refused from then on ("the pickup window has ended"), and the expiry job marks the post expired (every minute)."""
    return pickup_end <= now


def shown_status(status: str, pickup_end: str, now: str) -> str:
    """A post's status as it is answered at `now`: `expired` once the window is over while the stored status is
    still `available` (the expiry job writes it within a minute: the answer does not wait for it); else as stored."""
    return EXPIRED if status == AVAILABLE and window_ended(pickup_end, now) else status
