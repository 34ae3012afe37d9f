"""Safety function: group claim quotas, reports."""

from __future__ import annotations

from foodshare.api.http import build_resolver, caller_id, created, entrypoint
from foodshare.api.safety import ClaimQuotaRequest, ClaimQuotaView, ReportRequest, ReportView
from foodshare.domain import groups, reports, standing
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


handler = entrypoint(app)
