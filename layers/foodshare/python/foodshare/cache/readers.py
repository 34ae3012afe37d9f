"""Discovery's four readers served through the cache, all sharing one request Snapshot.

`discovery_readers(user_id)` returns keyword arguments for domain.discovery.discover.
Before anything is read, the version keys of everything this container already
holds for the user (their visible groups, those groups' posts, the sharers, the
names) are fetched in one script call, so a warm request costs one Redis round trip.
"""

from __future__ import annotations

from dataclasses import replace

from foodshare.cache import versions
from foodshare.cache.layered import Layered
from foodshare.cache.strategies import FOOD_DISCOVERY, GROUP_NAMES, USER_PROFILE, VISIBLE_GROUPS
from foodshare.cache.versions import Snapshot
from foodshare.data.models import FoodItem
from foodshare.domain import discovery, groups, partnerships


def _encode_viewer(v: discovery.Viewer) -> dict:
    return {
        "userId": v.user_id,
        "score": v.score,
        "location": list(v.location) if v.location else None,
        "ownGroups": sorted(v.own_groups),
        "partners": {
            g: [t.max_distance_km, t.min_reputation, t.max_claims_per_member_per_week] for g, t in v.partners.items()
        },
    }


def _decode_viewer(data: dict) -> discovery.Viewer:
    return discovery.Viewer(
        user_id=data["userId"],
        score=data["score"],
        location=tuple(data["location"]) if data["location"] else None,
        own_groups=frozenset(data["ownGroups"]),
        partners={g: partnerships.Terms(*terms) for g, terms in data["partners"].items()},
    )


VIEWERS: Layered[discovery.Viewer] = Layered(VISIBLE_GROUPS, _encode_viewer, _decode_viewer)
POSTS: Layered[list[FoodItem]] = Layered(
    FOOD_DISCOVERY,
    lambda posts: [p.serialize() for p in posts],
    lambda data: [FoodItem.from_raw_data(d) for d in data],
)
SHARERS: Layered[discovery.Sharer] = Layered(
    USER_PROFILE,
    lambda s: [s.user_id, s.pseudonym, s.score, s.trust_level],
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


def discovery_readers(user_id: str, snapshot: Snapshot | None = None) -> dict:
    snap = snapshot or Snapshot()
    snap.fetch(_known_keys(user_id))

    def look(viewer_id: str, lat: float | None, lng: float | None) -> discovery.Viewer:
        base = VIEWERS.get(
            snap,
            viewer_id,
            [versions.user(viewer_id), versions.memberships(viewer_id)],
            load=lambda: discovery.viewer(viewer_id, None, None),
            extra_deps=lambda v: [versions.partners(g) for g in v.own_groups],
        )
        return replace(base, location=(lat, lng)) if lat is not None and lng is not None else base

    def posts_of_group(group_id: str, now_iso: str) -> list[FoodItem]:
        posts = POSTS.get(
            snap, group_id, [versions.food(group_id)], load=lambda: discovery.available_posts(group_id, now_iso)
        )
        # The list was read at an earlier "now": drop what has ended since (the index query's `> now` rule).
        return [p for p in posts if f"{p.pickup_end}#{p.food_id}" > now_iso]

    def profiles(user_ids: set[str]) -> dict[str, discovery.Sharer]:
        return SHARERS.get_many(snap, user_ids, versions.user, discovery.sharers)

    def group_names(group_ids: set[str]) -> dict[str, str]:
        return GROUP_NAMES_CACHE.get_many(snap, group_ids, versions.group, groups.names)

    return {"look": look, "posts_of_group": posts_of_group, "profiles": profiles, "group_names": group_names}
