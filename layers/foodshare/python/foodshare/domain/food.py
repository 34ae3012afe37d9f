"""Food posts: sharing, who may see a post, and withdrawing it while still available."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from foodshare import clock, identity_key, ids
from foodshare.data import reads
from foodshare.data.models import AppliedRequestItem, ExchangeItem, FoodItem, MembershipItem, OpenPostsItem, UserItem
from foodshare.data.transaction import UnitOfWork
from foodshare.domain import food_rules, groups, identities, partnerships, privacy, standing, users, visibility
from foodshare.errors import (
    AlreadyApplied,
    ConcurrentUpdate,
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
)

AVAILABLE, CLAIMED, COMPLETED, WITHDRAWN, EXPIRED = "available", "claimed", "completed", "withdrawn", "expired"
REQUEST_RETENTION = timedelta(days=2)  # longer than any platform redelivers (Telegram: 24 h)


@dataclass(frozen=True)
class NewPost:
    group_id: str
    title: str
    description: str | None
    quantity: int
    dietary_tags: list[str]
    allergens: list[str]
    lat: float
    lng: float
    label: str | None
    pickup_start: datetime
    pickup_end: datetime


@dataclass(frozen=True)
class Access:
    """How a user reaches a post: through its own group, or through an active partnership."""

    partner: partnerships.Partner | None

    @property
    def via_partnership(self) -> bool:
        return self.partner is not None


def find(food_id: str) -> FoodItem | None:
    try:
        return FoodItem.get(*FoodItem.key(food_id))
    except FoodItem.DoesNotExist:
        return None


_UNREAD = object()


def access(food: FoodItem, user_id: str, membership: MembershipItem | None | object = _UNREAD) -> Access | None:
    """None when the user may not see the post (not a member of its group or of a partner).
    `membership`: the user's membership of the post's group when the caller read it already (in a batch)."""
    if membership is _UNREAD and food.sharer_id != user_id:
        membership = groups.membership(food.group_id, user_id)
    if food.sharer_id == user_id or membership is not None:
        return Access(partner=None)
    partner = partnerships.partner_link(groups.group_ids_of(user_id), food.group_id)
    return Access(partner=partner) if partner is not None else None


def keep_access(uow: UnitOfWork, food: FoodItem, user_id: str, seen: Access) -> None:
    """Check in `uow` that what `access` granted `seen` from still holds as it commits: the membership giving it
    (of the post's group, or of the user's group in the partnership) and a partnership's link. A ban, removal,
    leave or ended partnership landing between the read and the commit fails it with `ConcurrentUpdate`: the
    caller reads again and `access` decides (404 when it is gone)."""
    if food.sharer_id == user_id:
        return
    changed = ConcurrentUpdate("the access to the post changed meanwhile")
    partner = seen.partner
    groups.keep_member(uow, partner.seen_from if partner else food.group_id, user_id, on_fail=changed)
    if partner is not None:
        partnerships.keep_link(uow, partner, on_fail=changed)


@dataclass(frozen=True)
class Reach:
    """How a viewer reaches a post's group (`access`), as `visibility.sees` takes it."""

    access: Access | None
    reach: str  # visibility.MEMBER, PARTNER or NONE (the sharer: MEMBER)
    terms: bool  # through a partnership: whether its terms hold for the viewer and the post
    banned: bool = False  # the post's group banned the viewer (`visibility.banned`, on their profile as read)


def reach_of(post: FoodItem, user_id: str, membership: MembershipItem | None, profile: UserItem | None) -> Reach:
    """How `user_id` reaches `post` (`access`, reading their groups' links when they are not in its group), its
    partnership's terms judged on their `profile` as read (`terms_hold`)."""
    seen = access(post, user_id, membership)
    banned = visibility.banned(profile, post.group_id)
    if seen is None:
        return Reach(None, visibility.NONE, True, banned)
    if seen.partner is None:
        return Reach(seen, visibility.MEMBER, True, banned)
    return Reach(seen, visibility.PARTNER, terms_hold(post, seen.partner, profile), banned)


def terms_hold(post: FoodItem, partner: partnerships.Partner, profile: UserItem | None) -> bool:
    """Whether the `partner`ship's terms let the owner of `profile` (None: never written) see and claim `post`."""
    return visibility.terms_hold(partner.terms, *visibility.looker(profile), identity_key.key(), post.food_id,
                                 float(post.pickup_lat), float(post.pickup_lng))


@dataclass(frozen=True)
class Detail:
    """A post as one viewer may see it (`get_detail`)."""

    post: FoodItem
    from_partner_group: bool  # they reach it through a partnership (or claimed it through one)
    exact: bool  # they see its exact place (`sees_exact`)


def get_detail(food_id: str, user_id: str) -> Detail:
    """A post `user_id` may see (`visibility.sees`, the rule discovery follows) and how they see it; 404 as for a
    missing post otherwise. The post, then one batch of what the rules read (membership, the sharer's profile, the
    exchange the post names). A caller not in the post's group: their groups (one query), then their groups' links
    to it with their own profile, which the partnership's terms judge and which says whether the post's group banned
    them (one batch), as `access` read the links; in no group, their profile when their exchange alone may show it
    (a member was not banned: a ban removes them, and no one banned joins again)."""
    post = find(food_id)
    if post is None:
        raise NotFound(f"Food {food_id} not found.")
    return detail(post, user_id)


def detail(post: FoodItem, user_id: str) -> Detail:
    """`get_detail` of a post read already."""
    food_id = post.food_id
    if post.sharer_id == user_id:
        return Detail(post, False, True)
    keys = [(MembershipItem, MembershipItem.key(post.group_id, user_id)), (UserItem, UserItem.key(post.sharer_id))]
    if post.exchange_id:
        keys.append((ExchangeItem, ExchangeItem.key(post.exchange_id)))
    membership, sharer, *named = reads.get_many(keys)
    exchange = named[0] if named else None
    part = visibility.part_in(exchange.status, exchange.claimer_id, user_id) if exchange is not None else None
    partner, terms, profile = None, True, None
    group_ids = groups.group_ids_of(user_id) if membership is None else []
    if group_ids:
        *links, profile = reads.get_many([*partnerships.link_keys(group_ids, post.group_id),
                                          (UserItem, UserItem.key(user_id))])
        partner = partnerships.link_of(group_ids, links)
        if partner is not None:
            terms = terms_hold(post, partner, profile)
    elif membership is None and part is not None:  # in no group: no partnership leads them anywhere
        profile = users.find(user_id)
    reach = visibility.MEMBER if membership is not None else visibility.PARTNER if partner else visibility.NONE
    if not visibility.sees(user_id, post.sharer_id, post.status, reach=reach, exchange=part, terms=terms,
                           sharer_restricted=bool(sharer is not None and sharer.restricted),
                           banned=visibility.banned(profile, post.group_id)):
        raise NotFound(f"Food {food_id} not found.")
    if reach == visibility.NONE:  # seen through their exchange alone: as they claimed it
        via_partnership = exchange is not None and exchange.partnership_id is not None
    else:
        via_partnership = reach == visibility.PARTNER
    return Detail(post, via_partnership, sees_exact(post, user_id, sharer, exchange))


def sees_exact(post: FoodItem, viewer_id: str, sharer: UserItem | None, exchange: ExchangeItem | None) -> bool:
    """Whether `viewer_id` sees the post's exact pickup place: its sharer, the claimer of its
    active exchange, or anyone if the sharer chose exact precision (privacy rules in `privacy.py`).
    `exchange`: the post's exchange the viewer may be the claimer of; `sharer`: the sharer's profile (its
    precision; None reads as `area`, so it may be left unread when the viewer is the sharer)."""
    claimer = exchange.claimer_id if exchange is not None and exchange.status == "claimed" else None
    precision = (sharer.location_precision if sharer is not None else None) or privacy.AREA
    return privacy.sees_exact(viewer_id, post.sharer_id, claimer, precision)


PAGE, PAGE_MAX = 20, 100


def shared_by(user_id: str, limit: int, after: str | None, status: str | None = None
              ) -> tuple[list[FoodItem], str | None]:
    """The person's own posts, newest first, `limit` at a time after the page that ended at `after` (its cursor),
    in `status` when given (as answered: `food_rules.shown_status`); and the next page's `after` (None on the last).
    One index query (the sharer's `by_user` entries, filtered by stored status there, `expired` taking in the
    `available` ones the expiry job has not reached: a filtered page may hold fewer, even none), then the posts by
    key in one batch (the index may lag a write by a moment; the posts as they are now, `status` checked again)."""
    stored = (EXPIRED, AVAILABLE) if status == EXPIRED else status
    entries, more = reads.by_user_page(user_id, "FOOD#", limit, after, attributes=("food_id",),
                                       equals={"status": stored} if status else None)
    posts = reads.get_many([(FoodItem, FoodItem.key(entry["food_id"]["S"])) for entry in entries])
    now = clock.now_iso()
    return [p for p in posts if p is not None and p.sharer_id == user_id
            and status in (None, food_rules.shown_status(p.status, p.pickup_end, now))], more


def share(user_id: str, post: NewPost, *, request_key: str | None = None) -> FoodItem:
    """Publish a post. With `request_key` (a platform's id for a request it may redeliver) the
    key is recorded in the same transaction, so a redelivery gets the first post back instead
    of a second one, even when the first run died right after committing."""
    now = clock.now()
    # Everything the rules read, in one round trip: profile, membership, the standing rules' items.
    profile, member, *rule_items = reads.get_many([(UserItem, UserItem.key(user_id)),
                                                   (MembershipItem, MembershipItem.key(post.group_id, user_id)),
                                                   *standing.post_keys(user_id, post.group_id, now)])
    if profile is None:  # first contact: registered as on any other route
        profile = users.ensure(user_id)
    if member is None:
        raise NotFound(f"Group {post.group_id} not found.", fields={"groupId": "not a group you are a member of"})
    standing.check_may_post(user_id, now, standing.PostReads.of(rule_items))
    pickup_start, pickup_end = food_rules.check_window(post.pickup_start, post.pickup_end, now)
    food_id = ids.food_id(post.group_id)
    food = FoodItem(
        *FoodItem.key(food_id),
        food_id=food_id,
        group_id=post.group_id,
        sharer_id=user_id,
        title=post.title,
        description=post.description,
        quantity=post.quantity,
        dietary_tags=sorted(set(post.dietary_tags)),
        allergens=sorted(set(post.allergens)),
        pickup_lat=post.lat,
        pickup_lng=post.lng,
        pickup_label=post.label,
        sharer_pseudonym=identities.of(user_id, post.group_id, member.pseudonym).pseudonym,
        sharer_trust_level=profile.trust_level,
        pickup_start=clock.iso(pickup_start),
        pickup_end=clock.iso(pickup_end),
        status=AVAILABLE,
        created_at=clock.iso(now),
        updated_at=clock.iso(now),
        by_user_pk=f"USER#{user_id}",
        by_user_sk=FoodItem.sharer_entry(clock.iso(now), food_id),
    )
    food.index_as_available()
    uow = UnitOfWork()
    uow.save(food, FoodItem.pk.does_not_exist())
    # Shared only while the account is not being erased as it commits (403 `account_erased`): a post landing after
    # the erasure's wind-down looked for the person's posts would never be withdrawn, and one after the sweep would
    # name them for good.
    users.keep_acting(uow, user_id)
    on_board(uow, food.group_id, food_id, food.pickup_end)
    uow.record(
        "FoodShared",
        user_id,
        {
            "foodId": food_id,
            "groupId": post.group_id,
            "sharerId": user_id,
            "title": post.title,
            "quantity": post.quantity,
            "dietaryTags": food.dietary_tags,
            "allergens": food.allergens,
            "pickupStart": food.pickup_start,
            "pickupEnd": food.pickup_end,
        },
    )
    if request_key is not None:
        uow.save(
            AppliedRequestItem(*AppliedRequestItem.key(request_key), result_id=food_id,
                               expires_at_epoch=now + REQUEST_RETENTION),
            AppliedRequestItem.pk.does_not_exist(),
            on_fail=AlreadyApplied(f"Request {request_key} was applied already."),
        )
    try:
        uow.commit()
    except AlreadyApplied:
        first = shared_for(request_key)
        if first is None or first.sharer_id != user_id:
            raise
        return first
    return food


def shared_for(request_key: str) -> FoodItem | None:
    """The post a request (by its `request_key`) shared, if it did."""
    try:
        applied = AppliedRequestItem.get(*AppliedRequestItem.key(request_key), consistent_read=True)
    except AppliedRequestItem.DoesNotExist:
        return None
    return find(applied.result_id)


def on_board(uow: UnitOfWork, group_id: str, food_id: str, pickup_end: str | None) -> None:
    """Put the post on its group's board (listed until `pickup_end`) or take it off (None), in the transaction that
    lists or unlists it, so the board is as fresh as the post (discovery reads it, `OpenPostsItem`)."""
    entry = OpenPostsItem.entry(food_id)
    action = entry.set(pickup_end) if pickup_end is not None else entry.remove()
    uow.update(OpenPostsItem(*OpenPostsItem.key(group_id)), [action])


def unlist_actions(status: str) -> list:
    """Update actions that move a post out of `available` and drop it from the indexes (`unlist` also takes an
    available post off its board; a claimed post is on none). A claimed post stays in `expiring_food`, its keys
    unchanged (an in-place index write, as dropping it was: the claim costs no more), so the job finds the
    exchanges nobody closed (`domain/settlement.py`); whatever closes the exchange takes it out (`out_of_expiry`)."""
    actions = [
        FoodItem.status.set(status),
        FoodItem.updated_at.set(clock.now_iso()),
        FoodItem.avail_pk.remove(),
        FoodItem.avail_sk.remove(),
    ]
    return actions if status == CLAIMED else actions + out_of_expiry()


def out_of_expiry() -> list:
    """Update actions that take a post out of the `expiring_food` index (a post neither available nor claimed)."""
    return [FoodItem.expiry_pk.remove(), FoodItem.expiry_sk.remove()]


def unlist(uow: UnitOfWork, post: FoodItem, status: str, *, on_fail: DomainError, more: tuple = ()) -> None:
    """Move an available post to `status` (with `more` actions), out of the indexes and off its group's board;
    `on_fail` if it no longer is available."""
    uow.update(post, unlist_actions(status) + list(more), FoodItem.status == AVAILABLE, on_fail=on_fail)
    on_board(uow, post.group_id, post.food_id, None)


def relist(uow: UnitOfWork, group_id: str, food_id: str, pickup_end: str, condition: Any) -> None:
    """Put a claimed post back to `available`, in the indexes and on its group's board (no read: the exchange
    knows the post's group, id and pickup end)."""
    index = FoodItem.available_index(group_id, food_id, pickup_end)
    actions = [
        FoodItem.status.set(AVAILABLE),
        FoodItem.updated_at.set(clock.now_iso()),
        FoodItem.exchange_id.remove(),
        *(getattr(FoodItem, name).set(value) for name, value in index.items()),
    ]
    uow.update(FoodItem(*FoodItem.key(food_id)), actions, condition)
    on_board(uow, group_id, food_id, pickup_end)


def take_down(post: FoodItem, status: str, event_type: str, actor_id: str | None) -> None:
    """Move a still-available post to `status` with its event; Conflict if it no longer is available."""
    uow = UnitOfWork()
    unlist(uow, post, status, on_fail=Conflict("The post was claimed or changed meanwhile.", code="invalid_state"))
    uow.record(event_type, actor_id, {"foodId": post.food_id, "groupId": post.group_id, "sharerId": post.sharer_id})
    uow.commit()
    post.status = status


def withdraw(food_id: str, user_id: str) -> FoodItem:
    """Only its sharer withdraws a post; anyone else is refused as `GET /food/{foodId}` answers them: 403 when
    they see it, else as for a missing post."""
    food = get_detail(food_id, user_id).post
    if food.sharer_id != user_id:
        raise Forbidden("Only the sharer may withdraw a post.")
    if food.status != AVAILABLE:
        raise Conflict(f"The post is {food.status} and can no longer be withdrawn.", code="invalid_state")
    take_down(food, WITHDRAWN, "FoodWithdrawn", user_id)
    return food
