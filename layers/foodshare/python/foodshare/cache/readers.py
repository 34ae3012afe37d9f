"""Discovery served through the cache: the finished page, and the four readers it is built from.

`discovery_page(user_id, filters, render)` is what GET /food serves: the rendered page
kept in L1 with the versions of everything its readers read and the earliest end of
a pickup window among its candidates, so a warm request costs one script call (the
versions read) and a dict lookup. On a miss the page is built by domain.discovery.discover
with `discovery_readers(user_id)`, all sharing one request Snapshot: before anything is
read, the version keys of everything this container already holds for the user (their
visible groups, those groups' posts, the sharers, the names) are fetched in one script call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from foodshare import clock
from foodshare.cache import versions
from foodshare.cache.layered import Layered
from foodshare.cache.strategies import DISCOVERY_PAGE, FOOD_DISCOVERY, GROUP_NAMES, USER_PROFILE, VISIBLE_GROUPS
from foodshare.cache.versions import Snapshot
from foodshare.data.models import FoodItem
from foodshare.domain import discovery, groups, partnerships

T = TypeVar("T")


def _encode_viewer(v: discovery.Viewer) -> dict:
    return {
        "userId": v.user_id,
        "score": v.score,
        "location": list(v.location) if v.location else None,
        "home": list(v.home) if v.home else None,
        "ownGroups": sorted(v.own_groups),
        "partners": {
            g: [t.max_distance_km, t.min_reputation, t.max_claims_per_member_per_week] for g, t in v.partners.items()
        },
        "bannedFrom": sorted(v.banned_from),
    }


def _decode_viewer(data: dict) -> discovery.Viewer:
    return discovery.Viewer(
        user_id=data["userId"],
        score=data["score"],
        location=tuple(data["location"]) if data["location"] else None,
        own_groups=frozenset(data["ownGroups"]),
        partners={g: partnerships.Terms(*terms) for g, terms in data["partners"].items()},
        home=tuple(data["home"]) if data["home"] else None,
        banned_from=frozenset(data.get("bannedFrom", ())),  # absent from entries stored before API 5.3.1
    )


VIEWERS: Layered[discovery.Viewer] = Layered(VISIBLE_GROUPS, _encode_viewer, _decode_viewer)
POSTS: Layered[list[FoodItem]] = Layered(
    FOOD_DISCOVERY,
    lambda posts: [p.serialize() for p in posts],
    lambda data: [FoodItem.from_raw_data(d) for d in data],
)
SHARERS: Layered[discovery.Sharer] = Layered(
    USER_PROFILE,
    lambda s: [s.user_id, s.pseudonym, s.score, s.trust_level, s.precision, s.restricted],
    lambda data: discovery.Sharer(*data),
)
GROUP_NAMES_CACHE: Layered[str] = Layered(GROUP_NAMES, lambda name: name, lambda name: name)


def _known_keys(user_id: str) -> list[str]:
    """Version keys of what L1 already holds for this user's discovery (to read them in one go)."""
    keys = list(VIEWERS.peek_deps(user_id))
    viewer = VIEWERS.peek(user_id)
    if viewer is None:
        return keys
    for group_id in (*viewer.own_groups, *viewer.partners):
        keys += POSTS.peek_deps(group_id)
        keys += GROUP_NAMES_CACHE.peek_deps(group_id)
        for post in POSTS.peek(group_id) or ():
            keys += SHARERS.peek_deps(post.sharer_id)
    return keys


@dataclass
class Reads:
    """What one discovery build read: the version keys, and when its first candidate drops out."""

    keys: list[str] = field(default_factory=list)
    first_end: str | None = None  # the smallest "<pickupEnd>#<foodId>" among the candidate posts

    def candidates(self, ends: list[str]) -> None:
        if ends and (self.first_end is None or min(ends) < self.first_end):
            self.first_end = min(ends)


def _end(post: FoodItem) -> str:
    """Compared with "now" as the AvailableFoodIndex query does (`avail_sk > now`)."""
    return f"{post.pickup_end}#{post.food_id}"


def _viewer_keys(viewer: discovery.Viewer) -> list[str]:
    return [versions.partners(g) for g in viewer.own_groups]


def discovery_readers(user_id: str, snapshot: Snapshot | None = None, reads: Reads | None = None) -> dict:
    snap = snapshot or Snapshot()
    snap.fetch(_known_keys(user_id))
    seen = reads or Reads()

    def look(viewer_id: str, lat: float | None, lng: float | None) -> discovery.Viewer:
        keys = [versions.user(viewer_id), versions.memberships(viewer_id)]
        base = VIEWERS.get(snap, viewer_id, keys, load=lambda: discovery.viewer(viewer_id, None, None),
                           extra_deps=_viewer_keys)
        seen.keys += keys + _viewer_keys(base)
        return replace(base, location=(lat, lng)) if lat is not None and lng is not None else base

    def posts_of_groups(group_ids: list[str], now_iso: str) -> dict[str, list[FoodItem]]:
        """Every group's list in one versions read, one pipelined L2 read and one pipelined store."""
        lists = POSTS.get_many(snap, group_ids, versions.food,
                               lambda missing: discovery.available_posts_of(sorted(missing), now_iso))
        seen.keys += [versions.food(g) for g in group_ids]
        out = {}
        for group_id, posts in lists.items():
            # The list was read at an earlier "now": drop what has ended since (the index query's `> now` rule).
            ends = [(_end(p), p) for p in posts]
            seen.candidates([end for end, _ in ends if end > now_iso])
            out[group_id] = [p for end, p in ends if end > now_iso]
        return out

    def profiles(user_ids: set[str]) -> dict[str, discovery.Sharer]:
        seen.keys += [versions.user(u) for u in user_ids]
        return SHARERS.get_many(snap, user_ids, versions.user, discovery.sharers)

    def group_names(group_ids: set[str]) -> dict[str, str]:
        seen.keys += [versions.group(g) for g in group_ids]
        return GROUP_NAMES_CACHE.get_many(snap, group_ids, versions.group, groups.names)

    return {"look": look, "posts_of_groups": posts_of_groups, "profiles": profiles, "group_names": group_names}


def _page_still_open(page: tuple[str | None, Any]) -> bool:
    """A page holds until its first candidate's pickup window ends (that post drops out then)."""
    first_end = page[0]
    return first_end is None or clock.now_iso() < first_end


PAGES: Layered[tuple[str | None, Any]] = Layered(DISCOVERY_PAGE, still_valid=_page_still_open)


def discovery_page(
    user_id: str, filters: discovery.Filters, render: Callable[[list[discovery.Result], str | None], T]
) -> T:
    """`render(page, next_cursor)` of the caller's page for `filters`, kept in L1 while what it was built from holds.

    The key is everything the page depends on besides versions and time: the caller and every
    filter (the caller's own groups, location and score are behind the caller's versions).
    """
    snap = Snapshot()
    ident = f"{user_id}|{filters!r}"
    snap.fetch(PAGES.peek_deps(ident) or _known_keys(user_id))  # one script call, hit or miss
    reads = Reads()

    def build() -> tuple[str | None, T]:
        page, next_cursor = discovery.discover(user_id, filters, **discovery_readers(user_id, snap, reads))
        return reads.first_end, render(page, next_cursor)

    return PAGES.get(snap, ident, [], build, extra_deps=lambda _: reads.keys)[1]
