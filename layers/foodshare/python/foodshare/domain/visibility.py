"""Who sees a post: one pure rule for `GET /food` (discovery), `GET /food/{foodId}` and the posts `GET /me/exchanges`
shows, so a single read never shows what the list hides (docs/privacy.md, "who sees a post"); and for every route that
takes a post's id (a claim, a report, a withdrawal, the bots' `/claim`), so none tells someone it exists.

No I/O: each caller reads the facts as cheaply as its route can and asks `sees`. A post someone may not see is
answered to them as a post that does not exist (404 `not_found`, the body a missing id gets; `food: null` in their
exchanges). In order:

1. Its sharer sees it, whatever happened to it.
2. A post a moderator removed: nobody else (its content is what was removed). Nor does anyone its group banned
   (`banned`: the group is in their profile's `banned_from`, until the ban is overturned): not through a partnership
   of another group of theirs, nor through an exchange of theirs (the ban ends their open ones there), so a harasser
   never learns where and when the people who had them banned will be (API 5.3.1).
3. The claimer of its active exchange sees it: the exchange needs the place and the window.
4. Nobody else sees a post whose sharer restricted processing (Art. 18: their posts leave every view of others).
5. The claimer of a closed exchange on it sees it (their exchange's post, whatever their groups or the terms now).
   `GET /food/{foodId}` knows the exchange the post names; a claim cancelled before the window's end relists the
   post naming none, and its claimer is then judged as anyone (`GET /me/exchanges` has the exchange at hand).
6. Otherwise: members of its group; members of an active partner group whose terms hold for them and the post
   (`terms_hold`: a home, a score of at least `minReputation`, the post's area within `maxDistanceKm` of the home:
   exactly what a claim checks). Through several partnerships with the post's group, the one with the widest
   distance decides (`wider`), in the list, the single read and the claim alike.
"""

from __future__ import annotations

from foodshare.domain import privacy
from foodshare.reputation_rules import INITIAL_SCORE

REMOVED = "removed"  # a post's status once a moderator removed it (`moderation.REMOVED`)
ACTIVE, CLOSED = "active", "closed"  # the viewer's part in an exchange on the post: its claimer, claimed or over
MEMBER, PARTNER, NONE = "member", "partner", "none"  # how the viewer reaches the post's group


def part_in(exchange_status: str | None, claimer_id: str | None, viewer_id: str) -> str | None:
    """The viewer's part in an exchange on the post (ACTIVE, CLOSED, or None when they are not its claimer)."""
    if exchange_status is None or claimer_id != viewer_id:
        return None
    return ACTIVE if exchange_status == "claimed" else CLOSED


def looker(profile) -> tuple[float, tuple[float, float] | None]:
    """The viewer's score and home as a partnership's terms judge them (a `UserItem` or None: a profile never
    written has the initial score and no home)."""
    if profile is None:
        return INITIAL_SCORE, None
    home = (float(profile.lat), float(profile.lng)) if profile.lat is not None and profile.lng is not None else None
    return float(profile.score), home


def banned(profile, group_id: str) -> bool:
    """Whether the viewer's profile (a `UserItem` or None) says `group_id` banned them (rule 2)."""
    return profile is not None and group_id in (profile.banned_from or ())


def may_look(terms, score: float, home: tuple[float, float] | None) -> bool:
    """The part of a partnership's `terms` no post changes: a home to judge the distance from, and the score."""
    return home is not None and score >= terms.min_reputation


def terms_hold(terms, score: float, home: tuple[float, float] | None, key: bytes, food_id: str, lat: float,
               lng: float) -> bool:
    """Whether a partnership's `terms` let the viewer (`score`, `home`) see and claim the post at (`lat`, `lng`):
    `maxDistanceKm` judged from the home to the post's area (`privacy.partnership_distance`), as a claim judges it."""
    return may_look(terms, score, home) and \
        privacy.partnership_distance(key, food_id, *home, lat, lng) <= terms.max_distance_km


def wider(terms, than) -> bool:
    """Whether `terms` replace `than` (None: none yet) as the ones a partner group is reached through, when several
    of the viewer's groups are partnered with it: the widest distance, the first of equals (in group id order)."""
    return than is None or terms.max_distance_km > than.max_distance_km


def sees(viewer_id: str, sharer_id: str, status: str, *, reach: str | None, exchange: str | None = None,
         sharer_restricted: bool = False, terms: bool = True, banned: bool = False) -> bool:
    """Whether `viewer_id` may see the post (the module's rule).

    `reach`: MEMBER, PARTNER or NONE; None when the caller did not work it out because `exchange` decides (an
    exchange's own post, `GET /me/exchanges`): taken as NONE. `exchange`: the viewer's part in an exchange on it
    (`part_in`). `sharer_restricted`: the sharer restricted processing (`PUT /me/privacy`; an erasure's freeze).
    `terms`: through a partnership (PARTNER), whether its terms hold (`terms_hold`). `banned`: the post's group
    banned the viewer (`banned`; a member of the group is not banned from it: the ban removed them, and a banned
    person cannot join)."""
    if viewer_id == sharer_id:
        return True
    if status == REMOVED or banned:
        return False
    if exchange == ACTIVE:
        return True
    if sharer_restricted:
        return False
    if exchange == CLOSED:
        return True
    return reach == MEMBER or (reach == PARTNER and terms)
