"""Claims and the exchange lifecycle: claimed -> completed | cancelled | no_show.

A claim is one transaction: the post flips from available to claimed only if it is
still available, so of any number of racing claimers exactly one wins; the same
transaction holds the claimer's credit and counts a claim across a partnership. It also
checks that what the read allowed still holds (the membership giving access, a partnership's
link, no moderator's restriction): a ban, removal, leave or restriction landing while the claim
is in flight makes it read again and be refused as it would have been.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from foodshare import clock, geo, ids
from foodshare.data import reads
from foodshare.data.models import ExchangeItem, FoodItem, MembershipItem, PartnerClaimCounterItem, UserItem
from foodshare.data.transaction import UnitOfWork, with_retries
from foodshare.domain import credits, identities, privacy_settings, standing, users
from foodshare.domain import food as food_posts
from foodshare.errors import Conflict, Forbidden, NotFound

CLAIMED, COMPLETED, CANCELLED, NO_SHOW = "claimed", "completed", "cancelled", "no_show"


def get_for_participant(exchange_id: str, user_id: str) -> ExchangeItem:
    try:
        exchange = ExchangeItem.get(*ExchangeItem.key(exchange_id))
    except ExchangeItem.DoesNotExist:
        raise NotFound(f"Exchange {exchange_id} not found.")
    if user_id not in (exchange.sharer_id, exchange.claimer_id):
        raise NotFound(f"Exchange {exchange_id} not found.")
    return exchange


def claim(food_id: str, user_id: str) -> ExchangeItem:
    return with_retries(lambda: _claim(food_id, user_id))


def _claim(food_id: str, user_id: str) -> ExchangeItem:
    now = clock.now()
    read = _claim_reads(food_id, user_id, now)
    post, membership, claimer = read.post, read.membership, read.claimer
    access = food_posts.access(post, user_id, membership)
    if access is None:
        raise NotFound(f"Food {food_id} not found.")
    if post.sharer_id == user_id:
        raise Forbidden("You cannot claim your own post.", code="own_post")
    already_claimed = Conflict("This food has already been claimed.", code="already_claimed")
    not_available = Conflict("This food is no longer available.", code="not_available")
    if post.status == food_posts.CLAIMED:
        raise already_claimed
    if post.status != food_posts.AVAILABLE or post.pickup_end <= clock.iso(now):
        raise Conflict(f"This food is no longer available ({post.status}).", code="not_available")
    claimer = claimer or users.ensure(user_id)
    if claimer.restricted:
        raise Forbidden("You restricted processing of your data; lift it (PUT /me/privacy) to claim.",
                        code="processing_restricted")
    if read.sharer is not _UNREAD and privacy_settings.is_restricted(read.sharer):
        raise not_available
    exchange_id = ids.new_id()
    uow = UnitOfWork()
    food_posts.keep_access(uow, post, user_id, access)  # first: a claimer gone meanwhile is answered as read
    food_posts.unlist(uow, post, food_posts.CLAIMED, on_fail=already_claimed,
                      more=(FoodItem.exchange_id.set(exchange_id),))
    if read.sharer is _UNREAD:  # the transaction checks what was not read; after the post's condition, so a
        # post claimed meanwhile answers `already_claimed` as the read path's order does, whatever the sharer
        uow.check(UserItem, UserItem.key(post.sharer_id), privacy_settings.NOT_RESTRICTED, on_fail=not_available)
    if access.partner is not None:
        _check_partner_terms(post, claimer, access.partner)
        _count_partner_claim(uow, user_id, access.partner, now)
        identities.record_handle(uow, user_id, post.group_id)  # seen in the post's group from now on
    max_active = standing.check_may_claim(uow, claimer, post, now, standing.ClaimReads.of(read.rules))
    credits.hold(uow, claimer, exchange_id, max_held=max_active)
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


def _claimer_keys(user_id: str, group_id: str, now) -> list:
    """The claimer's membership of the post's group, their profile, then the standing rules' items."""
    return [(MembershipItem, MembershipItem.key(group_id, user_id)), (UserItem, UserItem.key(user_id)),
            *standing.claim_keys(user_id, group_id, now)]


def _check_partner_terms(post: FoodItem, claimer, partner) -> None:
    terms = partner.terms
    if float(claimer.score) < terms.min_reputation:
        raise Forbidden(
            f"The partnership requires a reputation of at least {terms.min_reputation:g}.", code="terms_not_met"
        )
    if claimer.lat is None or claimer.lng is None:
        raise Forbidden("Set your location (PUT /me) to claim from partner groups.", code="terms_not_met")
    distance = geo.distance_km(float(claimer.lat), float(claimer.lng), float(post.pickup_lat), float(post.pickup_lng))
    if distance > terms.max_distance_km:
        raise Forbidden(  # no exact distance: repeated tries from moved homes would triangulate the doorstep
            f"The pickup is farther from your home than the partnership's {terms.max_distance_km:g} km.",
            code="terms_not_met",
        )


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
               & (own_flag.does_not_exist() | (own_flag == False)))  # noqa: E712 (a condition, not a test)
    uow.record(
        "PickupConfirmed",
        user_id,
        {"exchangeId": exchange_id, "foodId": exchange.food_id, "confirmedBy": "sharer" if is_sharer else "claimer"},
    )
    if other_confirmed:
        uow.update(
            FoodItem(*FoodItem.key(exchange.food_id)),
            [FoodItem.status.set(food_posts.COMPLETED), FoodItem.updated_at.set(now)],
            FoodItem.status == food_posts.CLAIMED,
        )
        if blind:
            credits.transfer(uow, exchange.claimer_id, exchange.sharer_id, exchange_id)
        else:
            claimer, sharer = _profiles(exchange.claimer_id, exchange.sharer_id)
            credits.transfer(uow, claimer, sharer, exchange_id)
        uow.record("ExchangeCompleted", user_id, _payload(exchange) | {"completedAt": now})
    uow.commit()
    # The answer is what was written (no re-read).
    setattr(exchange, own_flag.attr_name, True)
    exchange.updated_at = now
    if other_confirmed:
        exchange.status, exchange.completed_at, exchange.closed_at = COMPLETED, now, now
    return exchange


def _profiles(*user_ids: str) -> list[UserItem]:
    """The profiles of an exchange's participants, in one read."""
    found = reads.get_many([(UserItem, UserItem.key(u)) for u in user_ids])
    if any(user is None for user in found):
        raise NotFound("A participant's account no longer exists.")  # no id: the caller knows the other by handle
    return found


# Why an exchange was cancelled when neither participant chose to (`cancel`'s `cause`, ExchangeCancelled's `cause`).
REMOVED_FROM_GROUP = "removed_from_group"  # a moderator removed or banned one of them from the exchange's group


def cancel(exchange_id: str, user_id: str, cause: str | None = None) -> ExchangeItem:
    """Cancel as the participant `user_id`; with a `cause` neither participant chose it (the event has no actor and
    says why: no reputation impact, no fraud count for anyone, docs/trust-safety.md "Departures")."""
    return credits.reading_when_needed(lambda blind: _close(exchange_id, user_id, CANCELLED, blind, cause))


def no_show(exchange_id: str, user_id: str) -> ExchangeItem:
    return credits.reading_when_needed(lambda blind: _close(exchange_id, user_id, NO_SHOW, blind))


def _close(exchange_id: str, user_id: str, outcome: str, blind: bool, cause: str | None = None) -> ExchangeItem:
    """Cancel or record a no-show: release the claimer's credit and re-list or expire the post.

    The exchange carries what the post's update needs (its id, group and pickup end, copied at claim time), so
    the post is written without a read, under the condition that it is still claimed by this exchange. The
    credit goes back blind (no profile read); only at the cap is the claimer's profile read (`blind` False)."""
    exchange = get_for_participant(exchange_id, user_id)
    now = clock.now_iso()
    if outcome == NO_SHOW:
        if user_id != exchange.sharer_id:
            raise Forbidden("Only the sharer may report a no-show.")
        if now <= exchange.pickup_end:
            raise Conflict("A no-show can be reported once the pickup window has ended.", code="too_early")
    if exchange.status != CLAIMED:
        raise Conflict(f"The exchange is {exchange.status}.", code="invalid_state")
    claimer: UserItem | str | None = exchange.claimer_id if blind else users.find(exchange.claimer_id)
    if claimer is None:
        raise NotFound("The claimer's account no longer exists.")  # no id: the sharer knows them by handle
    uow = UnitOfWork()
    uow.update(
        exchange,
        [ExchangeItem.status.set(outcome), ExchangeItem.closed_at.set(now), ExchangeItem.updated_at.set(now)],
        ExchangeItem.status == CLAIMED,
        on_fail=Conflict("The exchange changed meanwhile.", code="invalid_state"),
    )
    relist = outcome == CANCELLED and now < exchange.pickup_end
    still_claimed = (FoodItem.status == food_posts.CLAIMED) & (FoodItem.exchange_id == exchange_id)
    if relist:
        food_posts.relist(uow, exchange.group_id, exchange.food_id, exchange.pickup_end, still_claimed)
    else:  # a claimed post is on no board
        uow.update(FoodItem(*FoodItem.key(exchange.food_id)), food_posts.unlist_actions(food_posts.EXPIRED),
                   still_claimed)
    reason = "claim_cancelled" if outcome == CANCELLED else "no_show"
    credits.release(uow, claimer, exchange_id, reason)
    event_type = "ExchangeCancelled" if outcome == CANCELLED else "ExchangeNoShow"
    actor = None if cause else user_id
    uow.record(event_type, actor, _payload(exchange) | {"closedBy": user_id, "foodRelisted": relist}
               | ({"cause": cause} if cause else {}))
    if not relist:
        uow.record("FoodExpired", actor,
                   {"foodId": exchange.food_id, "groupId": exchange.group_id, "sharerId": exchange.sharer_id})
    uow.commit()
    exchange.status, exchange.closed_at, exchange.updated_at = outcome, now, now  # what was written (no re-read)
    return exchange


def _payload(exchange: ExchangeItem) -> dict:
    return {
        "exchangeId": exchange.exchange_id,
        "foodId": exchange.food_id,
        "groupId": exchange.group_id,
        "sharerId": exchange.sharer_id,
        "claimerId": exchange.claimer_id,
        "partnershipId": exchange.partnership_id,
    }
