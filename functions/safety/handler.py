"""Safety function: group claim quotas, reports, moderation and appeals."""

from __future__ import annotations

from foodshare.api import safety as shapes
from foodshare.api.http import build_resolver, caller_id, created, entrypoint
from foodshare.api.safety import (
    AppealDecisionRequest,
    AppealRequest,
    AppointModeratorRequest,
    ClaimQuotaRequest,
    ClaimQuotaView,
    ModerationActionRequest,
    ReportRequest,
    ReportView,
)
from foodshare.domain import groups, moderation, reports, standing
from foodshare.domain.fairness import GroupQuota

app = build_resolver()


def _quota_view(group_id: str, quota: GroupQuota | None) -> dict:
    return ClaimQuotaView(
        group_id=group_id,
        max_claims=quota.max_claims if quota else None,
        window_hours=quota.window_hours if quota else None,
        lift_hours=quota.lift_hours if quota else None,
    ).dump()


@app.get("/groups/<groupId>/claim-quota")
def get_claim_quota(groupId: str):
    groups.require_member(groupId, caller_id(app))
    return _quota_view(groupId, standing.group_quota(groupId))


@app.put("/groups/<groupId>/claim-quota")
def set_claim_quota(groupId: str, body: ClaimQuotaRequest):
    quota = GroupQuota(body.max_claims, body.window_hours, body.lift_hours)
    return _quota_view(groupId, standing.set_group_quota(groupId, caller_id(app), quota))


@app.delete("/groups/<groupId>/claim-quota")
def remove_claim_quota(groupId: str):
    return _quota_view(groupId, standing.set_group_quota(groupId, caller_id(app), None))


@app.post("/reports")
def file_report(body: ReportRequest):
    report = reports.file(caller_id(app), body.subject_type, body.subject_id, body.reason, body.details)
    return created(ReportView(report_id=report.report_id, subject_type=report.subject_type,
                              subject_id=report.subject_id, reason=report.reason, status=report.status,
                              created_at=report.created_at).dump())


@app.post("/groups/<groupId>/moderators")
def appoint_moderator(groupId: str, body: AppointModeratorRequest):
    member = moderation.appoint_moderator(groupId, caller_id(app), body.member_id)
    return shapes.ModeratorView(group_id=groupId, member_id=member.user_id, role=member.role).dump()


@app.get("/groups/<groupId>/moderation")
def get_moderation(groupId: str):
    return shapes.moderation_view(groupId, moderation.queue(groupId, caller_id(app)))


@app.post("/groups/<groupId>/moderation/actions")
def take_action(groupId: str, body: ModerationActionRequest):
    request = moderation.ActionRequest(body.action, body.reason, body.report_id, body.member_id, body.food_id,
                                       body.days)
    return created(shapes.action_view(moderation.act(groupId, caller_id(app), request)))


@app.get("/me/moderation")
def my_moderation():
    return {"actions": [shapes.action_view(a) for a in moderation.actions_about(caller_id(app))]}


@app.post("/appeals")
def file_appeal(body: AppealRequest):
    item = moderation.appeal(caller_id(app), body.action_id, body.statement)
    return created(shapes.AppealDecisionView(appeal_id=item.appeal_id, action_id=item.action_id,
                                             status=item.status).dump())


@app.post("/appeals/<appealId>/decision")
def decide_appeal(appealId: str, body: AppealDecisionRequest):
    item = moderation.decide(appealId, caller_id(app), body.outcome, body.reason)
    return shapes.AppealDecisionView(appeal_id=item.appeal_id, action_id=item.action_id, status=item.status).dump()


handler = entrypoint(app)
