"""A post's pickup window: a pure decision over small values (no I/O here).

Times are stored in UTC to the second (`clock.iso`) and compared as strings: by the indexes (`avail_sk`,
`expiry_sk`: "<pickupEnd>#<foodId>"), a claim ("the pickup window has ended") and the expiry job. So the window is
judged as it will be stored: its fractions of a second dropped first (a start at .100 and an end at .900 of one
second passed "ends after it starts" and was stored as an empty window).
"""

from __future__ import annotations

from datetime import datetime, timezone

from foodshare.errors import ValidationFailed


def stored(moment: datetime) -> datetime:
    """`moment` as it is stored: in UTC, to the second (`clock.iso` writes it)."""
    return moment.astimezone(timezone.utc).replace(microsecond=0)


def check_window(start: datetime, end: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The window (`start`, `end`) as stored; a 400 naming the field when it may not be shared at `now`."""
    start, end, now = stored(start), stored(end), stored(now)
    if end <= start:
        raise ValidationFailed("The pickup window ends before it starts.", fields={"pickupEnd": "must be after pickupStart"})
    if end <= now:
        raise ValidationFailed("The pickup window is already over.", fields={"pickupEnd": "must be in the future"})
    return start, end
