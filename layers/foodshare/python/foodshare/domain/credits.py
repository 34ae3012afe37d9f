"""The credits ledger: a claim holds one credit, completion pays it to the sharer, cancel releases it.

Balances are changed with an optimistic condition on the balance read, so the
ledger's `balance_after` is exact and concurrent changes retry instead of drifting.
The balance stays within 0..MAX_CREDIT_BALANCE; credit beyond the cap is not paid.
"""

from __future__ import annotations

from dataclasses import dataclass

from foodshare import clock, ids
from foodshare.data.models import LedgerEntryItem, UserItem
from foodshare.data.transaction import UnitOfWork
from foodshare.errors import ConcurrentUpdate, Conflict
from foodshare.settings import get_settings

CLAIM_COST = 1


@dataclass(frozen=True)
class Movement:
    user_id: str
    amount: int  # what the available balance really moved by
    balance_after: int


def _move(
    uow: UnitOfWork,
    user: UserItem,
    amount: int,
    held_delta: int,
    reason: str,
    exchange_id: str,
    max_held: int | None = None,
) -> Movement:
    before = int(user.credit_balance)
    after = min(get_settings().max_credit_balance, before + amount)
    if after < 0:
        raise Conflict("Not enough credits to claim; share food to earn some.", code="insufficient_credits")
    actions = [UserItem.updated_at.set(clock.now_iso())]
    if after != before:
        actions.append(UserItem.credit_balance.set(after))
    if held_delta:
        actions.append(UserItem.credits_held.add(held_delta))
    condition = UserItem.credit_balance == before
    if max_held is not None:  # the active-claim limit (domain/standing.py): one held credit per active claim
        condition &= UserItem.credits_held.does_not_exist() | (UserItem.credits_held < max_held)
    uow.update(user, actions, condition, on_fail=ConcurrentUpdate("credit balance changed concurrently"))
    if after != before:
        entry_id = ids.new_id()
        uow.save(
            LedgerEntryItem(
                *LedgerEntryItem.key(user.user_id, entry_id),
                entry_id=entry_id,
                user_id=user.user_id,
                amount=after - before,
                balance_after=after,
                reason=reason,
                exchange_id=exchange_id,
                created_at=clock.now_iso(),
            )
        )
    return Movement(user.user_id, after - before, after)


def hold(uow: UnitOfWork, claimer: UserItem, exchange_id: str, max_held: int | None = None) -> Movement:
    """Hold a claim's credit; with `max_held`, only while the claimer holds fewer (else the claim retries)."""
    movement = _move(uow, claimer, -CLAIM_COST, CLAIM_COST, "claim_hold", exchange_id, max_held)
    uow.record("CreditsHeld", claimer.user_id, _payload(movement, exchange_id))
    return movement


def transfer(uow: UnitOfWork, claimer: UserItem, sharer: UserItem, exchange_id: str) -> Movement:
    """Completion: the claimer's held credit goes to the sharer (unless the sharer is at the cap)."""
    _move(uow, claimer, 0, -CLAIM_COST, "claim_paid", exchange_id)
    movement = _move(uow, sharer, CLAIM_COST, 0, "exchange_completed", exchange_id)
    payload = _payload(movement, exchange_id) | {"fromUserId": claimer.user_id}
    uow.record("CreditsTransferred", sharer.user_id, payload)
    return movement


def release(uow: UnitOfWork, claimer: UserItem, exchange_id: str, reason: str) -> Movement:
    movement = _move(uow, claimer, CLAIM_COST, -CLAIM_COST, reason, exchange_id)
    uow.record("CreditsReleased", claimer.user_id, _payload(movement, exchange_id) | {"reason": reason})
    return movement


def _payload(movement: Movement, exchange_id: str) -> dict:
    return {
        "userId": movement.user_id,
        "amount": movement.amount,
        "balanceAfter": movement.balance_after,
        "exchangeId": exchange_id,
    }


def ledger(user_id: str, limit: int, before_entry_id: str | None) -> tuple[list[LedgerEntryItem], bool]:
    """Newest entries first, a page at a time; the flag says whether older entries remain."""
    pk, newest = LedgerEntryItem.key(user_id, "~")
    upper = f"CREDIT#{before_entry_id}" if before_entry_id else newest
    entries = list(
        LedgerEntryItem.query(
            pk,
            LedgerEntryItem.sk.between("CREDIT#", upper),
            scan_index_forward=False,
            limit=limit + 2,  # the cursor entry itself may be among them
        )
    )
    entries = [e for e in entries if e.sk != upper][: limit + 1]
    return entries[:limit], len(entries) > limit
