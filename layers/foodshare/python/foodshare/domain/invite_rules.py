"""Whether an invite still lets someone join, as a pure decision (no I/O: `domain/groups.py` reads and commits).

An invite works until it expires, an admin revokes it, its uses (`maxUses`) are gone, or whoever made it is no
longer an admin of its group (demoted, left, removed, banned, erased): a code someone handed out stops working
with their say in the group.
"""

from __future__ import annotations

REVOKED, EXPIRED, USED_UP = "invite_revoked", "invite_expired", "invite_used_up"
ADMIN = "admin"
MAX_USES = 1000  # the most `maxUses` an invite may allow
# The creator's role is not known to the caller: the join checks it in its transaction (it learns who made the
# invite only from the invite, in the read that brings the group and the joiner's profile).
UNCHECKED = object()

MESSAGES = {
    REVOKED: "An admin of the group revoked this invite; ask an admin for a new one.",
    EXPIRED: "This invite has expired; ask an admin for a new one.",
    USED_UP: "This invite has been used as many times as it allows; ask an admin for a new one.",
}
CREATOR_GONE = "Whoever made this invite is no longer an admin of the group; ask an admin for a new one."


def refusal(*, now: str, expires_at: str, revoked: bool = False, uses: int = 0, max_uses: int | None = None,
            creator_role: str | None | object = UNCHECKED) -> str | None:
    """Why the invite lets nobody join (`invite_revoked`, `invite_expired`, `invite_used_up`), None when it does.

    `now`, `expires_at`: ISO times (clock.iso), compared as text. `creator_role`: the creator's role in the group,
    None when they are no longer a member, `UNCHECKED` when not read. An admin's revocation is said first (it is
    the reason the group gave), then expiry, then the uses."""
    if revoked:
        return REVOKED
    if expires_at <= now:
        return EXPIRED
    if max_uses is not None and uses >= max_uses:
        return USED_UP
    if creator_role is not UNCHECKED and creator_role != ADMIN:
        return REVOKED
    return None


def message(code: str, *, revoked: bool) -> str:
    """What a refused join is told: a revocation by an admin, or a creator who is no admin any more."""
    return MESSAGES[code] if code != REVOKED or revoked else CREATOR_GONE


def lifetime_problem(hours: int | None, most_hours: int) -> str | None:
    """What is wrong with an asked lifetime (`expiresInHours`), None when it is fine (None: the longest)."""
    if hours is not None and not 1 <= hours <= most_hours:
        return f"must be between 1 and {most_hours} hours"
    return None
