"""Safety function: group claim quotas, reports, moderation and appeals (docs/trust-safety.md)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from foodshare import cursors
from foodshare.api import models, views
from foodshare.api.contract import private
from foodshare.api.http import build_resolver, caller_id, entrypoint
from foodshare.api.requests import (
    AppealDecisionRequest,
    AppealRequest,
    AppointModeratorRequest,
    ClaimQuotaRequest,
    ModerationActionRequest,
    ReportRequest,
)
from foodshare.domain import moderation, reports, standing
from foodshare.domain import moderation_rules as rules
from foodshare.domain.fairness import GroupQuota

app = build_resolver()


@app.get("/groups/<groupId>/claim-quota", operation_id="getClaimQuota",
         summary="The group's claim quota (null fields: none)", **private(200, "not_found"))
def get_claim_quota(groupId: str) -> models.ClaimQuota:
    return views.claim_quota(groupId, standing.group_quota_for_member(groupId, caller_id(app)))


@app.put("/groups/<groupId>/claim-quota", operation_id="setClaimQuota",
         summary="Set the group's claim quota: at most N claims per member per rolling window (admins only)",
         **private(200, "not_found", "forbidden", "concurrent_update", "account_erased"))
def set_claim_quota(groupId: str, body: ClaimQuotaRequest) -> models.ClaimQuota:
    quota = GroupQuota(body.max_claims, body.window_hours, body.lift_hours)
    return views.claim_quota(groupId, standing.set_group_quota(groupId, caller_id(app), quota))


@app.delete("/groups/<groupId>/claim-quota", operation_id="removeClaimQuota",
            summary="Remove the group's claim quota (admins only)",
            **private(200, "not_found", "forbidden", "concurrent_update", "account_erased"))
def remove_claim_quota(groupId: str) -> models.ClaimQuota:
    return views.claim_quota(groupId, standing.set_group_quota(groupId, caller_id(app), None))


@app.post("/reports", operation_id="fileReport",
          summary="Report a user, a post or an exchange to the moderators of its group",
          **private(201, "not_found", "already_reported", "invalid_state", "concurrent_update", "account_erased"))
def file_report(body: ReportRequest) -> models.Report:
    caller = caller_id(app)
    if body.subject_type != "user":
        return views.report(reports.file(caller, body.subject_type, body.subject_id, body.reason, body.details))
    return views.report(reports.file_about_member(caller, body.subject_id, body.reason, body.details))


@app.post("/groups/<groupId>/moderators", operation_id="appointModerator",
          summary="Make an exemplary member a moderator (admins only)",
          **private(200, "not_found", "forbidden", "already_moderating", "not_exemplary", "invalid_state",
                    "concurrent_update", "account_erased"))
def appoint_moderator(groupId: str, body: AppointModeratorRequest) -> models.Moderator:
    caller = caller_id(app)
    return views.moderator(groupId, moderation.appoint_moderator(groupId, caller, body.member_handle), caller)


@app.get("/groups/<groupId>/moderation", operation_id="getModerationQueue",
         summary="Open reports with evidence, flagged members and open appeals (admins and moderators)",
         **private(200, "not_found", "forbidden"))
def get_moderation(
    groupId: str,
    limit: Annotated[int, Query(ge=1, le=rules.QUEUE_PAGE_MAX)] = rules.QUEUE_PAGE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> models.ModerationQueue:
    caller = caller_id(app)
    queue = moderation.queue(groupId, caller, limit, _after(cursor) if cursor else None)
    return views.moderation_queue(groupId, queue, caller)


def _after(cursor: str) -> str:
    """A queue cursor holds the key of the last entry its page showed (`rules.queue_key`)."""
    return cursors.decode(cursor, lambda value: isinstance(value, str) and value.startswith(rules.QUEUE_KEY_KINDS))


@app.post("/groups/<groupId>/moderation/actions", operation_id="takeModerationAction",
          summary="Dismiss, warn, remove a post, restrict, remove or ban a member, with a reason "
                  "(admins and moderators)",
          **private(201, "not_found", "forbidden", "own_report", "not_allowed_on_member", "report_closed",
                    "invalid_state", "concurrent_update", "account_erased"))
def take_action(groupId: str, body: ModerationActionRequest) -> models.ModerationAction:
    request = moderation.ActionRequest(body.action, body.reason, body.report_id, body.member_handle, body.food_id,
                                       body.days)
    return views.moderation_action(moderation.act(groupId, caller_id(app), request))


@app.get("/me/moderation", operation_id="getMyModerationActions",
         summary="Moderation actions taken about the caller, with their appeals", **private(200))
def my_moderation() -> models.ModerationActions:
    return models.ModerationActions(actions=[views.moderation_action(a) for a in moderation.actions_about(caller_id(app))])


@app.post("/appeals", operation_id="fileAppeal",
          summary="Appeal a moderation action about the caller (once per action)",
          **private(201, "not_found", "already_appealed", "concurrent_update", "account_erased"))
def file_appeal(body: AppealRequest) -> models.AppealDecision:
    return views.appeal_decision(moderation.appeal(caller_id(app), body.action_id, body.statement))


@app.post("/appeals/<appealId>/decision", operation_id="decideAppeal",
          summary="Uphold or overturn an appeal (a group admin other than whoever took the action)",
          **private(200, "not_found", "forbidden", "not_another_admin", "appeal_decided", "concurrent_update",
                    "account_erased"))
def decide_appeal(appealId: str, body: AppealDecisionRequest) -> models.AppealDecision:
    return views.appeal_decision(moderation.decide(appealId, caller_id(app), body.outcome, body.reason))


handler = entrypoint(app)
