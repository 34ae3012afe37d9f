"""Pure privacy rules: per-group handles and pseudonyms, approximate locations, who sees what.

No I/O: the server key is a parameter (`foodshare.identity_key` loads it), so every rule
here is tested without AWS.

- A **handle** stands for a person in one group context wherever an id is needed (to open
  someone's reputation). It is an HMAC of (group, user) under the server key: stable, so
  the same person in the same group always has the same handle; different in every group,
  and not computable or reversible without the key, so two groups' handles of one person
  cannot be matched. The server resolves a handle by key (`identities.resolve` reads the
  handle's index item, written where the person first appears in a group).
- A **pseudonym** is a food-themed name per (user, group), drawn from the same HMAC with
  an attempt number: the group's first free candidate is claimed at join (unique within
  the group by a conditional put); a membership from before pseudonyms were per group
  shows candidate 0.
- An **area** replaces exact coordinates for people who are neither the sharer nor the
  claimer of an active exchange: the exact point is snapped to a ~2 km grid cell, then
  moved by a per-post offset derived from the key and the post id. Each read of a post
  gives the same point (nothing to average over reads), two posts from the same doorstep
  show different points (no equal field links them across groups), and averaging many
  posts converges to the cell's centre only: the cell, never the doorstep.
- **Bands** replace a person's account-wide figures where members of a group see them (a
  moderator's evidence): an exact score or count is the same in every group the person is
  in and would link them; a band is shared by many people.
"""

from __future__ import annotations

import hashlib
import hmac
from base64 import b32encode
from dataclasses import dataclass
from math import cos, floor, radians

from foodshare.geo import distance_km
from foodshare.ids import ADJECTIVES, NOUNS

HANDLE_PREFIX = "h-"
HANDLE_CHARS = 20  # 100 bits of the HMAC
_HANDLE_BYTES = 15  # base32 turns each 5 bytes into 8 characters on their own: 15 bytes give the first 24
AREA_CELL_KM = 2.0
KM_PER_DEGREE_LAT = 111.32
EXACT, AREA = "exact", "area"


def _mac(key: bytes, *parts: str) -> bytes:
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).digest()


def handle(key: bytes, user_id: str, group_id: str) -> str:
    """The opaque id of `user_id` as seen in `group_id`."""
    digest = _mac(key, "handle", group_id, user_id)[:_HANDLE_BYTES]  # half of base32's work (a queue shows ~80)
    return HANDLE_PREFIX + b32encode(digest)[:HANDLE_CHARS].decode().lower()


def looks_like_handle(value: str) -> bool:
    return value.startswith(HANDLE_PREFIX) and len(value) == len(HANDLE_PREFIX) + HANDLE_CHARS


def pseudonym(key: bytes, user_id: str, group_id: str, attempt: int = 0) -> str:
    """Candidate `attempt` of the person's pseudonym in the group, e.g. "SunnyFennel4821"."""
    digest = _mac(key, "pseudonym", group_id, user_id, str(attempt))
    number = int.from_bytes(digest[2:6], "big") % 10000
    return f"{ADJECTIVES[digest[0] % len(ADJECTIVES)]}{NOUNS[digest[1] % len(NOUNS)]}{number:04d}"


@dataclass(frozen=True)
class Shown:
    """A pickup location as one viewer may see it."""

    lat: float
    lng: float
    label: str | None
    precision: str  # EXACT | AREA


def area(key: bytes, salt: str, lat: float, lng: float) -> tuple[float, float]:
    """The point shown for (lat, lng) at area precision: its ~2 km cell, offset per `salt` (the post id).

    The offset is at most 0.4 cell in each direction, so the shown point stays within
    ~1.5 cells (~3 km) of the exact one and is never the cell's centre (shared by every
    post of the cell) or the exact point.
    """
    cell_lat = AREA_CELL_KM / KM_PER_DEGREE_LAT
    row = floor(lat / cell_lat)
    centre_lat = (row + 0.5) * cell_lat
    cell_lng = AREA_CELL_KM / (KM_PER_DEGREE_LAT * max(cos(radians(centre_lat)), 0.01))
    col = floor(lng / cell_lng)
    centre_lng = (col + 0.5) * cell_lng
    digest = _mac(key, "area", salt)
    dy = (int.from_bytes(digest[0:4], "big") / 2**32 - 0.5) * 0.8
    dx = (int.from_bytes(digest[4:8], "big") / 2**32 - 0.5) * 0.8
    shown_lat = max(-90.0, min(90.0, centre_lat + dy * cell_lat))
    shown_lng = ((centre_lng + dx * cell_lng + 180.0) % 360.0) - 180.0
    # 6 decimals (~0.1 m): with 4, two posts' offsets in one cell shared a shown latitude once in ~150
    # pairs, a field equal across groups by chance; the precision of the value tells nothing (it is offset)
    return round(shown_lat, 6), round(shown_lng, 6)


def partnership_distance(key: bytes, food_id: str, home_lat: float, home_lng: float, lat: float, lng: float) -> float:
    """The distance a partnership's `max_distance_km` is judged on: from the claimer's home to the post's area.
    Judged on the exact place, whether a partner post is offered (or its claim refused) as the home moves would
    locate the doorstep (three points on the circle of `max_distance_km` give its centre)."""
    return distance_km(home_lat, home_lng, *area(key, food_id, lat, lng))


def sees_exact(viewer_id: str, sharer_id: str, active_claimer_id: str | None, sharer_precision: str = AREA) -> bool:
    """The sharer and the claimer of an active exchange see the exact place; others only if the sharer chose so."""
    return viewer_id == sharer_id or (active_claimer_id is not None and viewer_id == active_claimer_id) or \
        sharer_precision == EXACT


def pickup(key: bytes, food_id: str, lat: float, lng: float, label: str | None, exact: bool) -> Shown:
    if exact:
        return Shown(lat, lng, label, EXACT)
    shown_lat, shown_lng = area(key, food_id, lat, lng)
    return Shown(shown_lat, shown_lng, None, AREA)


COUNT_BANDS = (0, 1, 3, 6, 11, 26, 51, 101)  # a count is shown as the lower bound of its band


def count_band(count: int) -> int:
    """The lower bound of the band `count` falls in (0, 1, 3, 6, 11, 26, 51, 101)."""
    return max(b for b in COUNT_BANDS if b <= max(count, 0))


def score_band(score: float) -> int:
    """A score to the multiple of 10 below it (the trust levels' cut-offs are multiples of 10 too)."""
    return int(floor(score / 10) * 10)


def rating_band(average: float) -> float:
    """An average rating to the nearest half star."""
    return round(average * 2) / 2
