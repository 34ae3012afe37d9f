"""The credits ledger: a claim holds one credit, completion pays it to the sharer, cancel releases it.

Every change of a balance writes one ledger line (its amount) in the same transaction, so the balance is
always the sum of its ledger. Two ways to change it:

- Taking credit (a claim's hold) needs the balance read: an optimistic condition on it, so a racing change
  retries instead of drifting, and the balance never goes below 0.
- Giving credit back (a release, a payment) needs no read (issue 15): a blind `ADD` under the condition
  that it stays within MAX_CREDIT_BALANCE (and that the profile exists). Racing ADDs all land; the cap is
  checked atomically with each. When the condition fails (the person is at the cap, or has no profile),
  the write is done again the read way (`reading_when_needed`): credit beyond the cap is not paid (and a
  balance already above it, the cap lowered, is not cut to it).

A line's `balance_after` is derived when the ledger is read (`statement`), backwards from the profile's
balance; lines written before this carry the stored value, which is the same number (no longer read).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from foodshare import clock, ids
from foodshare.data.models import LedgerEntryItem, UserItem
from foodshare.data.transaction import UnitOfWork, with_retries
from foodshare.domain import users
from foodshare.errors import ConcurrentUpdate, Conflict, DomainError
from foodshare.settings import get_settings

CLAIM_COST = 1
T = TypeVar("T")


class NeedsBalance(DomainError):
    """A blind credit (`_add`) would pass the cap or found no profile: do the change again, reading the balance."""

    status = 409
    code = "concurrent_update"


@dataclass(frozen=True)
class Movement:
    user_id: str
    amount: int  # what the available balance really moved by
    balance_after: int | None  # None when moved without reading it (a blind ADD)


def _move(
    uow: UnitOfWork,
    user: UserItem,
    amount: int,
    held_delta: int,
    reason: str,
    exchange_id: str,
    max_held: int | None = None,
    still: Any = None,
) -> Movement:
    before = int(user.credit_balance)
    after = before + amount
    if amount > 0:  # credit beyond the cap is not paid; a balance already above it (the cap lowered) is not cut
        after = max(before, min(get_settings().max_credit_balance, after))
    if after < 0:
        raise Conflict("Not enough credits to claim; share food to earn some.", code="insufficient_credits")
    actions = [UserItem.updated_at.set(clock.now_iso())]
    if after != before:
        actions += [UserItem.credit_balance.set(after),
                    UserItem.ledger_head.set(_line(uow, user.user_id, after - before, reason, exchange_id))]
    if held_delta:
        actions.append(UserItem.credits_held.add(held_delta))
    condition = UserItem.credit_balance == before
    if max_held is not None:  # the active-claim limit (domain/standing.py): one held credit per active claim
        condition &= UserItem.credits_held.does_not_exist() | (UserItem.credits_held < max_held)
    if still is not None:  # more the profile must still be as read (a claimer not frozen meanwhile)
        condition &= still
    uow.update(user, actions, condition, on_fail=ConcurrentUpdate("credit balance changed concurrently"))
    return Movement(user.user_id, after - before, after)


def _add(uow: UnitOfWork, user_id: str, amount: int, held_delta: int, reason: str, exchange_id: str) -> Movement:
    """Credit `amount` (>= 0) and move the held counter without reading the profile: a blind ADD, only while the
    profile exists and the balance stays within the cap (else `NeedsBalance`: the caller does it the read way)."""
    actions = [UserItem.updated_at.set(clock.now_iso())]
    condition = UserItem.pk.exists()
    if amount:
        actions += [UserItem.credit_balance.add(amount),
                    UserItem.ledger_head.set(_line(uow, user_id, amount, reason, exchange_id))]
        condition &= UserItem.credit_balance <= get_settings().max_credit_balance - amount
    if held_delta:
        actions.append(UserItem.credits_held.add(held_delta))
    uow.update(UserItem(*UserItem.key(user_id)), actions, condition,
               on_fail=NeedsBalance(f"crediting {user_id} needs their balance"))
    return Movement(user_id, amount, None)


def _line(uow: UnitOfWork, user_id: str, amount: int, reason: str, exchange_id: str) -> str:
    """The ledger line of a balance change (its amount; the balance after it is derived on read). Its id, which
    the profile keeps as `ledger_head` (the last line committed: `statement` checks its page against it)."""
    entry_id = ids.new_id()
    uow.save(LedgerEntryItem(*LedgerEntryItem.key(user_id, entry_id), entry_id=entry_id, user_id=user_id,
                             amount=amount, reason=reason, exchange_id=exchange_id, created_at=clock.now_iso()))
    return entry_id


def reading_when_needed(change: Callable[[bool], T]) -> T:
    """Run `change(blind)` blind first (no balance read); again reading the balance if a blind credit cannot land.

    Each run is retried on a lost race (`with_retries`); a change reads what it needs for `blind=False`."""
    try:
        return with_retries(lambda: change(True))
    except NeedsBalance:
        return with_retries(lambda: change(False))


def hold(uow: UnitOfWork, claimer: UserItem, exchange_id: str, max_held: int | None = None,
         still: Any = None) -> Movement:
    """Hold a claim's credit; with `max_held`, only while the claimer holds fewer, with `still` only while their
    profile meets it (else the claim retries, reading again)."""
    movement = _move(uow, claimer, -CLAIM_COST, CLAIM_COST, "claim_hold", exchange_id, max_held, still)
    uow.record("CreditsHeld", claimer.user_id, _payload(movement, exchange_id))
    return movement


def _give(uow: UnitOfWork, who: UserItem | str, amount: int, held_delta: int, reason: str, exchange_id: str) -> Movement:
    """Credit given back (`amount` >= 0): blind for a user id (`_add`: `NeedsBalance` at the cap or without a
    profile), under the balance read for a profile (`_move`: at the cap the credit is not paid)."""
    if isinstance(who, str):
        return _add(uow, who, amount, held_delta, reason, exchange_id)
    return _move(uow, who, amount, held_delta, reason, exchange_id)


def transfer(uow: UnitOfWork, claimer: UserItem | str, sharer: UserItem | str, exchange_id: str) -> Movement:
    """Completion: the claimer's held credit goes to the sharer (unless the sharer is at the cap); both given as
    user ids (blind) or as the profiles read (`_give`)."""
    paid = _give(uow, claimer, 0, -CLAIM_COST, "claim_paid", exchange_id)
    movement = _give(uow, sharer, CLAIM_COST, 0, "exchange_completed", exchange_id)
    uow.record("CreditsTransferred", movement.user_id, _payload(movement, exchange_id) | {"fromUserId": paid.user_id})
    return movement


def release(uow: UnitOfWork, claimer: UserItem | str, exchange_id: str, reason: str) -> Movement:
    """Give a claim's held credit back: given a user id, blind; given the profile read, under its balance (`_give`)."""
    movement = _give(uow, claimer, CLAIM_COST, -CLAIM_COST, reason, exchange_id)
    uow.record("CreditsReleased", movement.user_id, _payload(movement, exchange_id) | {"reason": reason})
    return movement


def _payload(movement: Movement, exchange_id: str) -> dict:
    """`balanceAfter` only when the balance was read (schemas: optional for releases and payments)."""
    payload = {"userId": movement.user_id, "amount": movement.amount, "exchangeId": exchange_id}
    if movement.balance_after is not None:
        payload["balanceAfter"] = movement.balance_after
    return payload


@dataclass(frozen=True)
class Line:
    entry: LedgerEntryItem
    balance_after: int


@dataclass(frozen=True)
class Statement:
    user: UserItem
    lines: list[Line]
    more: bool  # older lines remain: `next_page` says where they start

    @property
    def next_page(self) -> tuple[str, int] | None:
        """The last line's id and the balance before it (the next page's newest line ends there)."""
        if not self.more:
            return None
        last = self.lines[-1]
        return last.entry.entry_id, last.balance_after - int(last.entry.amount)


HEAD_CHECKS = 3  # a line committed between the page's query and the profile's read: query again (rare)


def statement(user_id: str, limit: int, page: tuple[str, int] | None) -> Statement:
    """The balance and a page of the ledger, newest first, each line with the balance after it.

    The first page is derived backwards from the profile's balance: the ledger is queried first, the profile
    read after, and the page is used when it holds the profile's `ledger_head` (the last line committed), so
    every change the balance holds is on it (else a change landed in between: query again). A later page
    starts from the balance its cursor carries (`page`: the newest line's successor id and that balance, as
    `Statement.next_page` gave them: the cursor is sealed, `cursors.Seal`, so the server vouches for both)."""
    if page is not None:
        entries, more = _ledger(user_id, limit, page[0])
        return Statement(users.ensure(user_id), _lines(entries, page[1]), more)
    for _ in range(HEAD_CHECKS):
        entries, more = _ledger(user_id, limit, None)
        user = users.ensure(user_id, consistent=True)
        head = user.ledger_head
        if head is None or any(e.entry_id == head for e in entries):
            break
    return Statement(user, _lines(entries, int(user.credit_balance)), more)


def _lines(entries: list[LedgerEntryItem], balance: int) -> list[Line]:
    """Each entry with the balance after it, from `balance` (after the newest) backwards."""
    lines = []
    for entry in entries:
        lines.append(Line(entry, balance))
        balance -= int(entry.amount)
    return lines


def _ledger(user_id: str, limit: int, before_entry_id: str | None) -> tuple[list[LedgerEntryItem], bool]:
    """Newest entries first, a page at a time; the flag says whether older entries remain."""
    pk, newest = LedgerEntryItem.key(user_id, "~")
    upper = f"CREDIT#{before_entry_id}" if before_entry_id else newest
    entries = list(
        LedgerEntryItem.query(
            pk,
            LedgerEntryItem.sk.between("CREDIT#", upper),
            scan_index_forward=False,
            consistent_read=True,  # the page is checked against the profile's ledger_head
            limit=limit + 2,  # the cursor entry itself may be among them
        )
    )
    entries = [e for e in entries if e.sk != upper][: limit + 1]
    return entries[:limit], len(entries) > limit
