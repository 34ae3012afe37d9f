"""Request and response shapes of the trust-and-safety routes (camelCase on the wire).

Responses are pydantic models too, so they can join the typed responses of the other
routes; handlers answer `Model(...).dump()`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from foodshare.api.requests import Body
from foodshare.domain import moderation_rules, reports


class ClaimQuotaRequest(Body):
    max_claims: int = Field(ge=1, le=100, description="Claims a member may make in the window")
    window_hours: int = Field(ge=1, le=24 * 31, description="Length of the rolling window")
    lift_hours: int = Field(default=0, ge=0, le=72, description="Hours before a pickup ends when the quota is off")


class Shape(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, defer_build=True)

    def dump(self) -> dict:
        return self.model_dump(by_alias=True, mode="json")


class ClaimQuotaView(Shape):
    group_id: str
    max_claims: int | None
    window_hours: int | None
    lift_hours: int | None


SubjectType = Literal[reports.SUBJECT_TYPES]  # type: ignore[valid-type]
Reason = Literal[reports.REASONS]  # type: ignore[valid-type]


class ReportRequest(Body):
    subject_type: SubjectType
    subject_id: str = Field(min_length=1, max_length=64)
    reason: Reason
    details: str | None = Field(default=None, max_length=1000)


class ReportView(Shape):
    """A report as its reporter sees it (the subject's identity stays as they gave it)."""

    report_id: str
    subject_type: str
    subject_id: str
    reason: str
    status: str
    created_at: str


# ---- moderation ------------------------------------------------------------------------------
# The moderation view names members by `userId` (moderators must act on them); once per-group
# handles exist (issue 16) this is the one place to swap them in.


class AppointModeratorRequest(Body):
    member_id: str = Field(min_length=1, max_length=128)


class ModerationActionRequest(Body):
    action: Literal[moderation_rules.ACTIONS]  # type: ignore[valid-type]
    reason: str = Field(min_length=3, max_length=500, description="Required: why, shown to the member")
    report_id: str | None = Field(default=None, min_length=1, max_length=64)
    member_id: str | None = Field(default=None, min_length=1, max_length=128)
    food_id: str | None = Field(default=None, min_length=1, max_length=64)
    days: int | None = Field(default=None, ge=1, le=365, description="restrict: for how many days")


class AppealRequest(Body):
    action_id: str = Field(min_length=1, max_length=64)
    statement: str | None = Field(default=None, max_length=1000)


class AppealDecisionRequest(Body):
    outcome: Literal["upheld", "overturned"]
    reason: str = Field(min_length=3, max_length=500)


class MemberEvidence(Shape):
    user_id: str
    trust_level: str | None
    score: float | None
    exchanges_completed: int
    no_shows: int
    cancellations: int
    average_rating: float | None
    open_reports: int


class ReporterEvidence(Shape):
    user_id: str
    upheld: int
    dismissed: int


class ReportEntry(Shape):
    report_id: str
    subject_type: str
    subject_id: str
    reason: str
    details: str | None
    created_at: str
    member: MemberEvidence
    reporter: ReporterEvidence


class FlagView(Shape):
    user_id: str
    kind: str
    explanation: str
    evidence: dict
    created_at: str


class AppealView(Shape):
    appeal_id: str
    action_id: str
    member_id: str
    statement: str | None
    status: str
    created_at: str


class ModerationView(Shape):
    group_id: str
    reports: list[ReportEntry]
    flagged: list[FlagView]
    appeals: list[AppealView]


class ActionView(Shape):
    """An action as the member it concerns (and the moderator who took it) sees it."""

    action_id: str
    group_id: str
    action: str
    reason: str
    report_id: str | None
    food_id: str | None
    until: str | None
    penalty: str | None
    appeal_id: str | None
    appeal_status: str | None
    occurred_at: str


class ModeratorView(Shape):
    group_id: str
    member_id: str
    role: str


class AppealDecisionView(Shape):
    appeal_id: str
    action_id: str
    status: str


def _member_evidence(user_id: str, user, open_reports: int) -> MemberEvidence:
    received = int(user.ratings_received) if user else 0
    return MemberEvidence(
        user_id=user_id,
        trust_level=user.trust_level if user else None,
        score=float(user.score) if user else None,
        exchanges_completed=int(user.completed_count) if user else 0,
        no_shows=int(user.no_show_count) if user else 0,
        cancellations=int(user.cancelled_count) if user else 0,
        average_rating=round(float(user.rating_stars_total) / received, 2) if received else None,
        open_reports=open_reports,
    )


def moderation_view(group_id: str, queue) -> dict:
    """`domain.moderation.Queue` as the moderators' view."""
    import json

    return ModerationView(
        group_id=group_id,
        reports=[
            ReportEntry(
                report_id=e.report.report_id,
                subject_type=e.report.subject_type,
                subject_id=e.report.subject_id,
                reason=e.report.reason,
                details=e.report.details,
                created_at=e.report.created_at,
                member=_member_evidence(e.report.subject_user_id, e.subject, e.open_reports_about_subject),
                reporter=ReporterEvidence(user_id=e.report.reporter_id, upheld=e.reporter_upheld,
                                          dismissed=e.reporter_dismissed),
            )
            for e in queue.reports
        ],
        flagged=[FlagView(user_id=f.user_id, kind=f.kind, explanation=f.explanation, evidence=json.loads(f.evidence),
                          created_at=f.created_at) for f in queue.flags],
        appeals=[AppealView(appeal_id=a.appeal_id, action_id=a.action_id, member_id=a.member_id,
                            statement=a.statement, status=a.status, created_at=a.created_at) for a in queue.appeals],
    ).dump()


def action_view(item) -> dict:
    return ActionView(
        action_id=item.action_id, group_id=item.group_id, action=item.action, reason=item.reason,
        report_id=item.report_id, food_id=item.food_id, until=item.until, penalty=item.penalty,
        appeal_id=item.appeal_id, appeal_status=item.appeal_status, occurred_at=item.occurred_at,
    ).dump()
