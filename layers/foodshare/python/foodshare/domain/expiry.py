"""Expiry: available posts whose pickup window has ended become `expired`, without anyone reading them.

Run every minute by the `food_expiry` job. The `expiring_food` index holds available
and claimed posts, bucketed by the hour their window ends, so each run reads just the
hour buckets since the last run that finished (its mark, `sweep_rules`: runs that were missed are
covered, up to EXPIRY_LOOKBACK_HOURS back) up to now, keeping the available
ones (a filter: the claimed are the settlement's, `domain/settlement.py`, EXCHANGE_SETTLE_HOURS
later). Each post expires in its own transaction, only if it is still available, with its
`FoodExpired` event. At most `PER_RUN` a run: a backlog (the job down for hours, a burst of
windows ending) would otherwise run past the job's timeout, cutting off the settlement after it
and each retry alike; the rest stay in the index for the next run.
"""

from __future__ import annotations

from datetime import datetime

from foodshare import clock
from foodshare.data.models import FoodItem
from foodshare.domain import job_marks
from foodshare.domain.food import AVAILABLE, EXPIRED, take_down
from foodshare.errors import Conflict

PER_RUN = 500  # posts a run expires at most (a transaction each: with the settlement's, well within the timeout)


def expire_due(now: datetime | None = None) -> int:
    """Expire the available posts whose window ended by `now`, up to `PER_RUN`; returns how many expired."""
    now = now or clock.now()
    # expiry_sk is "<pickupEnd>#<foodId>": everything below "<now>#~" ended at or before now.
    ended = f"{clock.iso(now)}#~"
    expired = 0
    for bucket in job_marks.buckets("expiry", now):
        for post in FoodItem.expiring_food.query(bucket, FoodItem.expiry_sk < ended,
                                                 filter_condition=FoodItem.status == AVAILABLE):
            if expired >= PER_RUN:
                return expired  # the mark stays: the next run reads these buckets again
            expired += _expire(post)
    job_marks.advance("expiry", now)
    return expired


def _expire(post: FoodItem) -> int:
    try:
        take_down(post, EXPIRED, "FoodExpired", None)
    except Conflict:  # claimed or withdrawn since the index was read: nothing to expire
        return 0
    return 1
