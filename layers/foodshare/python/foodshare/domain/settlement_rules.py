"""Settling exchanges nobody closed: a pure decision over small values (no I/O here).

An exchange is closed by its participants: both confirm (completed), one cancels, the sharer reports a
no-show. When none of that happens, the exchange would stay `claimed` for ever: the sharer unpaid, the
claimer's credit and active-claim slot held (the active-claim limit follows `credits_held`). So some time
after its pickup window ended (EXCHANGE_SETTLE_HOURS, 72 by default: time enough for a late confirmation,
cancel or no-show report) the `food_expiry` job settles it (`domain/settlement.py`):

- one side confirmed: it completes as a confirmed exchange does (the claimer's credit pays the sharer, the
  post is completed, `ExchangeCompleted`), marked `settled`. That side said the food changed hands and the
  other raised nothing in three days. For reputation it counts as a completion for both (count and
  `exchange_completed`), but the claimer gets no `reliable_pickup`: that rewards a pickup both confirmed.
  Ratings stay open for the rating window, as after any completion; no rating is made up.
- neither confirmed: it lapses (`lapsed`): the claimer's credit is given back, the post (its window long
  over) expires, `ExchangeLapsed`. No one is blamed: no reputation change, no fraud signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

COMPLETE, LAPSE = "complete", "lapse"


@dataclass(frozen=True)
class ExchangeFacts:
    """What the decision reads of an exchange."""

    status: str
    sharer_confirmed: bool
    claimer_confirmed: bool
    pickup_end: datetime


def due_at(pickup_end: datetime, grace: timedelta) -> datetime:
    """When an exchange still open after its window is settled."""
    return pickup_end + grace


def ended_by(now: datetime, grace: timedelta) -> datetime:
    """Exchanges whose window ended by this moment are due at `now`."""
    return now - grace


def decide_settlement(facts: ExchangeFacts, now: datetime, grace: timedelta) -> str | None:
    """COMPLETE, LAPSE, or None: not open any more (someone closed it), or not due yet."""
    if facts.status != "claimed" or now < due_at(facts.pickup_end, grace):
        return None
    if facts.sharer_confirmed or facts.claimer_confirmed:
        return COMPLETE  # (both: a completion the confirm would have made; it completes all the same)
    return LAPSE
