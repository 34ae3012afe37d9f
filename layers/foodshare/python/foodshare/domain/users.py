"""Profiles: created on first contact with a unique pseudonym, welcome credits and a start score."""

from __future__ import annotations

from typing import Any

from foodshare import clock, ids
from foodshare.data.models import LedgerEntryItem, PseudonymItem, UserItem
from foodshare.data.transaction import UnitOfWork
from foodshare.domain import subject_requests
from foodshare.errors import ConcurrentUpdate, Conflict, Forbidden, NotFound
from foodshare.reputation_rules import INITIAL_SCORE, trust_level
from foodshare.settings import get_settings

PSEUDONYM_ATTEMPTS = 5


def find(user_id: str, consistent: bool = False) -> UserItem | None:
    try:
        return UserItem.get(*UserItem.key(user_id), consistent_read=consistent)
    except UserItem.DoesNotExist:
        return None


def get(user_id: str) -> UserItem:
    user = find(user_id)
    if user is None:
        raise NotFound(f"User {user_id} not found.")
    return user


# A condition on the person's profile for a transaction writing what they do: it exists and its erasure has not begun.
NOT_ERASING = UserItem.pk.exists() & UserItem.erasing.does_not_exist()


def keep_not_erasing(uow: UnitOfWork, user_id: str, *, on_fail: Exception, departing: str | None = None,
                     banning: str | None = None) -> None:
    """Check in `uow` that the person has a profile whose erasure has not begun as it commits: a write naming them
    after that would outlive the erasure's sweep (a segment scanned before it is not scanned again). `departing`:
    the group `uow` removes them from (a removal, a ban): the check is then the profile's update recording it in
    their `departed_groups` (as `record_departure` does), on the same condition; `banning`: the group `uow` bans them
    from, recorded in their `banned_from` by that update (one transaction writes an item once)."""
    if departing is None and banning is None:
        uow.check(UserItem, UserItem.key(user_id), NOT_ERASING, on_fail=on_fail)
        return
    actions = [UserItem.departed_groups.add({departing})] if departing is not None else []
    if banning is not None:
        actions.append(UserItem.banned_from.add({banning}))
    uow.update(UserItem(*UserItem.key(user_id)), actions, NOT_ERASING, on_fail=on_fail)


def record_departure(uow: UnitOfWork, user_id: str, group_id: str, *, condition: Any = None,
                     on_fail: Exception | None = None) -> None:
    """Record in `uow` that the person leaves `group_id` (or is removed from it): it joins their profile's
    `departed_groups`, which a claim's transaction checks (`not_departed`): their posts there are refused at once,
    not only once the departure's event is applied (docs/trust-safety.md "Departures"). An update of the profile
    (2 write units in the transaction), under `condition` (by default, that the profile exists: never a stub)."""
    uow.update(UserItem(*UserItem.key(user_id)), [UserItem.departed_groups.add({group_id})],
               UserItem.pk.exists() if condition is None else condition, on_fail=on_fail or account_erased())


def lift_ban(uow: UnitOfWork, user_id: str, group_id: str, *, on_fail: Exception) -> None:
    """Take `group_id` out of the person's `banned_from` in `uow` (its ban overturned: its posts show to them again),
    on the condition that the profile exists (an update would otherwise write a stub naming them)."""
    uow.update(UserItem(*UserItem.key(user_id)), [UserItem.banned_from.delete({group_id})], UserItem.pk.exists(),
               on_fail=on_fail)


def not_departed(group_id: str) -> Any:
    """A condition on a post's sharer's profile for a transaction that does not read it (a claim): they have not
    left `group_id` (nor were removed from it), or have come back (no profile at all passes too)."""
    return ~UserItem.departed_groups.contains(group_id)


def account_erased() -> Forbidden:
    return Forbidden("This account is being erased (DELETE /me); it can no longer act.", code="account_erased")


def keep_acting(uow: UnitOfWork, user_id: str, *, joining: str | None = None) -> None:
    """Check in `uow` that the caller's account is not being erased as it commits (403 `account_erased`): what they
    do writes records naming them, and one landing after the erasure's sweep would keep naming them. `joining`: the
    group `uow` admits them to: the check is then the profile's update taking it out of their `departed_groups`
    (they are back: their posts there are claimable again), on the same condition."""
    if joining is None:
        keep_not_erasing(uow, user_id, on_fail=account_erased())
    else:
        uow.update(UserItem(*UserItem.key(user_id)), [UserItem.departed_groups.delete({joining})], NOT_ERASING,
                   on_fail=account_erased())


def refuse_if_erasing(user: UserItem | None) -> UserItem | None:
    """The profile, unless its account is being erased (DELETE /me: it can no longer act)."""
    if user is not None and user.erasing:
        raise account_erased()
    return user


def ensure(user_id: str, display_name: str | None = None, consistent: bool = False) -> UserItem:
    """The user's profile, registering them on first contact (idempotent under races); refused while the
    account is being erased. `consistent`: a strongly consistent read."""
    user = refuse_if_erasing(find(user_id, consistent))
    if user is not None:
        return user
    for _ in range(PSEUDONYM_ATTEMPTS):
        try:
            return _register(user_id, display_name)
        except _PseudonymTaken:
            continue
        except _AlreadyRegistered:
            return refuse_if_erasing(get(user_id))
    raise Conflict("Could not allocate a unique pseudonym; please retry.", code="pseudonym_unavailable")


class _PseudonymTaken(ConcurrentUpdate):
    pass


class _AlreadyRegistered(ConcurrentUpdate):
    pass


def _register(user_id: str, display_name: str | None) -> UserItem:
    settings = get_settings()
    now = clock.now_iso()
    name = ids.pseudonym()
    entry_id = ids.new_id()  # the welcome grant's ledger line
    user = UserItem(
        *UserItem.key(user_id),
        user_id=user_id,
        display_name=display_name,
        pseudonym=name,
        score=INITIAL_SCORE,
        trust_level=trust_level(INITIAL_SCORE),
        credit_balance=settings.welcome_credits,
        credits_held=0,
        ledger_head=entry_id,
        created_at=now,
        updated_at=now,
    )
    uow = UnitOfWork()
    refuse_registration_while_erasing(uow, user_id)
    uow.save(user, UserItem.pk.does_not_exist(), on_fail=_AlreadyRegistered("registered concurrently"))
    uow.save(
        PseudonymItem(*PseudonymItem.key(name), user_id=user_id),
        PseudonymItem.pk.does_not_exist(),
        on_fail=_PseudonymTaken("pseudonym taken"),
    )
    uow.save(
        LedgerEntryItem(
            *LedgerEntryItem.key(user_id, entry_id),
            entry_id=entry_id,
            user_id=user_id,
            amount=settings.welcome_credits,
            balance_after=settings.welcome_credits,
            reason="welcome",
            created_at=now,
        )
    )
    uow.record("UserRegistered", user_id, {"userId": user_id, "pseudonym": name, "score": INITIAL_SCORE})
    uow.record(
        "CreditsGranted",
        user_id,
        {"userId": user_id, "amount": settings.welcome_credits, "balanceAfter": settings.welcome_credits,
         "reason": "welcome"},
    )
    uow.commit()
    return user


def refuse_registration_while_erasing(uow: UnitOfWork, user_id: str) -> None:
    """Check in `uow` that no erasure of `user_id` is under way: once its sweep has moved their profile to the
    anonymous id, only their started request (`USER#<id>/ERASURE`, deleted when the erasure completes) says so. A
    new account registered then would be swept in part into the anonymous id (what it did in segments not swept
    yet: an exchange renamed, its held credit left on the new profile)."""
    from foodshare.domain.erasure import ErasureRequestItem  # erasure builds on this module

    uow.check(ErasureRequestItem, ErasureRequestItem.key(user_id), ErasureRequestItem.anonymous_id.does_not_exist(),
              on_fail=account_erased())


def update_profile(user_id: str, display_name: str, location: tuple[float, float] | None) -> UserItem:
    """Create or update the caller's profile; the pseudonym never changes."""
    user = ensure(user_id, display_name)
    updated_at = clock.now_iso()
    actions = [UserItem.display_name.set(display_name), UserItem.updated_at.set(updated_at)]
    if location is None:
        actions += [UserItem.lat.remove(), UserItem.lng.remove()]
    else:
        actions += [UserItem.lat.set(location[0]), UserItem.lng.set(location[1])]
    uow = UnitOfWork()
    # written from the profile as read: an erasure begun since then refuses it (the account can no longer act)
    uow.update(user, actions, NOT_ERASING, on_fail=account_erased())
    uow.record(
        "ProfileUpdated",
        user_id,
        {"userId": user_id, "hasLocation": location is not None},
    )
    subject_requests.record(uow, user_id, "rectification", detail="profile: display name and location")
    uow.commit()
    # The answer is what was written (no re-read): the same values the update set.
    user.display_name, user.updated_at = display_name, updated_at
    user.lat, user.lng = location if location is not None else (None, None)
    return user
