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
from foodshare.data.models import ExchangeItem, GroupPseudonymItem, HandleItem, MembershipItem
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
    """Add the unique claim of candidate `attempt` to `uow`; PseudonymTaken on commit if another member has it.
    The member's handle in the group is recorded with it (`record_handle`)."""
    name = privacy.pseudonym(identity_key.key(), user_id, group_id, attempt)
    uow.save(
        GroupPseudonymItem(*GroupPseudonymItem.key(group_id, name), user_id=user_id),
        GroupPseudonymItem.pk.does_not_exist(),
        on_fail=PseudonymTaken("pseudonym taken in the group"),
    )
    record_handle(uow, user_id, group_id)
    return name


def record_handle(uow: UnitOfWork, user_id: str, group_id: str) -> None:
    """Add to `uow` the index item that lets `resolve` find the person's handle in the group by key.

    Every place a person first appears in a group records it: joining (`claim_pseudonym`), a partner group's
    claim, a report. An unconditional put: the same handle always names the same (user, group).
    """
    handle = privacy.handle(identity_key.key(), user_id, group_id)
    uow.save(HandleItem(*HandleItem.key(handle), user_id=user_id, group_id=group_id))


def resolve(handle: str, caller_id: str, visible_groups: set[str]) -> tuple[str, str] | None:
    """(user id, group id) of the handle, if it names someone the caller can have been shown: a current member
    of one of the caller's visible groups, seen in one of them.

    Two reads whatever the groups' sizes: the handle's index item (`record_handle`), then the person's
    memberships (one index query). Before the index, every visible group's members were listed and their
    handles recomputed: O(members x groups) HMACs and one query per group.
    """
    if not privacy.looks_like_handle(handle):
        return None
    key = identity_key.key()
    for group_id in sorted(visible_groups):  # one's own handle needs no read
        if privacy.handle(key, caller_id, group_id) == handle:
            return caller_id, group_id
    try:
        found = HandleItem.get(*HandleItem.key(handle))
    except HandleItem.DoesNotExist:
        return None
    if found.group_id not in visible_groups:
        return None
    memberships = MembershipItem.by_user.query(f"USER#{found.user_id}", MembershipItem.by_user_sk.startswith("GROUP#"))
    if not any(m.group_id in visible_groups for m in memberships):
        return None  # left every group the caller can see
    return found.user_id, found.group_id
