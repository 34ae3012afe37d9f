"""Groups function: groups, invites, membership and partnerships between groups."""

from __future__ import annotations

import re
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from foodshare import cursors, ids
from foodshare.api import models, views
from foodshare.api.contract import private
from foodshare.api.http import build_resolver, caller_id, entrypoint
from foodshare.api.requests import CreateGroupRequest, CreateInviteRequest, JoinGroupRequest, ProposePartnershipRequest
from foodshare.cache import group_reads
from foodshare.domain import groups, partnerships, users

app = build_resolver()


@app.post("/groups", operation_id="createGroup", summary="Create a group; the caller becomes its admin",
          **private(201, "pseudonym_unavailable", "concurrent_update", "account_erased"))
def create_group(body: CreateGroupRequest) -> models.Group:
    user_id = caller_id(app)
    users.ensure(user_id)
    group, member = groups.create(user_id, body.name, body.description, disclaimer=body.disclaimer)
    return views.group(group, member)


@app.get("/me/groups", operation_id="getMyGroups",
         summary="The caller's groups: role, when joined, who the caller is in each; newest group first",
         **private(200))
def get_my_groups(
    limit: Annotated[int, Query(ge=1, le=groups.PAGE_MAX)] = groups.PAGE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> models.MyGroups:
    found, more = groups.of_member(caller_id(app), limit, cursors.after(cursor, cursors.ULID))
    return views.my_groups(found, more)


@app.get("/groups/<groupId>", operation_id="getGroup", summary="A group the caller belongs to",
         **private(200, "not_found"))
def get_group(groupId: str) -> models.Group:
    return views.group(*groups.as_member(groupId, caller_id(app)))


@app.post("/groups/<groupId>/invites", operation_id="createInvite",
          summary="A new invite code (admins only), for `maxUses` joins (any number when absent) until it expires",
          **private(201, "not_found", "forbidden", "concurrent_update", "account_erased"))
def create_invite(groupId: str,
                  body: Annotated[CreateInviteRequest, Body(default_factory=CreateInviteRequest)]) -> models.Invite:
    user_id = caller_id(app)
    invite, member = groups.invite_by(groupId, user_id, body.max_uses, body.expires_in_hours)
    return views.invite(invite, member, user_id)


@app.get("/groups/<groupId>/invites", operation_id="listInvites",
         summary="The group's invites that still let someone join (admins only), with their uses and creators",
         **private(200, "not_found", "forbidden"))
def list_invites(
    groupId: str,
    limit: Annotated[int, Query(ge=1, le=groups.INVITES_PAGE_MAX)] = groups.INVITES_PAGE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> models.Invites:
    user_id = caller_id(app)
    # sealed: a page ends at an invite's code (a join credential, and maybe one of an invite the list leaves out)
    seal = cursors.Seal(user_id, f"GET /groups/{groupId}/invites")
    found, more = groups.invites(groupId, user_id, limit, cursors.after(cursor, _invite_code_in(groupId), seal))
    return views.invites(found, user_id, more, seal)


@app.delete("/groups/<groupId>/invites/<code>", operation_id="revokeInvite",
            summary="Revoke an invite (admins only): joins with it answer 409 invite_revoked; asked again, the same",
            **private(200, "not_found", "forbidden", "invite_not_found", "concurrent_update", "account_erased"))
def revoke_invite(groupId: str, code: str) -> models.RevokedInvite:
    return views.revoked_invite(groups.revoke_invite(groupId, caller_id(app), code.strip().upper()))


def _invite_code_in(group_id: str) -> str:
    """The shape of the group's invite codes (a cursor of its list names the last one of a page)."""
    return re.escape(group_id) + ids.INVITE_GROUP_SEPARATOR + cursors.INVITE_SECRET


@app.post("/groups/join", operation_id="joinGroup", summary="Join a group with an invite code",
          **private(200, "disclaimer_not_accepted", "invite_not_found", "not_found", "invite_expired", "invite_used_up",
                    "invite_revoked", "already_member", "banned", "pseudonym_unavailable", "concurrent_update",
                    "account_erased"))
def join_group(body: JoinGroupRequest) -> models.Group:
    user_id = caller_id(app)
    group, member = groups.join(user_id, body.invite_code.strip().upper(), body.accepted_disclaimer_version)
    return views.group(group, member)


@app.delete("/groups/<groupId>/members/me", operation_id="leaveGroup", summary="Leave a group",
            **private(200, "not_found", "concurrent_update", description=(
                "Left. The last admin of a group with other members hands the admin role to its longest-standing "
                "other member in the same change (as an erasure does); the last member leaving empties the group.")))
def leave_group(groupId: str) -> models.LeftGroup:
    groups.leave(groupId, caller_id(app))
    return models.LeftGroup(group_id=groupId, left=True)


@app.post("/groups/<groupId>/partnerships", operation_id="proposePartnership",
          summary="Propose a partnership to another group (admins only)",
          **private(201, "not_found", "forbidden", "partnership_exists", "concurrent_update", "account_erased"))
def propose_partnership(groupId: str, body: ProposePartnershipRequest) -> models.Partnership:
    terms = partnerships.Terms(
        body.terms.max_distance_km, body.terms.min_reputation, body.terms.max_claims_per_member_per_week
    )
    return views.partnership(partnerships.propose(groupId, caller_id(app), body.target_group_id, terms))


@app.get("/groups/<groupId>/partnerships", operation_id="listPartnerships",
         summary="The group's partnerships: every open one for its admins (to answer a proposal by its id), the active "
                 "ones for its members; the other group by id and name, never a person",
         **private(200, "not_found"))
def list_partnerships(
    groupId: str,
    limit: Annotated[int, Query(ge=1, le=partnerships.PAGE_MAX)] = partnerships.PAGE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> models.GroupPartnerships:
    user_id = caller_id(app)
    # sealed: a page's last link may be one the caller is not shown (a pending proposal to a member, a declined one)
    seal = cursors.Seal(user_id, f"GET /groups/{groupId}/partnerships")
    found, more = partnerships.of_group(groupId, user_id, limit, cursors.after(cursor, cursors.ULID, seal))
    return views.group_partnerships(found, more, seal)


@app.post("/partnerships/<partnershipId>/accept", operation_id="acceptPartnership",
          summary="Accept a proposed partnership (admins of the invited group)",
          **private(200, "not_found", "forbidden", "invalid_state", "concurrent_update", "account_erased"))
def accept_partnership(partnershipId: str) -> models.Partnership:
    return views.partnership(partnerships.accept(partnershipId, caller_id(app)))


@app.post("/partnerships/<partnershipId>/decline", operation_id="declinePartnership",
          summary="Decline a proposed partnership (admins of the invited group)",
          **private(200, "not_found", "forbidden", "invalid_state", "concurrent_update", "account_erased"))
def decline_partnership(partnershipId: str) -> models.Partnership:
    return views.partnership(partnerships.decline(partnershipId, caller_id(app)))


@app.delete("/partnerships/<partnershipId>", operation_id="endPartnership",
            summary="End a partnership (admins of either group)",
            **private(200, "not_found", "forbidden", "invalid_state", "concurrent_update", "account_erased"))
def end_partnership(partnershipId: str) -> models.Partnership:
    return views.partnership(partnerships.end(partnershipId, caller_id(app)))


@app.get("/groups/<groupId>/summary", operation_id="getGroupSummary",
         summary="The group's activity over the last 30 days", **private(200, "not_found"))
def get_group_summary(groupId: str) -> models.GroupSummary:
    return models.GroupSummary.model_validate(group_reads.group_summary(groupId, caller_id(app)))  # members only


@app.get("/groups/<groupId>/leaderboard", operation_id="getGroupLeaderboard",
         summary="The group's members by reputation", **private(200, "not_found"))
def get_group_leaderboard(groupId: str) -> models.Leaderboard:
    user_id = caller_id(app)
    leaders = [views.leader(rank, p, groupId, user_id)  # members only
               for rank, p in enumerate(group_reads.leaderboard(groupId, user_id), start=1)]
    return models.Leaderboard(group_id=groupId, leaders=leaders)


handler = entrypoint(app)
