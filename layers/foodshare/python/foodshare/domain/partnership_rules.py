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


def acting_side(from_group_id: str, to_group_id: str, is_target_admin: bool) -> str:
    """The group an admin acts for in ending a partnership: the invited one when they are its admin (also when they
    are an admin of both), else the proposing one (the transition checks the membership it took for that)."""
    return to_group_id if is_target_admin else from_group_id


def told(event_type: str, from_group_id: str, to_group_id: str, by_group_id: str | None = None) -> str | None:
    """The group whose admins are told of a partnership's change: the side that did not make it. A proposal goes to
    the invited group, an answer to the proposing one, an end (`by_group_id`: the side that ended it) to the other."""
    if event_type == "PartnershipProposed":
        return to_group_id
    if event_type in ("PartnershipAccepted", "PartnershipDeclined"):
        return from_group_id
    if event_type == "PartnershipEnded" and by_group_id in (from_group_id, to_group_id):
        return from_group_id if by_group_id == to_group_id else to_group_id
    return None
