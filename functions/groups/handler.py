"""Groups function: groups, invites, membership and partnerships between groups."""

from __future__ import annotations

from foodshare.api import views
from foodshare.api.http import build_resolver, caller_id, created, entrypoint
from foodshare.api.requests import CreateGroupRequest, JoinGroupRequest, ProposePartnershipRequest
from foodshare.cache import group_reads
from foodshare.domain import groups, partnerships, users
from foodshare.errors import NotFound

app = build_resolver()


@app.post("/groups")
def create_group(body: CreateGroupRequest):
    user_id = caller_id(app)
    users.ensure(user_id)
    group, member = groups.create(user_id, body.name, body.description, disclaimer=body.disclaimer)
    return created(views.group(group, member))


@app.get("/groups/<groupId>")
def get_group(groupId: str):
    member = groups.require_member(groupId, caller_id(app))
    group = groups.find(groupId)
    if group is None:
        raise NotFound(f"Group {groupId} not found.")
    return views.group(group, member)


@app.post("/groups/<groupId>/invites")
def create_invite(groupId: str):
    invite = groups.create_invite(groupId, caller_id(app))
    return created({"inviteCode": invite.code, "groupId": groupId, "expiresAt": invite.expires_at})


@app.post("/groups/join")
def join_group(body: JoinGroupRequest):
    user_id = caller_id(app)
    users.ensure(user_id)
    group, member = groups.join(user_id, body.invite_code.strip().upper(), body.accepted_disclaimer_version)
    return views.group(group, member)


@app.delete("/groups/<groupId>/members/me")
def leave_group(groupId: str):
    groups.leave(groupId, caller_id(app))
    return {"groupId": groupId, "left": True}


@app.post("/groups/<groupId>/partnerships")
def propose_partnership(groupId: str, body: ProposePartnershipRequest):
    terms = partnerships.Terms(
        body.terms.max_distance_km, body.terms.min_reputation, body.terms.max_claims_per_member_per_week
    )
    partnership = partnerships.propose(groupId, caller_id(app), body.target_group_id, terms)
    return created(views.partnership(partnership))


@app.post("/partnerships/<partnershipId>/accept")
def accept_partnership(partnershipId: str):
    return views.partnership(partnerships.accept(partnershipId, caller_id(app)))


@app.post("/partnerships/<partnershipId>/decline")
def decline_partnership(partnershipId: str):
    return views.partnership(partnerships.decline(partnershipId, caller_id(app)))


@app.delete("/partnerships/<partnershipId>")
def end_partnership(partnershipId: str):
    return views.partnership(partnerships.end(partnershipId, caller_id(app)))


@app.get("/groups/<groupId>/summary")
def get_group_summary(groupId: str):
    groups.require_member(groupId, caller_id(app))
    return group_reads.group_summary(groupId)


@app.get("/groups/<groupId>/leaderboard")
def get_group_leaderboard(groupId: str):
    user_id = caller_id(app)
    groups.require_member(groupId, user_id)
    return {"groupId": groupId, "leaders": [views.leader(rank, p, groupId, user_id) for rank, p in
                                              enumerate(group_reads.leaderboard(groupId), start=1)]}


handler = entrypoint(app)
