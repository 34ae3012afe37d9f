"""Groups function: groups, invites, membership and partnerships between groups."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from foodshare import cursors
from foodshare.api import models, views
from foodshare.api.contract import private
from foodshare.api.http import build_resolver, caller_id, entrypoint
from foodshare.api.requests import CreateGroupRequest, JoinGroupRequest, ProposePartnershipRequest
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


@app.post("/groups/<groupId>/invites", operation_id="createInvite", summary="A new invite code (admins only)",
          **private(201, "not_found", "forbidden", "concurrent_update", "account_erased"))
def create_invite(groupId: str) -> models.Invite:
    invite = groups.create_invite(groupId, caller_id(app))
    return models.Invite(invite_code=invite.code, group_id=groupId, expires_at=invite.expires_at)


@app.post("/groups/join", operation_id="joinGroup", summary="Join a group with an invite code",
          **private(200, "disclaimer_not_accepted", "invite_not_found", "not_found", "invite_expired", "already_member",
                    "banned", "pseudonym_unavailable", "concurrent_update", "account_erased"))
def join_group(body: JoinGroupRequest) -> models.Group:
    user_id = caller_id(app)
    group, member = groups.join(user_id, body.invite_code.strip().upper(), body.accepted_disclaimer_version)
    return views.group(group, member)


@app.delete("/groups/<groupId>/members/me", operation_id="leaveGroup", summary="Leave a group",
            **private(200, "not_found", "last_admin", "concurrent_update"))
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
