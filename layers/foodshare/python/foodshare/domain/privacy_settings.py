"""A person's privacy choices (GDPR restriction and objection): `PUT /me/privacy`.

- `restricted`: processing frozen until the person lifts it: their posts and profile
  leave discovery, reputation look-ups and leaderboards, they get no notifications, and
  no new claims are made by them or on their posts.
- `leaderboard`: false = objection to being ranked: left out of every leaderboard.
- `locationPrecision`: `area` (default) shows others their pickup places as areas;
  `exact` shows everyone who can see a post its exact place.

Stored on the profile; the change records `PrivacySettingsChanged` (ids and flags only),
whose after-commit bump refreshes the person's cached profile (discovery) and their
groups' leaderboards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from foodshare import clock
from foodshare.data.models import UserItem
from foodshare.data.transaction import UnitOfWork, with_retries
from foodshare.domain import groups, privacy, subject_requests, users
from foodshare.errors import ConcurrentUpdate


@dataclass(frozen=True)
class PrivacySettings:
    restricted: bool = False
    leaderboard: bool = True
    location_precision: str = privacy.AREA

    @classmethod
    def of(cls, user: UserItem) -> PrivacySettings:
        return cls(
            restricted=bool(user.restricted),
            leaderboard=user.leaderboard is not False,
            location_precision=user.location_precision or privacy.AREA,
        )


def ranked(chosen: PrivacySettings) -> bool:
    """Whether the person shows on their groups' leaderboards (`group_activity.leaderboard`)."""
    return not chosen.restricted and chosen.leaderboard


# A condition on someone's profile for a transaction that acts on their data without reading them first (a claim
# of their post): no restriction, or no profile at all (`is_restricted` of None).
NOT_RESTRICTED = UserItem.restricted.does_not_exist() | (UserItem.restricted == False)


def is_restricted(user: UserItem | None) -> bool:
    return bool(user is not None and user.restricted)


def get(user_id: str) -> PrivacySettings:
    return PrivacySettings.of(users.ensure(user_id))


def update(user_id: str, restricted: bool | None, leaderboard: bool | None, location_precision: str | None,
           group_ids_of: Callable[[str], list[str]] = groups.group_ids_of) -> PrivacySettings:
    """Change the given choices (None keeps the current one); choices already made write nothing. `group_ids_of`:
    the person's groups, asked only when their leaderboards change (the API passes the cached ones:
    cache/group_reads.member_groups). Another change landing meanwhile makes it read again (`_as_read`)."""
    return with_retries(lambda: _update(user_id, restricted, leaderboard, location_precision, group_ids_of))


def _as_read(current: PrivacySettings) -> Any:
    """The condition that the profile's choices are still `current` (each absent attribute reads as its default): the
    update writes all three, so a change of another choice landing since the read must not be undone."""
    restricted = UserItem.restricted == True if current.restricted else NOT_RESTRICTED  # conditions, not tests
    leaderboard = (UserItem.leaderboard == False if not current.leaderboard
                   else UserItem.leaderboard.does_not_exist() | (UserItem.leaderboard == True))
    precision = UserItem.location_precision == current.location_precision
    if current.location_precision == privacy.AREA:
        precision = UserItem.location_precision.does_not_exist() | precision
    return restricted & leaderboard & precision


def _update(user_id: str, restricted: bool | None, leaderboard: bool | None, location_precision: str | None,
            group_ids_of: Callable[[str], list[str]]) -> PrivacySettings:
    user = users.ensure(user_id, consistent=True)  # a retry after a lost race must see the winner
    current = PrivacySettings.of(user)
    chosen = PrivacySettings(
        restricted=current.restricted if restricted is None else restricted,
        leaderboard=current.leaderboard if leaderboard is None else leaderboard,
        location_precision=location_precision or current.location_precision,
    )
    if chosen == current:  # a repeated request (a retry, a button pressed twice): nothing changes, nothing recorded
        return chosen
    uow = UnitOfWork()
    uow.update(
        user,
        [
            UserItem.restricted.set(chosen.restricted),
            UserItem.leaderboard.set(chosen.leaderboard),
            UserItem.location_precision.set(chosen.location_precision),
            UserItem.updated_at.set(clock.now_iso()),
        ],
        # Written from the profile as read: neither an erasure's freeze since then (undone, or outlived) nor another
        # change of the choices (undone) may have landed. Either reads again (`with_retries`): the freeze is then
        # refused by `users.ensure` (403 `account_erased`), the other change is kept and this one added to it.
        users.NOT_ERASING & _as_read(current),
        on_fail=ConcurrentUpdate("the privacy choices changed meanwhile"),
    )
    uow.record(
        "PrivacySettingsChanged",
        user_id,
        {
            "userId": user_id,
            "restricted": chosen.restricted,
            "leaderboard": chosen.leaderboard,
            "locationPrecision": chosen.location_precision,
            # The groups whose leaderboards change: only a new restriction or ranking choice changes them (their
            # memberships are then asked for; a change of location precision alone asks for none).
            "groupIds": sorted(group_ids_of(user_id)) if ranked(chosen) != ranked(current) else [],
        },
    )
    if chosen.restricted != current.restricted:
        subject_requests.record(uow, user_id, "restriction", detail="restricted" if chosen.restricted else "lifted")
    if (chosen.leaderboard, chosen.location_precision) != (current.leaderboard, current.location_precision):
        subject_requests.record(uow, user_id, "objection",
                                detail=f"leaderboard={chosen.leaderboard}, locationPrecision={chosen.location_precision}")
    uow.commit()
    return chosen
