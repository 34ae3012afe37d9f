"""The marks of the `food_expiry` job's loops (`JobMarkItem`): how far a finished run got, so the next one reads the
hour buckets since then (`sweep_rules.buckets`). One GetItem and one PutItem a loop and run."""

from __future__ import annotations

from datetime import datetime

from foodshare import clock
from foodshare.data.models import JobMarkItem
from foodshare.domain import sweep_rules
from foodshare.settings import get_settings


def buckets(loop: str, upto: datetime) -> list[str]:
    """The buckets this run of `loop` reads, oldest first, up to `upto`'s hour."""
    try:
        mark = clock.parse_iso(JobMarkItem.get(*JobMarkItem.key(loop), consistent_read=True).until)
    except JobMarkItem.DoesNotExist:
        mark = None
    return sweep_rules.buckets(upto, mark, get_settings().expiry_lookback_hours)


def advance(loop: str, until: datetime) -> None:
    """Record that what `loop` looks for that ended by `until` is handled. Not conditioned: two runs overlapping
    each write what they covered themselves (an older mark only makes the next run read more)."""
    JobMarkItem(*JobMarkItem.key(loop), until=clock.iso(until)).save()
