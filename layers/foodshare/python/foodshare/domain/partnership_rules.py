"""Which of a group's partnerships its people see, as a pure decision (no I/O: `domain/partnerships.py` reads).

Admins answer proposals and end partnerships: they see every open one, pending (sent and received) and active.
Members act on none of them; what reaches them is an active partnership (the partner group's posts, on its terms),
so they see those only: a proposal stays the admins' business until it is accepted. Declined and ended ones are
history nobody acts on: not listed.
"""

from __future__ import annotations

ADMIN = "admin"
PENDING, ACTIVE = "pending", "active"
SENT, RECEIVED = "sent", "received"


def shown(role: str, status: str) -> bool:
    """Whether someone with `role` in a group sees its partnership in `status` (GET /groups/{groupId}/partnerships)."""
    return status == ACTIVE or (status == PENDING and role == ADMIN)


def direction(group_id: str, from_group_id: str) -> str:
    """`sent` when `group_id` proposed the partnership, `received` when the other group did."""
    return SENT if from_group_id == group_id else RECEIVED
