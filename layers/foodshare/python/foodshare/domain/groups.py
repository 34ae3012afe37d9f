"""Groups, invites and membership. The creator is the first admin; a group with members keeps at least one."""

from __future__ import annotations

from datetime import timedelta

from pynamodb.expressions.condition import Condition

from foodshare import clock, ids
from foodshare.data import reads
from foodshare.data.models import (BanItem, ConsentItem, GroupItem, GroupPseudonymItem, InviteItem, MembershipItem,
                                    OpenPostsItem, PartnerSetItem, UserItem)
from foodshare.data.transaction import UnitOfWork, with_retries
from foodshare.domain import identities, invite_rules, membership_rules, users
from foodshare.errors import ConcurrentUpdate, Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from foodshare.settings import get_settings

ADMIN = "admin"
MEMBER = "member"


def find(group_id: str) -> GroupItem | None:
    try:
        return GroupItem.get(*GroupItem.key(group_id))
    except GroupItem.DoesNotExist:
        return None


def membership(group_id: str, user_id: str) -> MembershipItem | None:
    try:
        return MembershipItem.get(*MembershipItem.key(group_id, user_id))
    except MembershipItem.DoesNotExist:
        return None


def require_member(group_id: str, user_id: str) -> MembershipItem:
    """The caller's membership; a group the caller is not in is reported as not found."""
    return checked_member(group_id, membership(group_id, user_id))


def require_admin(group_id: str, user_id: str) -> MembershipItem:
    return checked_admin(group_id, membership(group_id, user_id))


def as_member(group_id: str, user_id: str) -> tuple[GroupItem, MembershipItem]:
    """The group and the caller's membership of it, in one batch (a group the caller is not in is not found)."""
    member, group = reads.get_many([(MembershipItem, MembershipItem.key(group_id, user_id)),
                                    (GroupItem, GroupItem.key(group_id))])
    member = checked_member(group_id, member)
    if group is None:
        raise NotFound(f"Group {group_id} not found.")
    return group, member


def checked_member(group_id: str, member: MembershipItem | None) -> MembershipItem:
    """`require_member` of a membership the caller read (e.g. in a batch with what it is about to use)."""
    if member is None:
        raise NotFound(f"Group {group_id} not found.")
    return member


def checked_admin(group_id: str, member: MembershipItem | None) -> MembershipItem:
    """`require_admin` of a membership the caller read."""
    member = checked_member(group_id, member)
    if member.role != ADMIN:
        raise Forbidden("Only a group admin may do this.")
    return member


def keep_member(uow: UnitOfWork, group_id: str, user_id: str, *, on_fail: DomainError) -> None:
    """Check in `uow` that the membership still exists as it commits: what a membership allowed (read or taken
    for granted) must not land for someone banned, removed or gone between the read and the write."""
    uow.check(MembershipItem, MembershipItem.key(group_id, user_id), MembershipItem.pk.exists(), on_fail=on_fail)


def group_ids_of(user_id: str) -> list[str]:
    """Every group the user belongs to (one index query)."""
    return [
        m.group_id
        for m in MembershipItem.by_user.query(f"USER#{user_id}", MembershipItem.by_user_sk.startswith("GROUP#"))
    ]


def admin_ids(group_id: str) -> list[str]:
    """The group's admins (one query of its members' partition, admins kept by a filter: what a notice to the group's
    admins reads; the filter saves bytes returned, not items read, so a large group reads all its members)."""
    return [m.user_id for m in MembershipItem.query(f"GROUP#{group_id}", MembershipItem.sk.startswith("MEMBER#"),
                                                     filter_condition=MembershipItem.role == ADMIN)]


PAGE, PAGE_MAX = 20, 50  # two keys a group: a page's batch stays one BatchGetItem (100 keys)


def of_member(user_id: str, limit: int, after: str | None
              ) -> tuple[list[tuple[GroupItem, MembershipItem]], str | None]:
    """The person's groups with their membership of each, newest group first, `limit` at a time after the page that
    ended at `after` (its cursor); and the next page's `after` (None on the last). One index query (the
    memberships' `by_user` entries), then each membership and group by key in one batch: the membership as it is now
    (a group left meanwhile drops out; the role and pseudonym are the current ones)."""
    entries, more = reads.by_user_page(user_id, "GROUP#", limit, after, attributes=("group_id",))
    group_ids = [entry["group_id"]["S"] for entry in entries]
    found = reads.get_many([key for group_id in group_ids for key in (
        (MembershipItem, MembershipItem.key(group_id, user_id)), (GroupItem, GroupItem.key(group_id)))])
    return [(group, member) for member, group in zip(found[::2], found[1::2], strict=True)
            if member is not None and group is not None], more


def _membership(group_id: str, user_id: str, role: str, now: str, pseudonym: str | None = None) -> MembershipItem:
    return MembershipItem(
        *MembershipItem.key(group_id, user_id),
        group_id=group_id,
        user_id=user_id,
        role=role,
        joined_at=now,
        pseudonym=pseudonym,
        by_user_pk=f"USER#{user_id}",
        by_user_sk=f"GROUP#{group_id}",
    )


def create(
    user_id: str, name: str, description: str | None, uow: UnitOfWork | None = None, disclaimer: str | None = None
) -> tuple[GroupItem, MembershipItem]:
    """Create a group with its creator as admin; with `uow`, as part of the caller's change (the caller commits)."""
    commit = uow is None
    uow = uow or UnitOfWork()
    now = clock.now_iso()
    group_id = ids.new_id()
    group = GroupItem(
        *GroupItem.key(group_id),
        group_id=group_id,
        name=name,
        description=description,
        member_count=1,
        admin_count=1,
        disclaimer=disclaimer,
        disclaimer_version=1 if disclaimer else None,
        created_by=user_id,
        created_at=now,
    )
    member = _membership(group_id, user_id, ADMIN, now)
    member.pseudonym = identities.claim_pseudonym(uow, group_id, user_id, 0)  # a new group: nobody else has one
    uow.save(group, GroupItem.pk.does_not_exist())
    uow.save(member, MembershipItem.pk.does_not_exist())
    # Its creator's account is not being erased as it commits (403 `account_erased`): a group landing after the
    # erasure's wind-down left their groups would keep them as its admin.
    users.keep_acting(uow, user_id)
    uow.save(PartnerSetItem(*PartnerSetItem.key(group_id)), PartnerSetItem.pk.does_not_exist())  # no partners yet
    uow.save(OpenPostsItem(*OpenPostsItem.key(group_id), complete=True), OpenPostsItem.pk.does_not_exist())  # no posts
    if disclaimer:  # its author accepts it too
        _consent(uow, user_id, group_id, 1, now)
    uow.record("GroupCreated", user_id, {"groupId": group_id, "name": name, "createdBy": user_id})
    uow.record("MemberJoined", user_id, {"groupId": group_id, "userId": user_id, "role": ADMIN})
    if commit:
        uow.commit()
    return group, member


def _consent(uow: UnitOfWork, user_id: str, group_id: str, version: int, at: str) -> None:
    uow.save(ConsentItem(*ConsentItem.key(user_id, group_id, version), user_id=user_id, group_id=group_id,
                         version=version, accepted_at=at))


def create_invite(group_id: str, user_id: str, max_uses: int | None = None,
                  expires_in_hours: int | None = None) -> InviteItem:
    """A new invite to the group by one of its admins (`invite_by`)."""
    return invite_by(group_id, user_id, max_uses, expires_in_hours)[0]


def invite_by(group_id: str, user_id: str, max_uses: int | None = None,
              expires_in_hours: int | None = None) -> tuple[InviteItem, MembershipItem]:
    """A new invite to the group by one of its admins, with the admin's membership (who made it): usable `max_uses`
    times (None: any number) until `expires_in_hours` from now (None: the longest, INVITE_TTL_HOURS)."""
    most = get_settings().invite_ttl_hours
    if (problem := invite_rules.lifetime_problem(expires_in_hours, most)) is not None:
        raise ValidationFailed("The invite's lifetime is not valid.", fields={"expiresInHours": problem})
    member = require_admin(group_id, user_id)
    now = clock.now()
    expires = now + timedelta(hours=expires_in_hours or most)
    code = ids.invite_code(group_id)
    invite = InviteItem(
        *InviteItem.in_group(group_id, code),
        code=code,
        group_id=group_id,
        created_by=user_id,
        created_at=clock.iso(now),
        expires_at=clock.iso(expires),
        expires_at_epoch=expires,
        max_uses=max_uses,
        uses=0,
    )
    uow = UnitOfWork()
    uow.save(invite, InviteItem.pk.does_not_exist())
    users.keep_acting(uow, user_id)
    uow.record("InviteCreated", user_id, {"groupId": group_id, "expiresAt": invite.expires_at})
    uow.commit()
    return invite, member


INVITES_PAGE, INVITES_PAGE_MAX = 20, 50  # a page's creators and the caller: one BatchGetItem (100 keys)


def invites(group_id: str, user_id: str, limit: int, after: str | None
            ) -> tuple[list[tuple[InviteItem, MembershipItem]], str | None]:
    """The group's live invites (for its admins), each with its creator's membership (who made it, as the group knows
    them), `limit` at a time in code order after the page that ended at `after`; and the next page's `after` (None on
    the last). One query of the group's invites, then the caller's and the creators' memberships in one batch. An
    invite that no longer lets anyone join (expired, revoked, used up, its creator no admin any more) is left out,
    so a page may hold fewer than `limit`, even none, with a next page. Invites from before API 5.2.0 are not in the
    group's partition: not listed (they expire within INVITE_TTL_HOURS of their making)."""
    page, more = reads.prefix_page(InviteItem, f"GROUP#{group_id}", "INVITE#", limit, after)
    creators = list(dict.fromkeys(invite.created_by for invite in page))
    caller, *memberships = reads.get_many([(MembershipItem, MembershipItem.key(group_id, who))
                                           for who in (user_id, *creators)])
    checked_admin(group_id, caller)
    role_of = {who: m for who, m in zip(creators, memberships, strict=True) if m is not None}
    now = clock.now_iso()
    live = [(invite, role_of[invite.created_by]) for invite in page
            if invite_rules.refusal(**_state(invite), now=now,
                                    creator_role=getattr(role_of.get(invite.created_by), "role", None)) is None]
    return live, more


def revoke_invite(group_id: str, user_id: str, code: str) -> InviteItem:
    """Revoke one of the group's invites (its admins): joins with it answer 409 `invite_revoked` from then on. Asked
    again, the invite as the first revocation left it."""
    return with_retries(lambda: _revoke_invite(group_id, user_id, code))


def _revoke_invite(group_id: str, user_id: str, code: str) -> InviteItem:
    caller, *found = reads.get_many([(MembershipItem, MembershipItem.key(group_id, user_id)),
                                     (InviteItem, InviteItem.in_group(group_id, code)),
                                     (InviteItem, InviteItem.key(code))])  # an invite from before API 5.2.0
    checked_admin(group_id, caller)
    invite = next((i for i in found if i is not None and i.group_id == group_id), None)
    if invite is None:
        raise NotFound("The group has no invite with this code.", code="invite_not_found")
    if invite.revoked_at is not None:
        return invite
    invite.revoked_at = clock.now_iso()
    uow = UnitOfWork()
    uow.update(invite, [InviteItem.revoked_at.set(invite.revoked_at)],
               InviteItem.pk.exists() & InviteItem.revoked_at.does_not_exist(),
               on_fail=ConcurrentUpdate("The invite changed meanwhile."))  # read again: revoked or purged
    users.keep_acting(uow, user_id)
    uow.record("InviteRevoked", user_id, {"groupId": group_id})
    uow.commit()
    return invite


def _state(invite: InviteItem) -> dict:
    """What `invite_rules.refusal` decides on, from the item (an invite from before API 5.2.0 has no uses)."""
    return {"expires_at": invite.expires_at, "revoked": invite.revoked_at is not None,
            "uses": int(invite.uses or 0), "max_uses": int(invite.max_uses) if invite.max_uses is not None else None}


def join(user_id: str, code: str, accepted_version: int | None = None) -> tuple[GroupItem, MembershipItem]:
    """Join with an invite; a group with a disclaimer needs its current version accepted (recorded as consent).
    Read again when the invite changed between the read and the join's transaction (a use, a revocation)."""
    return with_retries(lambda: _join(user_id, code, accepted_version))


def _join(user_id: str, code: str, accepted_version: int | None) -> tuple[GroupItem, MembershipItem]:
    """Registers the person on first contact: their profile comes in the invite's read, and so does the group when
    the code names it (codes since issue 15), with the invite where API 5.2.0 keeps it (the group's partition) and
    where it was before (the invite's group_id decides; a code without a group reads the group after)."""
    named = ids.invite_group(code)
    legacy = [(InviteItem, InviteItem.key(code)), (UserItem, UserItem.key(user_id))]
    if named:
        invite, old, profile, group_read = reads.get_many([(InviteItem, InviteItem.in_group(named, code)), *legacy,
                                                           (GroupItem, GroupItem.key(named))])
        invite = invite or old
    else:
        (invite, profile), group_read = reads.get_many(legacy), None
    if profile is None:
        users.ensure(user_id)
    users.refuse_if_erasing(profile)  # a frozen account (DELETE /me) can no longer act
    if invite is None:
        raise NotFound("Invite code not found.", code="invite_not_found", fields={"inviteCode": "unknown code"})
    state = _state(invite)
    refused = invite_rules.refusal(**state, now=clock.now_iso())  # the creator's role: in the transaction (`_use`)
    if refused is None and invite.created_by == user_id:  # its creator, joining: no admin of the group any more
        refused = invite_rules.REVOKED if membership(invite.group_id, user_id) is None else None
    if refused is not None:
        raise Conflict(invite_rules.message(refused, revoked=state["revoked"]), code=refused)
    group = group_read if named == invite.group_id else find(invite.group_id)
    if group is None:
        raise NotFound("The invite's group no longer exists.", code="invite_not_found")
    return _admit(group, user_id, accepted_version, invite)


def add_member(group_id: str, user_id: str) -> tuple[GroupItem, MembershipItem]:
    """Admit a user whose membership is vouched for elsewhere (a member of the group's linked chat)."""
    group = find(group_id)
    if group is None:
        raise NotFound(f"Group {group_id} not found.")
    return _admit(group, user_id)


def _admit(group: GroupItem, user_id: str, accepted_version: int | None = None,
           invite: InviteItem | None = None) -> tuple[GroupItem, MembershipItem]:
    """Join with the group's first free pseudonym candidate for this person (through `invite`, when one is used)."""
    version = int(group.disclaimer_version) if group.disclaimer_version else None
    if version is not None and accepted_version != version:
        raise ValidationFailed(
            f"Joining this group means accepting its disclaimer (version {version}): {group.disclaimer}",
            code="disclaimer_not_accepted",
            fields={"acceptedDisclaimerVersion": f"must be {version}, the version of the disclaimer you accept"},
        )
    for attempt in range(identities.PSEUDONYM_ATTEMPTS):
        try:
            return _admit_as(group, user_id, attempt, version, invite)
        except identities.PseudonymTaken:
            continue
    raise Conflict("Could not allocate a unique pseudonym in this group; please retry.", code="pseudonym_unavailable")


def _admit_as(group: GroupItem, user_id: str, attempt: int, version: int | None,
              invite: InviteItem | None) -> tuple[GroupItem, MembershipItem]:
    member = _membership(group.group_id, user_id, MEMBER, clock.now_iso())
    uow = UnitOfWork()
    if version is not None:
        _consent(uow, user_id, group.group_id, version, member.joined_at)
    uow.save(  # first: "already a member" wins over the pseudonym claim the member still holds
        member,
        MembershipItem.pk.does_not_exist(),
        on_fail=Conflict("You are already a member of this group.", code="already_member"),
    )
    member.pseudonym = identities.claim_pseudonym(uow, group.group_id, user_id, attempt)
    uow.update(group, [GroupItem.member_count.add(1)], GroupItem.pk.exists())
    # A member banned by the group's moderators (domain/moderation.py) cannot come back by invite or chat.
    uow.check(BanItem, BanItem.key(group.group_id, user_id), BanItem.pk.does_not_exist(),
              on_fail=Forbidden("You have been banned from this group.", code="banned"))
    # Nor does anyone whose erasure began meanwhile: a membership landing after the wind-down would outlive it.
    # (The check is the update taking the group out of their departed groups: their posts in it are claimable.)
    users.keep_acting(uow, user_id, joining=group.group_id)
    if invite is not None:
        _use(uow, invite, user_id)
    uow.record("MemberJoined", user_id, {"groupId": group.group_id, "userId": user_id, "role": MEMBER})
    uow.commit()
    group.member_count += 1
    return group, member


def _use(uow: UnitOfWork, invite: InviteItem, joiner_id: str) -> None:
    """Count the join as one use of `invite` in its transaction, which holds only while the invite still lets
    someone join (`invite_rules`) and its creator is still an admin of the group: of two joins racing for its last
    use one wins, and a join that fails otherwise (already a member, banned, erasing) uses nothing. A change to the
    invite meanwhile (a use, a revocation) reads it again (`join`'s retries), which then says why it is refused."""
    now = clock.now_iso()
    has_uses = InviteItem.max_uses.does_not_exist() | (InviteItem.uses < InviteItem.max_uses)
    uow.update(invite, [InviteItem.uses.add(1)],
               InviteItem.pk.exists() & InviteItem.revoked_at.does_not_exist() & (InviteItem.expires_at > now)
               & has_uses,
               on_fail=ConcurrentUpdate("The invite changed meanwhile."))
    if invite.created_by != joiner_id:  # its creator, still a member: the membership's own condition answers
        uow.check(MembershipItem, MembershipItem.key(invite.group_id, invite.created_by), MembershipItem.role == ADMIN,
                  on_fail=Conflict(invite_rules.CREATOR_GONE, code=invite_rules.REVOKED))


def leave(group_id: str, user_id: str) -> None:
    """Leave a group. Its last admin hands it over first, in the same transaction, to the longest-standing other
    member (`membership_rules`: as the erasure's wind-down, which leaves through here too); the last member leaving
    empties it."""
    with_retries(lambda: _leave(group_id, user_id))


def _leave(group_id: str, user_id: str) -> None:
    """Decided on what was read, and holds only while it is as read: the leaver's membership (`as_read`: a role
    changed meanwhile, the group handed to this member, reads again and decides on the new role), the heir's (who
    left, was removed or changed meanwhile: the next one is chosen) and the group's counts (another admin leaving at
    once, someone joining a group of one). So a group with members always has an admin and `admin_count` cannot
    drift. One batch read; the last admin of a group with others also queries its members (the heir)."""
    member, group = reads.get_many([(MembershipItem, MembershipItem.key(group_id, user_id)),
                                    (GroupItem, GroupItem.key(group_id))])  # one read for both
    if member is None or group is None:
        raise NotFound(f"Group {group_id} not found.")
    heir = None
    if membership_rules.needs_heir(member.role, int(group.admin_count), int(group.member_count)):
        heir = membership_rules.heir_of(MembershipItem.query(f"GROUP#{group_id}", MembershipItem.sk.startswith(
            "MEMBER#"), consistent_read=True), user_id)  # none found: the counts' condition fails, read again
    uow = UnitOfWork()
    uow.delete(member, as_read(member), on_fail=ConcurrentUpdate("The membership changed meanwhile."))
    release_pseudonym(uow, member)
    if heir is not None:
        uow.update(heir, [MembershipItem.role.set(ADMIN)], as_read(heir),
                   on_fail=ConcurrentUpdate("The group's longest-standing member changed meanwhile."))
        uow.record("AdminHandedOver", user_id, {"groupId": group_id, "userId": heir.user_id})
    actions, condition = _departure(member.role, group, handing_over=heir is not None)
    uow.update(group, actions, condition, on_fail=ConcurrentUpdate("The group's members changed meanwhile."))
    # Their posts there are refused to claims from now on. (No profile: the erasure's sweep is moving it, and takes
    # the membership next: answered as a membership already gone.)
    users.record_departure(uow, user_id, group_id, on_fail=NotFound(f"Group {group_id} not found."))
    uow.record("MemberLeft", user_id, {"groupId": group_id, "userId": user_id})
    uow.commit()


def release_pseudonym(uow: UnitOfWork, member: MembershipItem) -> None:
    """Free in `uow` the pseudonym of a membership it ends (a leave, a moderator's removal or ban): the name no
    longer points at the person, and they get it back if they return. The membership's delete must hold for the
    pseudonym read (`as_read`)."""
    if member.pseudonym:  # none on a membership from before pseudonyms were claimed
        uow.delete(GroupPseudonymItem(*GroupPseudonymItem.key(member.group_id, member.pseudonym)))


def _departure(role: str, group: GroupItem, *, handing_over: bool) -> tuple[list, Condition]:
    """The group's counts as a member of `role` leaves, and the condition they may change on: a leaving admin
    needs another admin to remain, or nobody else to; one handing the group over (one admin goes, one comes), the
    admins as counted."""
    if role != ADMIN:
        return [GroupItem.member_count.add(-1)], GroupItem.pk.exists()
    if handing_over:
        return [GroupItem.member_count.add(-1)], GroupItem.pk.exists() & (GroupItem.admin_count == group.admin_count)
    return ([GroupItem.member_count.add(-1), GroupItem.admin_count.add(-1)],
            GroupItem.pk.exists() & ((GroupItem.admin_count > 1) | (GroupItem.member_count == 1)))


def as_read(member: MembershipItem) -> Condition:
    """The membership still exists with the role (and pseudonym) a decision read: for writes decided on them."""
    return (MembershipItem.role == member.role) & same_pseudonym(member)


def same_pseudonym(member: MembershipItem) -> Condition:
    """The membership still holds the pseudonym read (or still none): for a delete that frees it
    (`release_pseudonym`), which must not free another name than the one it ends."""
    return (MembershipItem.pseudonym == member.pseudonym if member.pseudonym
            else MembershipItem.pseudonym.does_not_exist())


def names(group_ids: set[str]) -> dict[str, str]:
    """Group names for display, fetched in one batch."""
    keys = [GroupItem.key(g) for g in group_ids]
    return {g.group_id: g.name for g in GroupItem.batch_get(keys)} if keys else {}
