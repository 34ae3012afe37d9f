"""Settlement: exchanges nobody closed are settled some time after their pickup window, found without a scan.

Run every minute by the `food_expiry` job, after the expiry. A claimed post stays in the `expiring_food` index
(`food.unlist_actions`: the claim's index write is the same one, updating it in place instead of dropping it), and
whatever closes its exchange takes it out. So the exchanges still open EXCHANGE_SETTLE_HOURS after their window
are the claimed posts in the hour buckets that far back (since the last run that finished, its mark: `sweep_rules`;
runs that were missed are covered up to EXPIRY_LOOKBACK_HOURS back, as the expiry's): a Query a bucket, in pages of `PAGE` (a filter keeps the claimed), their exchanges
read in one BatchGetItem a page, each settled in its own conditional transaction (`exchanges.settle`; the rule:
`settlement_rules`). At most `PER_RUN` a run (and as many failures): the rest stay in the index for the next run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice

from foodshare import clock
from foodshare.data import reads
from foodshare.data.models import ExchangeItem, FoodItem
from foodshare.domain import exchanges, job_marks, settlement_rules
from foodshare.domain.food import CLAIMED
from foodshare.errors import DomainError
from foodshare.settings import get_settings

PAGE = 100  # posts a Query page holds at most; their exchanges are one BatchGetItem
PER_RUN = 500  # settlements a run makes at most (a transaction each: well within the job's timeout)


@dataclass
class Settled:
    completed: int = 0
    lapsed: int = 0
    # (exchange id, why) left for the next run, for the job to log: a participant's account gone, a post out of step
    failed: list[tuple[str, str]] = field(default_factory=list)
    held_back: list[datetime] = field(default_factory=list)  # the failures' window ends: the mark stops there

    @property
    def total(self) -> int:
        return self.completed + self.lapsed + len(self.failed)

    def full(self, per_run: int) -> bool:
        """The run's share is used: `per_run` settled, or as many failed. Failures count apart: exchanges failing on
        every run (a post out of step) would otherwise stop every run before it settled anything else."""
        return self.completed + self.lapsed >= per_run or len(self.failed) >= per_run


def settle_due(now: datetime | None = None, per_run: int = PER_RUN) -> Settled:
    """Settle every exchange still claimed `EXCHANGE_SETTLE_HOURS` after its window ended (up to `per_run`)."""
    now = now or clock.now()
    settings = get_settings()
    grace = timedelta(hours=settings.exchange_settle_hours)
    ended = settlement_rules.ended_by(now, grace)
    upper = f"{clock.iso(ended)}#~"  # expiry_sk is "<pickupEnd>#<foodId>": below this, ended by `ended`
    settled = Settled()
    for bucket in job_marks.buckets("settlement", ended):
        posts = FoodItem.expiring_food.query(bucket, FoodItem.expiry_sk < upper,
                                             filter_condition=FoodItem.status == CLAIMED, page_size=PAGE)
        for page in _pages(posts, PAGE):
            found = reads.get_many([(ExchangeItem, ExchangeItem.key(p.exchange_id)) for p in page if p.exchange_id])
            for exchange in found:
                if exchange is None:
                    continue
                if settled.full(per_run):
                    return settled  # the mark stays: the next run reads these buckets again
                _settle(exchange, now, grace, settled)
    # A failure is tried again by the next run: the mark stops at its window's end (the margin reads its bucket)
    job_marks.advance("settlement", min([ended, *settled.held_back]))
    return settled


def _settle(exchange: ExchangeItem, now: datetime, grace: timedelta, settled: Settled) -> None:
    try:
        outcome = exchanges.settle(exchange, now, grace)
    except DomainError as exc:  # tried again by the next run, while the post is in the buckets read
        settled.failed.append((exchange.exchange_id, exc.message))
        settled.held_back.append(clock.parse_iso(exchange.pickup_end))
        return
    if outcome == settlement_rules.COMPLETE:
        settled.completed += 1
    elif outcome == settlement_rules.LAPSE:
        settled.lapsed += 1


def _pages(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while page := list(islice(iterator, size)):
        yield page
