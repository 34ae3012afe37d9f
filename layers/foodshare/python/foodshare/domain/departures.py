"""A member's departure from a group: they left (`DELETE /groups/{groupId}/members/me`, or the chat), or a moderator
removed or banned them (`remove_member`, `ban`). What they had open in that group ends, asynchronously, from the
departure's event, on the erasure consumer's queue (functions/erasure: the consumer that winds people down), through
the erasure's own code for it (domain/closing.py), scoped to the group and to what they did up to the departure:

- `MemberLeft` (recorded by a leave and by a removal or ban of a member): their available posts in the group are
  taken off, each one transaction conditioned on the post being available as read (a racing claim wins or loses
  whole), with `FoodWithdrawn` (the chat announcement is edited, discovery drops it): `withdrawn` when they left,
  `removed` (as a moderator's `remove_post`) when a moderator removed them, whose `MemberLeft` has no actor. The
  exchanges claimed from them there are marked with that status (`sharer_departed`, `closing.mark_departed`; the
  post read strongly decides, not the index, which may lag): a cancel within the window then takes the post off
  as that, instead of re-listing it in a group they are not in (`exchange_rules.post_after_close`).
- `ModerationActionTaken` of a `remove_member` or `ban`: their open exchanges in the group, as claimer and as
  sharer, are cancelled with the cause `removed_from_group` (credits released, both told; neither participant chose
  it, so nobody's reputation or fraud counts move: reputation.py, fraud.py), then their available posts are taken
  off as above (the posts the cancels re-listed with them). SQS keeps no order between the two events: either may
  come first, and each does only what the state it reads still needs.
- A voluntary leave keeps their open exchanges: confirming and cancelling need no membership, so they finish them
  (a cancel of one on their post takes the post off, as above).

Scope: only the group's posts (their `group_id`: the person's posts are read a page at a time, keyed by creation
time, API 5.1.0) made at or before the event's `occurredAt`, and only exchanges claimed (or of posts made) by then,
so a member who left and was let back in before the event was applied keeps what they posted or claimed since (the
moment has second precision: something in the departure's own second counts as before it). The index is read a page
at a time (`closing.PAGE_SIZE`).

Once: the consumer's processed marker (`CONSUMED#erasure#<eventId>`, `consumers.once`) is read first, strongly
consistent, and written after the effect, which is one transaction per post or exchange and cannot share it. A
redelivery finds the marker and does nothing; a crash before it leaves the rest to the redelivery, which finds what
was done (every write holds only for the state it changes) and does the rest; two deliveries at once race each write,
one wins it.

Until it is applied (the relay's and the queue's second or so), a departed sharer's posts still show available, but
no claim takes them: the leave's or removal's own transaction adds the group to the person's `departed_groups`
(their profile), which the claim's transaction checks with the sharer's restriction it already checked (no call or
write unit more a claim; docs/trust-safety.md "Departures"). A cancel in that time re-lists the post (nothing marks
the exchange yet), unclaimable, until this pass takes it off.
"""

from __future__ import annotations

from dataclasses import dataclass

from foodshare import consumers
from foodshare.consumers import Delivered
from foodshare.domain import closing, exchanges, food, users
from foodshare.domain import moderation_rules as rules
from foodshare.domain.moderation import REMOVED  # a post's status when a moderator took it off

CONSUMER = "erasure"  # the consumer that winds people down (catalog.py)


@dataclass(frozen=True)
class Departure:
    group_id: str
    user_id: str
    at: str  # the event's occurredAt
    own: bool  # they left themselves (else a moderator removed or banned them)
    cancels: bool  # their open exchanges in the group are cancelled (a removal or ban)

    @classmethod
    def of(cls, event: Delivered) -> Departure | None:
        data = event.data
        if event.event_type == "MemberLeft":
            return cls(data["groupId"], data["userId"], event.occurred_at, own=event.actor_id == data["userId"],
                       cancels=False)
        if event.event_type == "ModerationActionTaken" and data["action"] in (rules.REMOVE_MEMBER, rules.BAN):
            return cls(data["groupId"], data["memberId"], event.occurred_at, own=False, cancels=True)
        return None


def apply(event: Delivered) -> bool:
    """End what the person had open in the group they departed (once per event). False: not a departure, already
    applied, or the person is being erased (their erasure's wind-down ends everything of theirs)."""
    departure = Departure.of(event)
    if departure is None or consumers.applied(CONSUMER, event, consistent=True):
        return False
    profile = users.find(departure.user_id)
    if profile is None or profile.erasing:
        return False
    closing.reading_again(lambda: _close(departure))
    return consumers.once(CONSUMER, event, lambda uow: None)  # the marker alone: the effect is committed


def _close(departure: Departure) -> None:
    scope = closing.Scope(departure.group_id, departure.at)
    user_id = departure.user_id
    cause = exchanges.REMOVED_FROM_GROUP
    if departure.cancels:  # the exchanges they claimed: their ids name no group, so every claim of theirs is read
        for page in closing.pages(user_id, "EXCHANGE#", closing.PAGE_SIZE):
            closing.cancel(closing.open_exchanges((), [i for i in page if scope.holds(i, "claimed_at")]), user_id,
                           cause=cause)
    status = food.WITHDRAWN if departure.own else REMOVED  # what becomes of their posts in the group
    for page in closing.pages(user_id, "FOOD#", closing.PAGE_SIZE):
        posts = [i for i in page if scope.holds(i, "created_at")]
        if departure.cancels:  # those claimed from them, then the posts (the cancels re-list them)
            closing.cancel(closing.open_exchanges(posts, ()), user_id, cause=cause)
        # Those still claimed from them are marked (kept, but a cancel takes the post off as `status`)
        closing.withdraw(posts, user_id if departure.own else None, status, mark=not departure.cancels)
