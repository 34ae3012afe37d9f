"""Partnerships between groups: proposed by one admin, accepted or declined by the other side.

Each group keeps a link item per partner; the conditional write on the proposing
group's link stops a second open partnership between the same two groups.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from foodshare import clock, ids
from foodshare.data import reads
from foodshare.data.models import GroupItem, MembershipItem, PartnerLinkItem, PartnershipItem, PartnerSetItem, PartnershipTerms
from foodshare.data.transaction import UnitOfWork, with_retries
from foodshare.domain import groups, partnership_rules, users, visibility
from foodshare.errors import ConcurrentUpdate, Conflict, DomainError, Forbidden, NotFound, ValidationFailed

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
    seen_from: str | None = None  # the group whose link it is, where `link_of` names it


def propose(group_id: str, user_id: str, target_group_id: str, terms: Terms) -> PartnershipItem:
    # The caller's membership and the target group, in one read.
    member, target = reads.get_many([(MembershipItem, MembershipItem.key(group_id, user_id)),
                                     (GroupItem, GroupItem.key(target_group_id))])
    if member is None:
        raise NotFound(f"Group {group_id} not found.")
    if member.role != groups.ADMIN:
        raise Forbidden("Only a group admin may do this.")
    if target_group_id == group_id:
        raise ValidationFailed("A group cannot partner with itself.", fields={"targetGroupId": "must be another group"})
    unknown = NotFound(f"Group {target_group_id} not found.", fields={"targetGroupId": "unknown group"})
    if target is None or int(target.member_count) <= 0:  # everyone left: nobody could ever answer the proposal
        raise unknown
    now = clock.now_iso()
    partnership_id = ids.partnership_id(group_id, target_group_id)
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
    users.keep_acting(uow, user_id)
    _keep_admin(uow, member)
    _keep_someone_in(uow, target_group_id, on_fail=unknown)
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


def _pair_keys(pair: tuple[str, str], user_id: str) -> list:
    """The caller's memberships of both groups and both groups' partner sets."""
    return [(MembershipItem, MembershipItem.key(g, user_id)) for g in pair] + set_keys(pair)


def _transition(partnership_id: str, user_id: str, action: str) -> PartnershipItem:
    # An id naming both groups (since issue 15) lets the partnership, the caller's memberships of both groups and
    # both partner sets come in one read; the partnership's own groups decide (an id from before, or naming other
    # groups, reads them after the partnership).
    named = ids.partnership_groups(partnership_id)
    guess = (named[1], named[0]) if named else None
    partnership, *around = reads.get_many(
        [(PartnershipItem, PartnershipItem.key(partnership_id))] + (_pair_keys(guess, user_id) if guess else []))
    if partnership is None:
        raise NotFound(f"Partnership {partnership_id} not found.")
    pair = (partnership.to_group_id, partnership.from_group_id)
    if pair != guess:
        around = reads.get_many(_pair_keys(pair, user_id))
    target_member, source_member, *partner_sets = around
    is_target_admin = _is_admin(target_member)
    is_source_admin = _is_admin(source_member)
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
    users.keep_acting(uow, user_id)
    _keep_admin(uow, target_member if is_target_admin else source_member)
    if action == "accept":  # the proposing group must still be there to partner with
        _keep_someone_in(uow, partnership.from_group_id, on_fail=Conflict(
            "Everyone left the proposing group: the proposal can only be declined.", code="invalid_state"))
    changed_at = clock.now_iso()
    uow.update(
        partnership,
        [PartnershipItem.status.set(new_status), PartnershipItem.updated_at.set(changed_at)],
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
    if new_status == ACTIVE or partnership.status == ACTIVE:  # becomes, or stops being, active
        terms = Terms.of(partnership.terms) if new_status == ACTIVE else None
        for own, other, current in zip(pair, reversed(pair), partner_sets):
            _write_partner_set(uow, own, current, other, partnership_id, terms)
    event_type = {"accept": "PartnershipAccepted", "decline": "PartnershipDeclined", "end": "PartnershipEnded"}[action]
    data = {"partnershipId": partnership_id, "fromGroupId": partnership.from_group_id,
            "toGroupId": partnership.to_group_id}
    if action == "end":  # which side ended it, and whether it was a proposal (withdrawn) or a partnership: who is told
        data |= {"byGroupId": partnership_rules.acting_side(partnership.from_group_id, partnership.to_group_id,
                                                            is_target_admin),
                 "previousStatus": partnership.status}
    uow.record(event_type, user_id, data)
    uow.commit()
    partnership.status, partnership.updated_at = new_status, changed_at  # answered as stored
    return partnership


def accept(partnership_id: str, user_id: str) -> PartnershipItem:
    return with_retries(lambda: _transition(partnership_id, user_id, "accept"))


def decline(partnership_id: str, user_id: str) -> PartnershipItem:
    return with_retries(lambda: _transition(partnership_id, user_id, "decline"))


def end(partnership_id: str, user_id: str) -> PartnershipItem:
    return with_retries(lambda: _transition(partnership_id, user_id, "end"))


# ---- answering from a chat: the bots' buttons ----------------------------------------------


def reference(partnership_id: str) -> str:
    """A short reference to a partnership for a chat button (Telegram's 64 bytes hold no id naming both groups, 80
    characters): the proposing group's id and the id's own part, `<fromGroupId>-<ulid>`; an id from before, naming
    no groups, as it is. `received` finds the partnership again from it and the presser's groups."""
    named = ids.partnership_groups(partnership_id)
    if named is None:
        return partnership_id
    return ids.PARTNERSHIP_SEPARATOR.join((named[0], partnership_id.rsplit(ids.PARTNERSHIP_SEPARATOR, 1)[1]))


def received(reference_: str, user_id: str) -> str:
    """The id of the partnership a `reference` names, proposed to one of `user_id`'s groups (the invited side answers
    a proposal): the candidate ids, one a group of theirs, in one batch read after their groups' (one index query).
    A whole id is taken as it is. Not found: NotFound, as the API answers an unknown id."""
    parts = reference_.split(ids.PARTNERSHIP_SEPARATOR)
    if len(parts) != 2 or not all(parts):
        return reference_  # an id from before (one ULID), or a whole one: the transition reads it
    from_group_id, own = parts
    candidates = [ids.PARTNERSHIP_SEPARATOR.join((from_group_id, g, own)) for g in groups.group_ids_of(user_id)
                  if g != from_group_id]
    found = reads.get_many([(PartnershipItem, PartnershipItem.key(c)) for c in candidates]) if candidates else []
    for candidate, item in zip(candidates, found, strict=True):
        if item is not None:
            return candidate
    raise NotFound("That partnership proposal was not found.")


# ---- what a notice about a partnership says ------------------------------------------------


def with_names(partnership_id: str, group_ids: tuple[str, ...]) -> tuple[PartnershipItem | None, dict[str, str]]:
    """The partnership as it is now and its groups' names (none for a group not found), in one batch read: what a
    notice about it says. Group names are the groups' own, no person's."""
    partnership, *found = reads.get_many([(PartnershipItem, PartnershipItem.key(partnership_id))]
                                         + [(GroupItem, GroupItem.key(g)) for g in group_ids])
    return partnership, {g: group.name for g, group in zip(group_ids, found, strict=True) if group is not None}


# ---- a group's list of its partnerships ----------------------------------------------------

# A page's reads: its links in one query, then the caller's membership and each open link's partnership and
# partner group in one BatchGetItem (1 + 2 x 49 = 99 keys, within its 100).
PAGE, PAGE_MAX = 20, 49


@dataclass(frozen=True)
class Listed:
    """One of a group's partnerships as the group sees it: the other group by id and name, never a person."""

    partnership: PartnershipItem
    partner_group_id: str
    partner_name: str
    direction: str  # partnership_rules.SENT | RECEIVED
    status: str  # the link's: read strongly consistent
    terms: Terms


def of_group(group_id: str, user_id: str, limit: int, after: str | None) -> tuple[list[Listed], str | None]:
    """The group's partnerships its caller may see (`partnership_rules.shown`: admins every open one, members the
    active ones), `limit` links at a time in partner group id order after the page that ended at partner `after`,
    and the next page's `after` (None on the last). Declined and ended links stay in the partition and take their
    place in a page: a page may hold fewer than `limit`, even none, with a next page. The links are read strongly
    consistent (status, terms); the partnership (who proposed, when; its `updated_at` may lag a change of the
    last moment) and the partner group's name come from the batch, which also reads the caller's membership
    (not a member: 404, as an unknown group). A link whose partnership the batch does not see yet (proposed the
    moment before) is left out until the next read."""
    page, more = reads.prefix_page(PartnerLinkItem, f"GROUP#{group_id}", "PARTNER#", limit, after)
    page = [link for link in page if link.status in OPEN]
    caller, *found = reads.get_many(
        [(MembershipItem, MembershipItem.key(group_id, user_id))]
        + [key for link in page for key in ((PartnershipItem, PartnershipItem.key(link.partnership_id)),
                                            (GroupItem, GroupItem.key(link.partner_group_id)))])
    role = groups.checked_member(group_id, caller).role
    listed = []
    for link, partnership, partner in zip(page, found[::2], found[1::2], strict=True):
        if partnership is None or partner is None or not partnership_rules.shown(role, link.status):
            continue
        listed.append(Listed(partnership, link.partner_group_id, partner.name,
                             partnership_rules.direction(group_id, partnership.from_group_id), link.status,
                             Terms.of(link.terms)))
    return listed, more


# ---- partner sets: every active partner of a group in one item ----------------------------


def set_keys(group_ids) -> list[tuple[type[PartnerSetItem], tuple[str, str]]]:
    return [(PartnerSetItem, PartnerSetItem.key(g)) for g in group_ids]


def partners_in(group_id: str, item: PartnerSetItem | None) -> list[Partner]:
    """The group's active partners from its partner set; a group from before partner sets has
    none, and its links are queried instead (until its next partnership change writes the set)."""
    if item is None:
        return active_partners(group_id)
    return [Partner(other, pid, Terms(float(d), float(r), int(c)))
            for other, (pid, d, r, c) in sorted(json.loads(item.partners).items())]


def _write_partner_set(uow: UnitOfWork, group_id: str, current: PartnerSetItem | None, other: str,
                       partnership_id: str, terms: Terms | None) -> None:
    """Add (`terms`) or drop `other` in the group's partner set: the whole item, on the version read."""
    entries = {p.group_id: [p.partnership_id, p.terms.max_distance_km, p.terms.min_reputation,
                            p.terms.max_claims_per_member_per_week] for p in partners_in(group_id, current)}
    if terms is None:
        entries.pop(other, None)
    else:
        entries[other] = [partnership_id, terms.max_distance_km, terms.min_reputation,
                          terms.max_claims_per_member_per_week]
    version = int(current.version) if current is not None else 0
    item = PartnerSetItem(*PartnerSetItem.key(group_id), partners=json.dumps(entries, sort_keys=True),
                          version=version + 1)
    condition = PartnerSetItem.version == version if current is not None else PartnerSetItem.pk.does_not_exist()
    uow.save(item, condition)  # a lost race is a ConcurrentUpdate: the transition is retried


def _keep_admin(uow: UnitOfWork, member: MembershipItem) -> None:
    """Check in `uow` that the caller's admin membership is as read as it commits: an admin who left meanwhile does
    not answer for the group (a ConcurrentUpdate: the retry reads again and decides on what is there)."""
    uow.check(MembershipItem, MembershipItem.key(member.group_id, member.user_id), groups.as_read(member),
              on_fail=ConcurrentUpdate("Your membership changed meanwhile."))


def _keep_someone_in(uow: UnitOfWork, group_id: str, *, on_fail: DomainError) -> None:
    """Check in `uow` that the group still has members as it commits: once its last member left, nobody is there to
    answer for a partnership with it (its last admin left with them)."""
    uow.check(GroupItem, GroupItem.key(group_id), GroupItem.member_count > 0, on_fail=on_fail)


def _is_admin(member: MembershipItem | None) -> bool:
    return member is not None and member.role == groups.ADMIN


def active_partners(group_id: str) -> list[Partner]:
    links = PartnerLinkItem.query(
        f"GROUP#{group_id}",
        PartnerLinkItem.sk.startswith("PARTNER#"),
        filter_condition=PartnerLinkItem.status == ACTIVE,
    )
    return [Partner(link.partner_group_id, link.partnership_id, Terms.of(link.terms)) for link in links]


def link_keys(group_ids: list[str], partner_group_id: str) -> list:
    """The keys of each of `group_ids`' link to `partner_group_id` (for `link_of`, in one batch with other reads)."""
    return [(PartnerLinkItem, PartnerLinkItem.key(g, partner_group_id)) for g in group_ids]


def link_of(group_ids: list[str], links: list[PartnerLinkItem | None]) -> Partner | None:
    """The active partnership through which members of `group_ids` reach the group `links` (`link_keys`, read in
    that order) lead to: where several of their groups have one, the widest terms (`visibility.wider`), as
    discovery takes them, so the list, the single read and the claim judge the same terms."""
    chosen = None
    for group_id, link in zip(group_ids, links, strict=True):
        if link is not None and link.status == ACTIVE:
            partner = Partner(link.partner_group_id, link.partnership_id, Terms.of(link.terms), seen_from=group_id)
            if visibility.wider(partner.terms, chosen.terms if chosen else None):
                chosen = partner
    return chosen


def partner_link(group_ids: list[str], partner_group_id: str) -> Partner | None:
    """`link_of` the links of `group_ids` to `partner_group_id`: every group's link in one batch, whatever the number
    of groups (one read per group before)."""
    return link_of(group_ids, reads.get_many(link_keys(group_ids, partner_group_id)))


def keep_link(uow: UnitOfWork, partner: Partner, *, on_fail: DomainError) -> None:
    """Check in `uow` that the link `link_of` found is still this active partnership as it commits
    (an end or a new partnership landing meanwhile fails it)."""
    uow.check(PartnerLinkItem, PartnerLinkItem.key(partner.seen_from, partner.group_id),
              (PartnerLinkItem.status == ACTIVE) & (PartnerLinkItem.partnership_id == partner.partnership_id),
              on_fail=on_fail)


def terms_view(terms: Terms) -> dict:
    return {
        "maxDistanceKm": terms.max_distance_km,
        "minReputation": terms.min_reputation,
        "maxClaimsPerMemberPerWeek": terms.max_claims_per_member_per_week,
    }
