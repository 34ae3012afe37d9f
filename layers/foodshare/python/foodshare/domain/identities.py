"""How people appear to each other: per-group handles and pseudonyms (rules in `privacy.py`).

Someone else, seen in a group context, is `{"handle", "pseudonym", "mine": false}`
(`api/views.identity`); the person themself sees `"mine": true` (and their own stable id on GET /me). Pseudonyms are
claimed at join (`claim_pseudonym`, unique within the group) and kept on the membership;
a membership from before then, or a partner-group claimer seen in the post's group,
shows candidate 0 (derived, never stored).
"""

from __future__ import annotations

from dataclasses import dataclass

from foodshare import identity_key
from foodshare.data import reads
from foodshare.data.models import ExchangeItem, GroupPseudonymItem, MembershipItem
from foodshare.data.transaction import UnitOfWork
from foodshare.domain import privacy
from foodshare.errors import ConcurrentUpdate

PSEUDONYM_ATTEMPTS = 8


@dataclass(frozen=True)
class Identity:
    handle: str
    pseudonym: str


class PseudonymTaken(ConcurrentUpdate):
    pass


def of(user_id: str, group_id: str, stored_pseudonym: str | None = None) -> Identity:
    key = identity_key.key()
    return Identity(
        privacy.handle(key, user_id, group_id),
        stored_pseudonym or privacy.pseudonym(key, user_id, group_id, 0),
    )


def in_group(user_id: str, group_id: str) -> Identity:
    """The person as members of `group_id` know them (one membership read)."""
    try:
        stored = MembershipItem.get(*MembershipItem.key(group_id, user_id)).pseudonym
    except MembershipItem.DoesNotExist:
        stored = None
    return of(user_id, group_id, stored)


def in_groups(people: list[tuple[str, str]]) -> list[Identity]:
    """`in_group` of each (user id, group id), in one batch read (e.g. both parties of an exchange)."""
    keys = [(MembershipItem, MembershipItem.key(group_id, user_id)) for user_id, group_id in people]
    found = reads.get_many(keys)
    return [of(user_id, group_id, m.pseudonym if m is not None else None)
            for (user_id, group_id), m in zip(people, found, strict=True)]


def in_exchange(exchange: ExchangeItem) -> tuple[Identity, Identity]:
    """(sharer, claimer) as the exchange's group knows them: kept on the exchange since its claim, so no read;
    an exchange claimed before then reads the memberships (one batch)."""
    parties = [(exchange.sharer_id, exchange.sharer_pseudonym), (exchange.claimer_id, exchange.claimer_pseudonym)]
    unknown = [(user_id, exchange.group_id) for user_id, kept in parties if kept is None]
    read = iter(in_groups(unknown) if unknown else [])
    sharer, claimer = (of(user_id, exchange.group_id, kept) if kept is not None else next(read)
                       for user_id, kept in parties)
    return sharer, claimer


def claim_pseudonym(uow: UnitOfWork, group_id: str, user_id: str, attempt: int) -> str:
    """Add the unique claim of candidate `attempt` to `uow`; PseudonymTaken on commit if another member has it."""
    name = privacy.pseudonym(identity_key.key(), user_id, group_id, attempt)
    uow.save(
        GroupPseudonymItem(*GroupPseudonymItem.key(group_id, name), user_id=user_id),
        GroupPseudonymItem.pk.does_not_exist(),
        on_fail=PseudonymTaken("pseudonym taken in the group"),
    )
    return name


def resolve(handle: str, caller_id: str, visible_groups: set[str]) -> tuple[str, str] | None:
    """(user id, group id) of the handle, if it names a member of one of the caller's visible groups.

    Handles are not stored: the members of the caller's own and partner groups are the
    only people the caller can have been shown, so their handles in those groups are
    recomputed (one query per group, microseconds per HMAC).
    """
    if not privacy.looks_like_handle(handle):
        return None
    key = identity_key.key()
    for group_id in sorted(visible_groups):
        if privacy.handle(key, caller_id, group_id) == handle:
            return caller_id, group_id
    members: set[str] = set()
    for group_id in visible_groups:
        members.update(
            m.user_id for m in MembershipItem.query(f"GROUP#{group_id}", MembershipItem.sk.startswith("MEMBER#"))
        )
    for user_id in members:
        for group_id in visible_groups:
            if privacy.handle(key, user_id, group_id) == handle:
                return user_id, group_id
    return None
