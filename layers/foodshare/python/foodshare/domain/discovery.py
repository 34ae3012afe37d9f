"""Discovery: available posts from the caller's groups and from partner groups whose terms hold.

Candidates come from each visible group's board of open posts (`OpenPostsItem`: one batch for
all groups, then one batch of the posts they list), asked for all visible groups at once so the
cache can serve them in one round trip; sharers' profiles are fetched in one batch. Ordering is by the sharer's trust
level when they shared the post (kept on the post), then pickup start, then id, and the opaque cursor is the sort key
of the last item served: every part of the key is fixed for the post's life, so a level that changes between two
pages of a listing moves nothing across the cursor (no post skipped or served twice).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from foodshare import clock, geo, identity_key, visible_text
from foodshare.data import reads
from foodshare.data.models import FoodItem, OpenPostsItem, UserItem
from foodshare.domain import groups, identities, partnerships, privacy, visibility
from foodshare import cursors
from foodshare.reputation_rules import TRUST_RANK, trust_level


# The widest radius a search takes (GET /food `radiusKm`, the bots' `/browse … 5km`), as a partnership's maxDistanceKm
MAX_RADIUS_KM = 200


@dataclass(frozen=True)
class Filters:
    lat: float | None = None
    lng: float | None = None
    radius_km: float | None = None
    min_reputation: float | None = None
    start: datetime | None = None  # pickup window overlaps [start, end]
    end: datetime | None = None
    tags: tuple[str, ...] = ()
    exclude_allergens: tuple[str, ...] = ()
    limit: int = 20
    cursor: str | None = None


@dataclass(frozen=True)
class Sharer:
    user_id: str
    pseudonym: str
    score: float
    trust_level: str
    precision: str = privacy.AREA  # how the sharer lets others see their pickup places (PUT /me/privacy)
    restricted: bool = False  # processing restricted: their posts leave discovery (`visibility.sees`)

    @classmethod
    def of(cls, user: UserItem) -> Sharer:
        return cls(user.user_id, user.pseudonym, float(user.score), user.trust_level,
                   user.location_precision or privacy.AREA, bool(user.restricted))


@dataclass(frozen=True)
class Result:
    """One discovered post as the caller may see it.

    `sharer.pseudonym` is the sharer's pseudonym in the post's group; `shown` is the pickup
    location at the precision the caller may see and `distance_km` is measured to it, as the
    radius filter is (the partnership filter uses the post's area, as a claim does).
    """

    post: FoodItem
    sharer: Sharer
    group_name: str
    from_partner_group: bool
    distance_km: float | None
    sort_key: tuple = field(compare=False)
    shown: privacy.Shown | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Viewer:
    """Who is looking: their groups, reachable partner groups, locations and score.

    `location` is where the search is centred (the query's lat/lng, else home): it gives
    `distanceKm` and the radius. Partnership distance terms are judged from `home`, the
    profile's location, exactly as a claim judges them, so discovery never offers a
    partner post the caller could not claim.
    """

    user_id: str
    score: float
    location: tuple[float, float] | None
    own_groups: frozenset[str]
    partners: dict[str, partnerships.Terms]  # partner group id -> the most lenient terms
    home: tuple[float, float] | None = None
    banned_from: frozenset[str] = frozenset()  # the groups that banned them: none of their posts (`visibility.sees`)


def viewer(user_id: str, lat: float | None, lng: float | None) -> Viewer:
    """Two reads whatever the number of groups: the memberships (one index query), then the
    profile (its score, home and the groups that banned them) and every own group's partner set (one BatchGetItem
    per 100 keys)."""
    own_ids = sorted(groups.group_ids_of(user_id))
    profile, *partner_sets = reads.get_many([(UserItem, UserItem.key(user_id)), *partnerships.set_keys(own_ids)])
    score, home = visibility.looker(profile)
    own = frozenset(own_ids)
    partners: dict[str, partnerships.Terms] = {}
    for group_id, partner_set in zip(own_ids, partner_sets):
        for partner in partnerships.partners_in(group_id, partner_set):
            if partner.group_id in own:
                continue
            if visibility.wider(partner.terms, partners.get(partner.group_id)):
                partners[partner.group_id] = partner.terms
    location = (lat, lng) if lat is not None and lng is not None else home
    return Viewer(user_id, score, location, own, partners, home=home,
                  banned_from=frozenset(g for g in partners if visibility.banned(profile, g)))


def visible_group_ids(user_id: str) -> set[str]:
    """The caller's own groups and their active partner groups: every group whose members the caller can be shown."""
    looker = viewer(user_id, None, None)
    return set(looker.own_groups) | set(looker.partners)


def available_posts(group_id: str, now_iso: str) -> list[FoodItem]:
    """A group's available posts whose pickup window has not ended (the hot, cacheable read)."""
    return list(FoodItem.available_food.query(f"AVAIL#{group_id}", FoodItem.avail_sk > now_iso))


def available_posts_of(group_ids: list[str], now_iso: str) -> dict[str, list[FoodItem]]:
    """Each group's available posts, in calls that do not grow with the groups: their boards in one batch, then the
    posts the boards list in another (100 keys a call). The post decides: a board entry a race of the one-off left
    behind names a post no longer available in the group, which is dropped. A group without a complete board
    (created before boards, `ops/boards.py` not run yet) is read by its index query. Eventually consistent, as the
    index query was: the cache stores nothing built on versions younger than its settle time (cache/versions.py),
    and strongly consistent reads would cost twice the read units (1 instead of 0.5 per post of up to 4 KB)."""
    boards = reads.get_many([(OpenPostsItem, OpenPostsItem.key(g)) for g in group_ids])
    listed = {group_id: [food_id for food_id, end in board.listed.items() if f"{end}#{food_id}" > now_iso]
              for group_id, board in zip(group_ids, boards) if board is not None and board.complete}
    wanted = [(FoodItem, FoodItem.key(food_id)) for food_ids in listed.values() for food_id in food_ids]
    posts = {post.food_id: post for post in reads.get_many(wanted) if post is not None}
    found = {}
    for group_id in group_ids:
        if group_id not in listed:
            found[group_id] = available_posts(group_id, now_iso)
            continue
        still = (posts.get(food_id) for food_id in listed[group_id])
        found[group_id] = sorted((p for p in still if p is not None and p.avail_pk == f"AVAIL#{group_id}"
                                  and p.avail_sk > now_iso), key=lambda p: p.avail_sk)  # the index's order
    return found


def sharers(user_ids: set[str]) -> dict[str, Sharer]:
    keys = [UserItem.key(u) for u in user_ids]
    return {u.user_id: Sharer.of(u) for u in UserItem.batch_get(keys)} if keys else {}


def decode_cursor(cursor: str) -> tuple:
    """The sort key a page ended on (`Result.sort_key`); 400 naming `cursor` for anything of another shape."""
    return tuple(cursors.decode(cursor, _a_sort_key))


def _a_sort_key(value: object) -> bool:
    """[-trust rank, pickup start, food id]: checked, not coerced, so no other value passes for one."""
    return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], int)
            and not isinstance(value[0], bool) and all(isinstance(part, str) and part for part in value[1:]))


def order_key(post: FoodItem, sharer: Sharer) -> tuple[int, str, str]:
    """Most trusted sharers first (by their level when they shared: fixed, so the order cannot change between a
    listing's pages), then the earliest pickup, then the id. A post shared before the level was kept on posts (or
    under a level name no longer in use) takes the sharer's current level."""
    rank = TRUST_RANK.get(post.sharer_trust_level or "")
    return -(TRUST_RANK[trust_level(sharer.score)] if rank is None else rank), post.pickup_start, post.food_id


def _matches(post: FoodItem, sharer: Sharer, filters: Filters) -> bool:
    # minReputation as the trust level it falls in: compared with the exact score, the lowest minimum that hides a
    # post would give away the sharer's score, hidden from others and equal in every group (docs/privacy.md)
    if filters.min_reputation is not None and \
            TRUST_RANK[trust_level(sharer.score)] < TRUST_RANK[trust_level(filters.min_reputation)]:
        return False
    if filters.start is not None and post.pickup_end < clock.iso(filters.start):
        return False
    if filters.end is not None and post.pickup_start > clock.iso(filters.end):
        return False
    if filters.tags and not _keys(filters.tags) <= _keys(post.dietary_tags):
        return False
    if filters.exclude_allergens and _keys(filters.exclude_allergens) & _keys(post.allergens):
        return False
    return True


def _keys(labels) -> set[str]:
    """Labels as they are compared (`visible_text.label_key`): a filter written otherwise still matches."""
    return {visible_text.label_key(label) for label in labels or ()}


def discover(
    user_id: str,
    filters: Filters,
    posts_of_groups=available_posts_of,
    profiles=sharers,
    group_names=groups.names,
    look=viewer,
) -> tuple[list[Result], str | None]:
    """One page of results and the cursor of the next page (None on the last page).

    The four readers are parameters so the cache layer can supply cached versions.
    """
    after = decode_cursor(filters.cursor) if filters.cursor else None
    looker = look(user_id, filters.lat, filters.lng)
    now = clock.now_iso()
    reachable = [g for g, terms in looker.partners.items() if visibility.may_look(terms, looker.score, looker.home)]
    own = sorted(looker.own_groups)
    posts = posts_of_groups(own + sorted(reachable), now)  # every visible group's posts at once
    candidates: list[tuple[FoodItem, bool]] = []
    for group_id in own:
        candidates += [(post, False) for post in posts.get(group_id, ())]
    for group_id in reachable:
        candidates += [(post, True) for post in posts.get(group_id, ())]
    profiles_by_id = profiles({post.sharer_id for post, _ in candidates})
    results: list[Result] = []
    for post, from_partner in candidates:
        sharer = profiles_by_id.get(post.sharer_id)
        if sharer is None or not _matches(post, sharer, filters):
            continue
        if not visibility.sees(user_id, post.sharer_id, post.status, sharer_restricted=sharer.restricted,
                               reach=visibility.PARTNER if from_partner else visibility.MEMBER,
                               banned=post.group_id in looker.banned_from,
                               terms=not from_partner or visibility.terms_hold(
                                   looker.partners[post.group_id], looker.score, looker.home, identity_key.key(),
                                   post.food_id, float(post.pickup_lat), float(post.pickup_lng))):
            continue  # an available post: nobody holds an exchange on it
        shown = _shown(post, user_id, sharer)
        distance = geo.distance_km(*looker.location, shown.lat, shown.lng) if looker.location is not None else None
        if filters.radius_km is not None and (distance is None or distance > filters.radius_km):
            continue
        sort_key = order_key(post, sharer)
        if after is not None and sort_key <= after:
            continue
        results.append(Result(post, sharer, "", from_partner, distance, sort_key, shown))
    results.sort(key=lambda r: r.sort_key)
    page = results[: filters.limit]
    names = group_names({r.post.group_id for r in page})
    page = [_as_seen(r, names.get(r.post.group_id, ""), looker) for r in page]
    next_cursor = cursors.encode(list(page[-1].sort_key)) if len(results) > filters.limit else None
    return page, next_cursor


def _shown(post: FoodItem, viewer_id: str, sharer: Sharer) -> privacy.Shown:
    """The location the caller may see. Discovery lists available posts only, so nobody holds an active
    exchange on them: the sharer sees the exact place, everyone else its area (unless the sharer chose exact).
    `distanceKm` and the radius filter are measured to this point: measured to the exact one, the radius at
    which a post appears, asked from three centres, would trilaterate the doorstep the area hides."""
    exact = privacy.sees_exact(viewer_id, post.sharer_id, None, sharer.precision)
    return privacy.pickup(identity_key.key(), post.food_id, float(post.pickup_lat), float(post.pickup_lng),
                          post.pickup_label, exact)


def _as_seen(result: Result, group_name: str, looker: Viewer) -> Result:
    """The result with the sharer's pseudonym in the post's group (the location as `_shown` worked it out)."""
    post = result.post
    sharer = replace(result.sharer, pseudonym=identities.of(post.sharer_id, post.group_id, post.sharer_pseudonym).pseudonym)
    return replace(result, sharer=sharer, group_name=group_name)
