"""Who may close a claimed exchange, and when: a pure decision over small values (no I/O here).

A participant closes an exchange by cancelling it (either side) or, the sharer, by reporting that the claimer did
not come. A side that confirmed the pickup said the food changed hands: it can no longer call the exchange off or
say nobody came (a sharer who confirmed, then reported a no-show, took a credit and a reputation penalty from a
claimer they had just said collected; a side's cancel after its own confirmation undid a handover it attested).
The other side still can: what one side says does not bind the other. A cancellation nobody chose (`cause`: a
moderator removed one of them, domain/departures.py) is not a participant's call and is not refused here.

What becomes of the post (`post_after_close`): a cancel while its window is open re-lists it for its group, unless
its sharer has left the group or was removed from it (the departure marked the exchange, domain/departures.py):
the post is then taken off as the departure took their available posts off, never offered again to a group
whose members would be sent to the door of someone no longer in it. A claim refuses such a post too
(`sharer_departed`), before the departure is applied.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from foodshare.domain.food_rules import AVAILABLE, EXPIRED  # a post's statuses
from foodshare.errors import Conflict, Forbidden

CANCELLED, NO_SHOW = "cancelled", "no_show"


@dataclass(frozen=True)
class CloseFacts:
    """What the decision reads of the exchange and the person closing it."""

    status: str
    by_sharer: bool
    confirmed_by_them: bool  # the closing side's own confirmation of the pickup
    window_ended: bool
    window_open: bool = False  # the pickup window has not ended yet (a re-listed post can still be claimed)
    # The status their departure gave the sharer's posts in the exchange's group (`withdrawn` after a leave,
    # `removed` after a removal or ban), marked on the exchange by it; None while the sharer is in the group.
    sharer_departed: str | None = None


def decide_close(facts: CloseFacts, outcome: str, chosen: bool = True) -> None:
    """Raise the refusal when `outcome` (CANCELLED or NO_SHOW) may not be recorded; `chosen` False: a cause
    nobody chose (a moderator's removal), which only needs the exchange open."""
    if outcome == NO_SHOW:
        if not facts.by_sharer:
            raise Forbidden("Only the sharer may report a no-show.")
        if not facts.window_ended:
            raise Conflict("A no-show can be reported once the pickup window has ended.", code="too_early")
    if facts.status != "claimed":
        raise Conflict(f"The exchange is {facts.status}.", code="invalid_state")
    if chosen and facts.confirmed_by_them:
        what = "report a no-show" if outcome == NO_SHOW else "cancel it"
        raise Conflict(f"You confirmed the pickup, so you can no longer {what}.", code="invalid_state")


def post_after_close(facts: CloseFacts, outcome: str) -> str:
    """The status the post of an exchange closed with `outcome` takes: a cancel within the pickup window re-lists it
    (`available`) unless its sharer departed the group (then what the departure made of their posts there); past
    the window, or after a no-show, it is expired."""
    if outcome != CANCELLED or not facts.window_open:
        return EXPIRED
    return facts.sharer_departed or AVAILABLE


def sharer_departed(departed_groups: Collection[str] | None, group_id: str) -> bool:
    """Whether a post's sharer has left its group (or was removed from it) and not come back: their profile's
    `departed_groups` as read. A claim of it is refused as once the departure is applied (the post taken off)."""
    return group_id in (departed_groups or ())
