"""How people appear to each other: per-group handles and pseudonyms (rules in `privacy.py`).

Someone else, seen in a group context, is `{"handle", "pseudonym", "mine": false}`
(`api/views.identity`); the person themself sees `"mine": true` (and their own stable id on GET /me). Pseudonyms are
claimed at join (`claim_pseudonym`, unique within the group) and kept on the membership;
a membership from before then, or a partner-group claimer seen in the post's group,
shows candidate 0 (derived, never stored).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from foodshare import identity_key, ids
from foodshare.data import reads
from foodshare.data.models import ExchangeItem, GroupPseudonymItem, HandleItem, MembershipItem, UserItem
from foodshare.data.transaction import UnitOfWork
from foodshare.domain import privacy
from foodshare.errors import ConcurrentUpdate, NotFound

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


def handle_in(user_id: str, group_id: str) -> str:
    """The person's handle in the group, alone (no pseudonym worked out)."""
    return privacy.handle(identity_key.key(), user_id, group_id)


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
    return in_exchanges([exchange])[0]


def in_exchanges(exchanges: list[ExchangeItem]) -> list[tuple[Identity, Identity]]:
    """`in_exchange` of each, the memberships of those claimed before their pseudonyms were kept in one batch
    (none when every exchange keeps them). An erased party (an anonymous id, their pseudonym dropped by the sweep)
    has no membership to read: shown as the anonymous id's identity in the group, as the read would find."""
    parties = [(user_id, exchange.group_id, kept) for exchange in exchanges
               for user_id, kept in ((exchange.sharer_id, exchange.sharer_pseudonym),
                                     (exchange.claimer_id, exchange.claimer_pseudonym))]
    unknown = list(dict.fromkeys((user_id, group_id) for user_id, group_id, kept in parties
                                 if kept is None and not user_id.startswith(ids.ANONYMOUS_PREFIX)))
    read = dict(zip(unknown, in_groups(unknown) if unknown else [], strict=True))
    shown = [read.get((user_id, group_id)) or of(user_id, group_id, kept) for user_id, group_id, kept in parties]
    return list(zip(shown[::2], shown[1::2], strict=True))


def claim_pseudonym(uow: UnitOfWork, group_id: str, user_id: str, attempt: int) -> str:
    """Add the unique claim of candidate `attempt` to `uow`; PseudonymTaken on commit if another member has it.
    The member's handle in the group is recorded with it (`record_handle`)."""
    name = privacy.pseudonym(identity_key.key(), user_id, group_id, attempt)
    uow.save(
        GroupPseudonymItem(*GroupPseudonymItem.key(group_id, name), user_id=user_id),
        GroupPseudonymItem.pk.does_not_exist(),
        on_fail=PseudonymTaken("pseudonym taken in the group"),
    )
    record_handle(uow, user_id, group_id, pseudonym=name)
    return name


def record_handle(uow: UnitOfWork, user_id: str, group_id: str, pseudonym: str | None = None) -> None:
    """Add to `uow` the index item that lets `resolve` find the person's handle in the group by key.

    Every place a person first appears in a group records it: joining (`claim_pseudonym`, with the pseudonym
    claimed), a partner group's claim, a report. An unconditional update: the same handle always names the same
    (user, group), and one recorded without a pseudonym keeps the one a join recorded.
    """
    handle = privacy.handle(identity_key.key(), user_id, group_id)
    kept = [HandleItem.user_id.set(user_id), HandleItem.group_id.set(group_id)]
    uow.update(HandleItem(*HandleItem.key(handle)), kept + ([HandleItem.pseudonym.set(pseudonym)] if pseudonym else []))


def index_keys(handle: str) -> list[tuple[type[HandleItem], tuple[str, str]]]:
    """The handle's index item's key, for the caller's batch read (none for what cannot be a handle)."""
    return [(HandleItem, HandleItem.key(handle))] if privacy.looks_like_handle(handle) else []


def indexed(handle: str) -> HandleItem | None:
    """The handle's index item (one read), None for what cannot be a handle or is none recorded."""
    for model, key in index_keys(handle):
        try:
            return model.get(*key)
        except model.DoesNotExist:
            return None
    return None


def named_in(handle: str, group_id: str, caller_id: str, found: HandleItem | None) -> str | None:
    """Whom `handle` can name in `group_id`: the caller (their own handle, no read), else the person of its index
    item `found` (read by the caller, e.g. beside their own membership) if that is their handle in `group_id`.
    They still have to be a member of `group_id`: with that membership, this is `resolve(handle, caller_id,
    {group_id})`, by key (no index query)."""
    if not privacy.looks_like_handle(handle):
        return None
    if privacy.handle(identity_key.key(), caller_id, group_id) == handle:
        return caller_id
    if found is None or found.group_id != group_id:
        return None
    return found.user_id


_UNREAD = object()


def resolve(handle: str, caller_id: str, visible_groups: set[str],
            found: HandleItem | None | object = _UNREAD) -> tuple[str, str] | None:
    """(user id, group id) of the handle, if it names someone the caller can have been shown: a current member
    of one of the caller's visible groups, seen in one of them.

    Two reads whatever the groups' sizes: the handle's index item (`record_handle`; `found` when the caller read
    it already), then the person's memberships (one index query). Before the index, every visible group's
    members were listed and their handles recomputed: O(members x groups) HMACs and one query per group.
    """
    if not privacy.looks_like_handle(handle):
        return None
    key = identity_key.key()
    for group_id in sorted(visible_groups):  # one's own handle needs no read
        if privacy.handle(key, caller_id, group_id) == handle:
            return caller_id, group_id
    if found is _UNREAD:
        found = indexed(handle)
    if found is None or found.group_id not in visible_groups:
        return None
    memberships = MembershipItem.by_user.query(f"USER#{found.user_id}", MembershipItem.by_user_sk.startswith("GROUP#"))
    if not any(m.group_id in visible_groups for m in memberships):
        return None  # left every group the caller can see
    return found.user_id, found.group_id


@dataclass(frozen=True)
class Seen:
    """Someone the caller can have been shown, by the handle they were shown: who, where, how, their profile."""

    user_id: str
    group_id: str
    identity: Identity
    profile: UserItem | None


def seen_by(handle: str, caller_id: str, visible_groups: Callable[[], set[str]]) -> Seen | None:
    """The person `handle` names for the caller, with their profile, or None (`resolve`'s answer).

    Two reads when the caller and the person are both members of the group the handle is from (the common case):
    its index item, then both memberships there and the person's profile in one batch. Otherwise (someone seen as
    a partner group's claimer or reporter, a group either has left, the caller's own handle the index does not
    hold) `resolve` searches every group the caller can see (`visible_groups()`), then one batch reads the
    person's membership and profile."""
    found = indexed(handle)
    if found is not None:
        mine, theirs, profile = reads.get_many([
            (MembershipItem, MembershipItem.key(found.group_id, caller_id)),
            (MembershipItem, MembershipItem.key(found.group_id, found.user_id)),
            (UserItem, UserItem.key(found.user_id)),
        ])
        if mine is not None and theirs is not None:
            return Seen(found.user_id, found.group_id, of(found.user_id, found.group_id, theirs.pseudonym), profile)
    resolved = resolve(handle, caller_id, visible_groups(), found)  # the index item read above, not again
    if resolved is None:
        return None
    user_id, group_id = resolved
    membership, profile = reads.get_many([(MembershipItem, MembershipItem.key(group_id, user_id)),
                                          (UserItem, UserItem.key(user_id))])
    return Seen(user_id, group_id, of(user_id, group_id, membership.pseudonym if membership else None), profile)


def require(handle: str, caller_id: str, visible_groups: set[str], field: str) -> tuple[str, str]:
    """`resolve`, or 404 naming the request's `field`."""
    found = resolve(handle, caller_id, visible_groups)
    if found is None:
        raise not_found(field)
    return found


def not_found(field: str) -> NotFound:
    """The answer to a handle naming nobody the caller can have been shown (`field`: the request's)."""
    return NotFound("Member not found.", fields={field: "no member of the group has this handle"})
