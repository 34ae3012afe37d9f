"""Request and response shapes of the trust-and-safety routes (camelCase on the wire).

Responses are pydantic models too, so they can join the typed responses of the other
routes; handlers answer `Model(...).dump()`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from foodshare.api.requests import Body
from foodshare.domain import reports


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
