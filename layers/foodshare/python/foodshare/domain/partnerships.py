"""Partnerships between groups: proposed by one admin, accepted or declined by the other side.

Each group keeps a link item per partner; the conditional write on the proposing
group's link stops a second open partnership between the same two groups.
"""

from __future__ import annotations

from dataclasses import dataclass

from foodshare import clock, ids
from foodshare.data.models import PartnerLinkItem, PartnershipItem, PartnershipTerms
from foodshare.data.transaction import UnitOfWork
from foodshare.domain import groups
from foodshare.errors import Conflict, Forbidden, NotFound, ValidationFailed

PENDING, ACTIVE, DECLINED, ENDED = "pending", "active", "declined", "ended"
OPEN = (PENDING, ACTIVE)


@dataclass(frozen=True)
class Terms:
    max_distance_km: float = 10.0
    min_reputation: float = 70.0
    max_claims_per_member_per_week: int = 3

    def attribute(self) -> PartnershipTerms:
        return PartnershipTerms(
            max_distance_km=self.max_distance_km,
            min_reputation=self.min_reputation,
            max_claims_per_member_per_week=self.max_claims_per_member_per_week,
        )

    @classmethod
    def of(cls, attribute: PartnershipTerms) -> Terms:
        return cls(
            float(attribute.max_distance_km),
            float(attribute.min_reputation),
            int(attribute.max_claims_per_member_per_week),
        )


@dataclass(frozen=True)
class Partner:
    """An active partner group as seen from one group, with the terms its members face."""

    group_id: str
    partnership_id: str
    terms: Terms


def get(partnership_id: str) -> PartnershipItem:
    try:
        return PartnershipItem.get(*PartnershipItem.key(partnership_id))
    except PartnershipItem.DoesNotExist:
        raise NotFound(f"Partnership {partnership_id} not found.")


def propose(group_id: str, user_id: str, target_group_id: str, terms: Terms) -> PartnershipItem:
    groups.require_admin(group_id, user_id)
    if target_group_id == group_id:
        raise ValidationFailed("A group cannot partner with itself.", fields={"targetGroupId": "must be another group"})
    if groups.find(target_group_id) is None:
        raise NotFound(f"Group {target_group_id} not found.", fields={"targetGroupId": "unknown group"})
    now = clock.now_iso()
    partnership_id = ids.new_id()
    partnership = PartnershipItem(
        *PartnershipItem.key(partnership_id),
        partnership_id=partnership_id,
        from_group_id=group_id,
        to_group_id=target_group_id,
        status=PENDING,
        terms=terms.attribute(),
        created_by=user_id,
        created_at=now,
        updated_at=now,
    )
    uow = UnitOfWork()
    uow.save(partnership, PartnershipItem.pk.does_not_exist())
    already_open = Conflict("These groups already have an open partnership.", code="partnership_exists")
    for own, other in ((group_id, target_group_id), (target_group_id, group_id)):
        uow.save(
            PartnerLinkItem(
                *PartnerLinkItem.key(own, other),
                group_id=own,
                partner_group_id=other,
                partnership_id=partnership.partnership_id,
                status=PENDING,
                terms=terms.attribute(),
            ),
            PartnerLinkItem.pk.does_not_exist() | PartnerLinkItem.status.is_in(DECLINED, ENDED),
            on_fail=already_open,
        )
    uow.record(
        "PartnershipProposed",
        user_id,
        {
            "partnershipId": partnership.partnership_id,
            "fromGroupId": group_id,
            "toGroupId": target_group_id,
            "terms": terms_view(terms),
        },
    )
    uow.commit()
    return partnership


def _transition(partnership_id: str, user_id: str, action: str) -> PartnershipItem:
    partnership = get(partnership_id)
    is_target_admin = _is_admin(partnership.to_group_id, user_id)
    is_source_admin = _is_admin(partnership.from_group_id, user_id)
    if not (is_target_admin or is_source_admin):
        raise NotFound(f"Partnership {partnership_id} not found.")
    if action in ("accept", "decline"):
        if not is_target_admin:
            raise Forbidden("Only an admin of the invited group may answer this proposal.")
        allowed_from, new_status = (PENDING,), ACTIVE if action == "accept" else DECLINED
    else:
        allowed_from, new_status = OPEN, ENDED
    if partnership.status not in allowed_from:
        raise Conflict(f"The partnership is {partnership.status}.", code="invalid_state")
    wrong_state = Conflict("The partnership changed meanwhile; reload it.", code="invalid_state")
    uow = UnitOfWork()
    uow.update(
        partnership,
        [PartnershipItem.status.set(new_status), PartnershipItem.updated_at.set(clock.now_iso())],
        PartnershipItem.status == partnership.status,
        on_fail=wrong_state,
    )
    for own, other in (
        (partnership.from_group_id, partnership.to_group_id),
        (partnership.to_group_id, partnership.from_group_id),
    ):
        uow.update(
            PartnerLinkItem(*PartnerLinkItem.key(own, other)),
            [PartnerLinkItem.status.set(new_status)],
            PartnerLinkItem.partnership_id == partnership_id,
            on_fail=wrong_state,
        )
    event_type = {"accept": "PartnershipAccepted", "decline": "PartnershipDeclined", "end": "PartnershipEnded"}[action]
    uow.record(
        event_type,
        user_id,
        {
            "partnershipId": partnership_id,
            "fromGroupId": partnership.from_group_id,
            "toGroupId": partnership.to_group_id,
        },
    )
    uow.commit()
    partnership.status = new_status
    return partnership


def accept(partnership_id: str, user_id: str) -> PartnershipItem:
    return _transition(partnership_id, user_id, "accept")


def decline(partnership_id: str, user_id: str) -> PartnershipItem:
    return _transition(partnership_id, user_id, "decline")


def end(partnership_id: str, user_id: str) -> PartnershipItem:
    return _transition(partnership_id, user_id, "end")


def _is_admin(group_id: str, user_id: str) -> bool:
    member = groups.membership(group_id, user_id)
    return member is not None and member.role == groups.ADMIN


def active_partners(group_id: str) -> list[Partner]:
    links = PartnerLinkItem.query(
        f"GROUP#{group_id}",
        PartnerLinkItem.sk.startswith("PARTNER#"),
        filter_condition=PartnerLinkItem.status == ACTIVE,
    )
    return [Partner(link.partner_group_id, link.partnership_id, Terms.of(link.terms)) for link in links]


def partner_link(group_id: str, partner_group_id: str) -> Partner | None:
    """The active partnership through which members of `group_id` reach `partner_group_id`."""
    try:
        link = PartnerLinkItem.get(*PartnerLinkItem.key(group_id, partner_group_id))
    except PartnerLinkItem.DoesNotExist:
        return None
    if link.status != ACTIVE:
        return None
    return Partner(link.partner_group_id, link.partnership_id, Terms.of(link.terms))


def terms_view(terms: Terms) -> dict:
    return {
        "maxDistanceKm": terms.max_distance_km,
        "minReputation": terms.min_reputation,
        "maxClaimsPerMemberPerWeek": terms.max_claims_per_member_per_week,
    }
