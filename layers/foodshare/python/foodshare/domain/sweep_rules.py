"""Which hour buckets of `expiring_food` a loop of the `food_expiry` job reads: a pure decision (no I/O here).

The index buckets posts by the hour their window ends. A run used to read every bucket of the lookback
(EXPIRY_LOOKBACK_HOURS, 48) to cover runs that were missed: 49 queries a loop, two loops, every minute, each
re-reading the claimed posts it filters out. Each loop now keeps its mark (`JobMarkItem`: everything it looks for
that ended by then was handled by a run that finished its share) and a run reads from the hour before the mark's
(`MARGIN`: a write committing just after a run read, a cancel re-listing a post in its window's last second, is
still read) to the hour it looks up to, never further back than the lookback. Without a mark, the whole lookback.
"""

from __future__ import annotations

from datetime import datetime, timedelta

MARGIN = timedelta(hours=1)
HOUR = timedelta(hours=1)


def bucket(moment: datetime) -> str:
    """The `expiring_food` partition of the posts whose window ends in `moment`'s hour."""
    return f"EXPIRES#{moment.strftime('%Y-%m-%dT%H')}"


def buckets(upto: datetime, mark: datetime | None, lookback_hours: int) -> list[str]:
    """The buckets a run looking up to `upto` reads, oldest first."""
    oldest = upto - timedelta(hours=lookback_hours)
    if mark is not None:
        oldest = min(upto, max(oldest, mark - MARGIN))
    floor = oldest.replace(minute=0, second=0, microsecond=0)
    hours = int((upto - floor) // HOUR)
    return [bucket(upto - timedelta(hours=h)) for h in range(hours, -1, -1)]
