"""Claims and the exchange lifecycle: claimed -> completed | cancelled | no_show | lapsed.

A claim is one transaction: the post flips from available to claimed only if it is
still available, so of any number of racing claimers exactly one wins; the same
transaction holds the claimer's credit and counts a claim across a partnership. It also
checks that what the read allowed still holds (the membership giving access, a partnership's
link, no moderator's restriction): a ban, removal, leave or restriction landing while the claim
is in flight makes it read again and be refused as it would have been.

An exchange nobody closes is settled some time after its pickup window by the `food_expiry` job (`settle`; the
rule: `settlement_rules`): completed on one side's confirmation, else `lapsed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from foodshare import clock, ids
from foodshare.data import reads
from foodshare.data.models import (
    BanItem,
    ExchangeItem,
    FoodItem,
    MembershipItem,
    PartnerClaimCounterItem,
    SharerEntryItem,
    UserItem,
)
from foodshare.data.transaction import UnitOfWork, with_retries
from foodshare.domain import (
    credits,
    exchange_rules,
    food_rules,
    identities,
    privacy_settings,
    settlement_rules,
    standing,
    users,
    visibility,
)
from foodshare.domain import food as food_posts
from foodshare.errors import ConcurrentUpdate, Conflict, DomainError, Forbidden, NotFound

CLAIMED, COMPLETED, CANCELLED, NO_SHOW, LAPSED = "claimed", "completed", "cancelled", "no_show", "lapsed"


def get_for_participant(exchange_id: str, user_id: str) -> ExchangeItem:
    try:
        exchange = ExchangeItem.get(*ExchangeItem.key(exchange_id))
    except ExchangeItem.DoesNotExist:
        raise NotFound(f"Exchange {exchange_id} not found.")
    if user_id not in (exchange.sharer_id, exchange.claimer_id):
        raise NotFound(f"Exchange {exchange_id} not found.")
    return exchange


PAGE, PAGE_MAX = 20, 30  # up to three keys an exchange (it, its post, the sharer's profile): one BatchGetItem
# GET /me/exchanges' `status`: an exchange's own, or `active` (claimed: neither completed nor closed) and `closed`.
STATUS_FILTERS: dict[str, frozenset[str]] = {
    "active": frozenset({CLAIMED}), "closed": frozenset({COMPLETED, CANCELLED, NO_SHOW, LAPSED}),
    **{status: frozenset({status}) for status in (CLAIMED, COMPLETED, CANCELLED, NO_SHOW, LAPSED)},
}


@dataclass(frozen=True)
class Participation:
    """One of the person's exchanges, with its post as they see it (`food.get_detail`'s rules): None when the post
    is gone or they may not see it (`visibility.sees`)."""

    exchange: ExchangeItem
    post: FoodItem | None
    exact: bool  # whether they see the post's exact place (`food.sees_exact`)
    from_partner_group: bool  # they claimed it across a partnership


def of_participant(user_id: str, limit: int, after: str | None, status: str | None = None
                   ) -> tuple[list[Participation], str | None]:
    """The person's exchanges as claimer and as sharer, newest claim first, `limit` at a time after the page that
    ended at `after` (its cursor), those `status` names (`STATUS_FILTERS`) when given; and the next page's `after`
    (None on the last). One index query (their `by_user` entries: the exchanges they claimed, the sharer entries of
    those they shared), then one batch: each exchange, its post and, where they claimed, the sharer's profile (the
    place's precision) and their own (the groups that banned them). The status is the exchange's as read, so a
    filtered page may hold fewer, even none."""
    entries, more = reads.by_user_page(user_id, "EXCHANGE#", limit, after,
                                       attributes=("exchange_id", "food_id", "sharer_id"))
    wanted = []
    for entry in entries:
        wanted += [(ExchangeItem, ExchangeItem.key(entry["exchange_id"]["S"])),
                   (FoodItem, FoodItem.key(entry["food_id"]["S"]))]
        if entry["sk"]["S"] == "META":  # theirs as the claimer: the exchange itself, naming the sharer
            wanted.append((UserItem, UserItem.key(entry["sharer_id"]["S"])))
    if any(entry["sk"]["S"] == "META" for entry in entries):  # a post not theirs: whether its group banned them
        wanted.append((UserItem, UserItem.key(user_id)))
    found = dict(zip((key for _, key in wanted), reads.get_many(wanted), strict=True))
    viewer = found.get(UserItem.key(user_id))
    shown = STATUS_FILTERS[status] if status else None
    page = []
    for entry in entries:
        exchange = found[ExchangeItem.key(entry["exchange_id"]["S"])]
        if exchange is None or user_id not in (exchange.sharer_id, exchange.claimer_id):
            continue
        if shown is not None and exchange.status not in shown:
            continue
        post = found[FoodItem.key(exchange.food_id)]
        sharer = found.get(UserItem.key(exchange.sharer_id))
        claimer = exchange.claimer_id == user_id
        part = visibility.part_in(exchange.status, exchange.claimer_id, user_id)
        if post is not None and not visibility.sees(user_id, post.sharer_id, post.status, reach=None, exchange=part,
                                                    sharer_restricted=privacy_settings.is_restricted(sharer),
                                                    banned=visibility.banned(viewer, post.group_id)):
            post = None  # as GET /food/{foodId} answers it to them: not found
        page.append(Participation(exchange, post, post is not None and food_posts.sees_exact(post, user_id, sharer,
                                                                                              exchange),
                                  claimer and exchange.partnership_id is not None))
    return page, more


def claim(food_id: str, user_id: str) -> ExchangeItem:
    return with_retries(lambda: _claim(food_id, user_id))


def _claim(food_id: str, user_id: str) -> ExchangeItem:
    """Claim as `_claim_read` decides; any refusal but "not found" is answered to someone who may not see the post
    (`visibility.sees`) as "not found": a claim is no probe for a post the list and the read hide from them."""
    now = clock.now()
    read = _claim_reads(food_id, user_id, now)
    seen = food_posts.reach_of(read.post, user_id, read.membership, read.claimer)
    try:
        return _claim_read(read, seen, food_id, user_id, now)
    except (NotFound, ConcurrentUpdate):
        raise
    except DomainError:
        if not _sees(read, seen, user_id):
            raise NotFound(f"Food {food_id} not found.") from None
        raise


def _claim_read(read: _ClaimReads, seen: food_posts.Reach, food_id: str, user_id: str, now) -> ExchangeItem:
    post, membership, claimer = read.post, read.membership, read.claimer
    if post.sharer_id == user_id:
        raise Forbidden("You cannot claim your own post.", code="own_post")
    already_claimed = Conflict("This food has already been claimed.", code="already_claimed")
    not_available = Conflict("This food is no longer available.", code="not_available")
    if post.status == food_posts.CLAIMED:
        raise already_claimed
    if post.status != food_posts.AVAILABLE:
        raise Conflict(f"This food is no longer available ({post.status}).", code="not_available")
    # Available: no exchange names it, and the sharer's restriction is read or left to the transaction, so what
    # the read holds decides whether the claimer sees it (a partner: the terms, as `GET /food` judges them).
    if not visibility.sees(user_id, post.sharer_id, post.status, reach=seen.reach, terms=seen.terms,
                           banned=seen.banned):
        raise NotFound(f"Food {food_id} not found.")
    if food_rules.window_ended(post.pickup_end, clock.iso(now)):  # shown `expired`; the expiry job writes it
        raise Conflict("This food's pickup window has ended.", code="not_available")
    claimer = claimer or users.ensure(user_id)
    if claimer.restricted:
        raise Forbidden("You restricted processing of your data; lift it (PUT /me/privacy) to claim.",
                        code="processing_restricted")
    if read.sharer is not _UNREAD and (privacy_settings.is_restricted(read.sharer) or exchange_rules.sharer_departed(
            read.sharer.departed_groups if read.sharer else None, post.group_id)):
        raise not_available  # as the post answers once its sharer's departure from the group has taken it off
    access = seen.access
    exchange_id = ids.new_id()
    uow = UnitOfWork()
    food_posts.keep_access(uow, post, user_id, access)  # first: a claimer gone meanwhile is answered as read
    food_posts.unlist(uow, post, food_posts.CLAIMED, on_fail=already_claimed,
                      more=(FoodItem.exchange_id.set(exchange_id),))
    if read.sharer is _UNREAD:  # the transaction checks what was not read; after the post's condition, so a
        # post claimed meanwhile answers `already_claimed` as the read path's order does, whatever the sharer:
        # no restriction, and still in the post's group (no leave, removal or ban recorded on their profile)
        uow.check(UserItem, UserItem.key(post.sharer_id),
                  privacy_settings.NOT_RESTRICTED & users.not_departed(post.group_id), on_fail=not_available)
    if access.partner is not None:
        _count_partner_claim(uow, user_id, access.partner, now)
        # Not banned from the post's group: a partnership is no way back into a group that banned them (a member
        # of both could claim its posts, and meet its members at the pickup). Checked as the claim commits, no read.
        uow.check(BanItem, BanItem.key(post.group_id, user_id), BanItem.pk.does_not_exist(), on_fail=Forbidden(
            "You were banned from this post's group: you cannot claim its posts through a partnership.",
            code="banned"))
        identities.record_handle(uow, user_id, post.group_id)  # seen in the post's group from now on
    max_active = standing.check_may_claim(uow, claimer, post, now, standing.ClaimReads.of(read.rules))
    # Held only while the claimer is still unrestricted (an erasure's freeze restricts too): a DELETE /me or a
    # restriction landing after the reads makes the claim read again and be refused, not name a frozen account.
    credits.hold(uow, claimer, exchange_id, max_held=max_active, still=privacy_settings.NOT_RESTRICTED)
    exchange = ExchangeItem(
        *ExchangeItem.key(exchange_id),
        exchange_id=exchange_id,
        food_id=food_id,
        group_id=post.group_id,
        sharer_id=post.sharer_id,
        claimer_id=user_id,
        # How each appears in the group, kept for the exchange's answers (stable per person and group).
        sharer_pseudonym=post.sharer_pseudonym or identities.of(
            post.sharer_id, post.group_id, read.sharer_membership.pseudonym if read.sharer_membership else None).pseudonym,
        claimer_pseudonym=identities.of(user_id, post.group_id, membership.pseudonym if membership else None).pseudonym,
        partnership_id=access.partner.partnership_id if access.partner else None,
        status=CLAIMED,
        pickup_start=post.pickup_start,
        pickup_end=post.pickup_end,
        claimed_at=clock.iso(now),
        updated_at=clock.iso(now),
        by_user_pk=f"USER#{user_id}",
        by_user_sk=f"EXCHANGE#{exchange_id}",
    )
    uow.save(exchange, ExchangeItem.pk.does_not_exist())
    uow.save(SharerEntryItem(*SharerEntryItem.key(exchange_id), exchange_id=exchange_id, food_id=food_id,
                             by_user_pk=f"USER#{post.sharer_id}", by_user_sk=f"EXCHANGE#{exchange_id}"))
    uow.record(
        "FoodClaimed",
        user_id,
        {
            "foodId": food_id,
            "exchangeId": exchange_id,
            "groupId": post.group_id,
            "sharerId": post.sharer_id,
            "claimerId": user_id,
            "partnershipId": exchange.partnership_id,
        },
    )
    uow.commit()
    return exchange


_UNREAD = object()


@dataclass(frozen=True)
class _ClaimReads:
    post: FoodItem
    membership: MembershipItem | None
    claimer: UserItem | None
    rules: list  # standing.claim_keys' items, in order
    sharer: UserItem | None | object  # _UNREAD: the transaction checks the sharer's restriction instead
    sharer_membership: MembershipItem | None  # read only for a post from before `sharer_pseudonym`


def _claim_reads(food_id: str, user_id: str, now) -> _ClaimReads:
    """The post and everything the rules and the answer read. A post whose id names its group (`ids.food_id`)
    comes in the one batch with the rest: the claim is that batch and its transaction. The sharer's profile, whose
    id only the post knows, is then not read; the transaction checks their restriction. A post from before
    (its id one ULID) is read first, then the rest in one batch, the sharer's profile with it."""
    group_id = ids.food_group(food_id)
    if group_id is not None:
        post, membership, claimer, *rules = reads.get_many([
            (FoodItem, FoodItem.key(food_id)), *_claimer_keys(user_id, group_id, now)])
        if post is None:
            raise NotFound(f"Food {food_id} not found.")
        if post.group_id == group_id and post.sharer_pseudonym is not None:
            return _ClaimReads(post, membership, claimer, rules, _UNREAD, None)
    post = food_posts.find(food_id)
    if post is None:
        raise NotFound(f"Food {food_id} not found.")
    sharer_unknown = post.sharer_pseudonym is None
    membership, claimer, *rules = reads.get_many([
        *_claimer_keys(user_id, post.group_id, now),
        (UserItem, UserItem.key(post.sharer_id)),
        *([(MembershipItem, MembershipItem.key(post.group_id, post.sharer_id))] if sharer_unknown else []),
    ])
    sharer_membership = rules.pop() if sharer_unknown else None
    sharer = rules.pop()
    return _ClaimReads(post, membership, claimer, rules, sharer, sharer_membership)


def _sees(read: _ClaimReads, seen: food_posts.Reach, user_id: str) -> bool:
    """Whether the claimer sees the post (`visibility.sees`), for a refusal: what the claim did not read of it (the
    sharer's profile when the transaction checked it, the exchange the post names) in one batch."""
    post = read.post
    if post.sharer_id == user_id:
        return True
    unread = read.sharer is _UNREAD
    found = reads.get_many([*([(UserItem, UserItem.key(post.sharer_id))] if unread else []),
                            *([(ExchangeItem, ExchangeItem.key(post.exchange_id))] if post.exchange_id else [])])
    sharer = found.pop(0) if unread else read.sharer
    exchange = found[0] if found else None
    part = visibility.part_in(exchange.status, exchange.claimer_id, user_id) if exchange is not None else None
    return visibility.sees(user_id, post.sharer_id, post.status, reach=seen.reach, exchange=part, terms=seen.terms,
                           sharer_restricted=privacy_settings.is_restricted(sharer), banned=seen.banned)


def _claimer_keys(user_id: str, group_id: str, now) -> list:
    """The claimer's membership of the post's group, their profile, then the standing rules' items."""
    return [(MembershipItem, MembershipItem.key(group_id, user_id)), (UserItem, UserItem.key(user_id)),
            *standing.claim_keys(user_id, group_id, now)]


def _count_partner_claim(uow: UnitOfWork, user_id: str, partner, now) -> None:
    year, week, _ = now.isocalendar()
    counter = PartnerClaimCounterItem(
        *PartnerClaimCounterItem.key(user_id, partner.partnership_id, f"{year}-W{week:02d}")
    )
    limit = partner.terms.max_claims_per_member_per_week
    uow.update(
        counter,
        [
            PartnerClaimCounterItem.count.add(1),
            PartnerClaimCounterItem.expires_at_epoch.set(now + timedelta(days=14)),
        ],
        PartnerClaimCounterItem.count.does_not_exist() | (PartnerClaimCounterItem.count < limit),
        on_fail=Conflict(
            f"You have reached this partnership's limit of {limit} claims per week.", code="partner_claim_limit"
        ),
    )


def confirm(exchange_id: str, user_id: str) -> ExchangeItem:
    return credits.reading_when_needed(lambda blind: _confirm(exchange_id, user_id, blind))


def _confirm(exchange_id: str, user_id: str, blind: bool) -> ExchangeItem:
    """Confirm a pickup; the second confirmation completes the exchange and pays the sharer: blind (no profile
    read), or with both profiles read when the sharer is at the cap (`credits.reading_when_needed`)."""
    exchange = get_for_participant(exchange_id, user_id)
    is_sharer = user_id == exchange.sharer_id
    own_flag, other_flag = (
        (ExchangeItem.sharer_confirmed, ExchangeItem.claimer_confirmed)
        if is_sharer
        else (ExchangeItem.claimer_confirmed, ExchangeItem.sharer_confirmed)
    )
    if getattr(exchange, own_flag.attr_name):
        return exchange  # confirming twice changes nothing
    if exchange.status != CLAIMED:
        raise Conflict(f"The exchange is {exchange.status}.", code="invalid_state")
    other_confirmed = bool(getattr(exchange, other_flag.attr_name))
    now = clock.now_iso()
    actions = [own_flag.set(True), ExchangeItem.updated_at.set(now)]
    if other_confirmed:
        actions += [ExchangeItem.status.set(COMPLETED), ExchangeItem.completed_at.set(now), ExchangeItem.closed_at.set(now)]
    uow = UnitOfWork()
    # The other side's flag is part of the condition: if both confirm at once, one retries and completes. So is
    # this side's own (not yet set): a second tap racing the first retries, finds it set and records nothing.
    uow.update(exchange, actions, (ExchangeItem.status == CLAIMED) & (other_flag == other_confirmed)
               & _as_read(own_flag, False))
    uow.record(
        "PickupConfirmed",
        user_id,
        {"exchangeId": exchange_id, "foodId": exchange.food_id, "confirmedBy": "sharer" if is_sharer else "claimer"},
    )
    if other_confirmed:
        _complete(uow, exchange, now, blind, user_id)
    uow.commit()
    # The answer is what was written (no re-read).
    setattr(exchange, own_flag.attr_name, True)
    exchange.updated_at = now
    if other_confirmed:
        exchange.status, exchange.completed_at, exchange.closed_at = COMPLETED, now, now
    return exchange


def _complete(uow: UnitOfWork, exchange: ExchangeItem, now: str, blind: bool, actor_id: str | None,
              settled: bool = False) -> None:
    """A completion's writes beside the exchange's own: the post completed (and out of `expiring_food`), the
    claimer's held credit paid to the sharer (blind, or the profiles read), `ExchangeCompleted`."""
    uow.update(
        FoodItem(*FoodItem.key(exchange.food_id)),
        [FoodItem.status.set(food_posts.COMPLETED), FoodItem.updated_at.set(now), *food_posts.out_of_expiry()],
        FoodItem.status == food_posts.CLAIMED,
    )
    if blind:
        credits.transfer(uow, exchange.claimer_id, exchange.sharer_id, exchange.exchange_id)
    else:
        claimer, sharer = _profiles(exchange.claimer_id, exchange.sharer_id)
        credits.transfer(uow, claimer, sharer, exchange.exchange_id)
    uow.record("ExchangeCompleted", actor_id,
               _payload(exchange) | {"completedAt": now} | ({"settled": True} if settled else {}))


def _profiles(*user_ids: str) -> list[UserItem]:
    """The profiles of an exchange's participants, in one read."""
    found = reads.get_many([(UserItem, UserItem.key(u)) for u in user_ids])
    if any(user is None for user in found):
        raise NotFound("A participant's account no longer exists.")  # no id: the caller knows the other by handle
    return found


# Why an exchange was cancelled when neither participant chose to (`cancel`'s `cause`, ExchangeCancelled's `cause`).
REMOVED_FROM_GROUP = "removed_from_group"  # a moderator removed or banned one of them from the exchange's group


def cancel(exchange_id: str, user_id: str, cause: str | None = None, *, erasing: bool = False) -> ExchangeItem:
    """Cancel as the participant `user_id`; with a `cause` neither participant chose it (the event has no actor and
    says why: no reputation impact, no fraud count for anyone, docs/trust-safety.md "Departures"). `erasing`: their
    erasure's wind-down ends it, which is no call of theirs about the handover: their own confirmation of the pickup
    does not refuse it (the event is as their cancel)."""
    chosen = cause is None and not erasing
    return credits.reading_when_needed(lambda blind: _close(exchange_id, user_id, CANCELLED, blind, cause, chosen))


def no_show(exchange_id: str, user_id: str) -> ExchangeItem:
    return credits.reading_when_needed(lambda blind: _close(exchange_id, user_id, NO_SHOW, blind))


def _close(exchange_id: str, user_id: str, outcome: str, blind: bool, cause: str | None = None,
           chosen: bool = True) -> ExchangeItem:
    """Cancel or record a no-show: release the claimer's credit and re-list the post, expire it, or (its sharer
    departed the group: the exchange is marked) take it off as the departure took their posts off.

    The exchange carries what the post's update needs (its id, group and pickup end, copied at claim time), so
    the post is written without a read, under the condition that it is still claimed by this exchange. The
    credit goes back blind (no profile read); only at the cap is the claimer's profile read (`blind` False)."""
    exchange = get_for_participant(exchange_id, user_id)
    now = clock.now_iso()
    by_sharer = user_id == exchange.sharer_id
    own_flag = ExchangeItem.sharer_confirmed if by_sharer else ExchangeItem.claimer_confirmed
    facts = exchange_rules.CloseFacts(exchange.status, by_sharer, bool(getattr(exchange, own_flag.attr_name)),
                                      now > exchange.pickup_end, window_open=now < exchange.pickup_end,
                                      sharer_departed=exchange.sharer_departed)
    exchange_rules.decide_close(facts, outcome, chosen=chosen)
    # Still open, and the sharer's departure as read (one landing meanwhile makes it read again and decide anew)
    still_open = (ExchangeItem.status == CLAIMED) & (
        ExchangeItem.sharer_departed == exchange.sharer_departed if exchange.sharer_departed
        else ExchangeItem.sharer_departed.does_not_exist())
    if chosen:  # still unconfirmed by the side closing it, as read: a confirmation racing it wins whole
        still_open &= _as_read(own_flag, False)
    claimer = _claimer(exchange, blind)
    uow = UnitOfWork()
    uow.update(  # lost to a racing change: read again, and the rule answers on what changed (`decide_close`)
        exchange,
        [ExchangeItem.status.set(outcome), ExchangeItem.closed_at.set(now), ExchangeItem.updated_at.set(now)],
        still_open,
        on_fail=ConcurrentUpdate("the exchange changed meanwhile"),
    )
    post_status = exchange_rules.post_after_close(facts, outcome)
    relist = post_status == food_posts.AVAILABLE
    if relist:
        food_posts.relist(uow, exchange.group_id, exchange.food_id, exchange.pickup_end, _claimed_by(exchange))
    else:
        _unlist_post(uow, exchange, post_status)
    reason = "claim_cancelled" if outcome == CANCELLED else "no_show"
    credits.release(uow, claimer, exchange_id, reason)
    event_type = "ExchangeCancelled" if outcome == CANCELLED else "ExchangeNoShow"
    actor = None if cause else user_id
    uow.record(event_type, actor, _payload(exchange) | {"closedBy": user_id, "foodRelisted": relist}
               | ({"cause": cause} if cause else {}))
    post = {"foodId": exchange.food_id, "groupId": exchange.group_id, "sharerId": exchange.sharer_id}
    if post_status == food_posts.EXPIRED:
        uow.record("FoodExpired", actor,  # naming its exchange: claimed, not a post nobody wanted (fraud.py)
                   post | {"exchangeId": exchange_id})
    elif not relist:  # as the departure records it: the leaver as actor, none for a moderator's removal
        uow.record("FoodWithdrawn", exchange.sharer_id if post_status == food_posts.WITHDRAWN else None, post)
    uow.commit()
    exchange.status, exchange.closed_at, exchange.updated_at = outcome, now, now  # what was written (no re-read)
    return exchange


def settle(exchange: ExchangeItem, now: datetime, grace: timedelta) -> str | None:
    """Settle an exchange its participants left open (`settlement_rules`): what was done (COMPLETE or LAPSE), or
    None when there was nothing to do (closed meanwhile, not due). One transaction, conditioned on the exchange
    being claimed with both confirmations as read: a confirm, cancel or no-show racing it, or another run of the
    job, wins or loses whole; the loser reads again and decides on what it finds (`with_retries`). The credit
    moves blind; at the cap the profiles are read (`credits.reading_when_needed`). `exchange`: as the job read
    it (a batch); each retry reads it again."""
    given = [exchange]

    def attempt(blind: bool) -> str | None:
        current = given.pop() if given else _read(exchange.exchange_id)
        return _settle(current, now, grace, blind) if current is not None else None

    return credits.reading_when_needed(attempt)


def _read(exchange_id: str) -> ExchangeItem | None:
    try:
        return ExchangeItem.get(*ExchangeItem.key(exchange_id), consistent_read=True)
    except ExchangeItem.DoesNotExist:
        return None


def _as_read(flag, value: bool):
    """The condition that a confirmation flag is still as read (an exchange from before may lack it: unset)."""
    return flag == True if value else (flag.does_not_exist() | (flag == False))  # conditions, not tests


def _settle(exchange: ExchangeItem, now: datetime, grace: timedelta, blind: bool) -> str | None:
    facts = settlement_rules.ExchangeFacts(exchange.status, bool(exchange.sharer_confirmed),
                                           bool(exchange.claimer_confirmed), clock.parse_iso(exchange.pickup_end))
    decision = settlement_rules.decide_settlement(facts, now, grace)
    if decision is None:
        return None
    at = clock.iso(now)
    completing = decision == settlement_rules.COMPLETE
    actions = [ExchangeItem.status.set(COMPLETED if completing else LAPSED), ExchangeItem.closed_at.set(at),
               ExchangeItem.updated_at.set(at), ExchangeItem.auto_settled.set(True)]
    if completing:
        actions.append(ExchangeItem.completed_at.set(at))
    uow = UnitOfWork()
    uow.update(exchange, actions,
               (ExchangeItem.status == CLAIMED) & _as_read(ExchangeItem.sharer_confirmed, facts.sharer_confirmed)
               & _as_read(ExchangeItem.claimer_confirmed, facts.claimer_confirmed),
               on_fail=ConcurrentUpdate("the exchange changed meanwhile"))
    if completing:
        _complete(uow, exchange, at, blind, None, settled=True)
    else:
        _unlist_post(uow, exchange, on_fail=Conflict(f"The post {exchange.food_id} is not claimed by this exchange.",
                                                     code="invalid_state"))
        credits.release(uow, _claimer(exchange, blind), exchange.exchange_id, "claim_lapsed")
        uow.record("ExchangeLapsed", None, _payload(exchange) | {"closedAt": at})
    uow.commit()
    return decision


def _claimer(exchange: ExchangeItem, blind: bool) -> UserItem | str:
    """Whom a closing releases the held credit to: their id (blind), or their profile read (at the cap)."""
    claimer = exchange.claimer_id if blind else users.find(exchange.claimer_id)
    if claimer is None:
        raise NotFound("The claimer's account no longer exists.")  # no id: the sharer knows them by handle
    return claimer


def _claimed_by(exchange: ExchangeItem):
    """The condition a closing writes the post under: still claimed by this exchange."""
    return (FoodItem.status == food_posts.CLAIMED) & (FoodItem.exchange_id == exchange.exchange_id)


def _unlist_post(uow: UnitOfWork, exchange: ExchangeItem, status: str = food_posts.EXPIRED,
                 on_fail: Conflict | None = None) -> None:
    """The post of a claim closed and not re-listed: expired once its window is over, or (a cancel within it after
    its sharer's departure) as the departure took their posts off. A claimed post is on no board."""
    uow.update(FoodItem(*FoodItem.key(exchange.food_id)), food_posts.unlist_actions(status), _claimed_by(exchange),
               on_fail=on_fail)


def _payload(exchange: ExchangeItem) -> dict:
    return {
        "exchangeId": exchange.exchange_id,
        "foodId": exchange.food_id,
        "groupId": exchange.group_id,
        "sharerId": exchange.sharer_id,
        "claimerId": exchange.claimer_id,
        "partnershipId": exchange.partnership_id,
    }
