"""Request bodies, validated by pydantic through the resolver (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, Strict
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from foodshare import visible_text
from foodshare.domain import food_rules, invite_rules, moderation_rules

if TYPE_CHECKING:
    from foodshare.domain.food import NewPost


def _normalize_labels(values: list[str]) -> list[str]:
    return sorted({v.strip().lower() for v in values if v.strip()})


def _utc(value: datetime) -> datetime:
    """A time with an offset, in UTC; one whose UTC value falls outside years 1-9999
    (0001-01-01T00:00:00+01:00) is a bad value, not a crash when it is stored."""
    try:
        return value.astimezone(timezone.utc)
    except OverflowError as error:
        raise ValueError("must be a time between years 1 and 9999 in UTC") from error


def _number_not_flag_or_text(value):
    """A JSON number only: pydantic's lax mode takes `true` as 1 and `"5"` as 5 (a client's boolean became a 1-star
    rating). A whole number written as 4.0 is still 4; 4.5 is refused as before. Every whole number a body holds is
    a `WholeNumber` (tests/api/test_whole_numbers.py covers each field through its route)."""
    if isinstance(value, (bool, str)):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


WholeNumber = Annotated[int, BeforeValidator(_number_not_flag_or_text)]
# Not `WholeNumber | None`: a field's bounds would then not reach the integer's schema (OpenAPI showed `ge`, no
# `minimum`); the check on the optional lets None through.
OptionalWholeNumber = Annotated[int | None, BeforeValidator(_number_not_flag_or_text)]
# A JSON number, whole or not (52 is 52.0): pydantic's lax mode took `true` as 1.0 and `"52.3"` as 52.3 (a place
# stored at latitude 1.0). Strict: pydantic's own rule for floats, which refuses booleans and text and takes
# integers. Every decimal a body holds is a `DecimalNumber` (tests/api/test_decimal_numbers.py). NaN, Infinity and
# 1e999 never get here: they are not JSON (`strict_json`).
DecimalNumber = Annotated[float, Strict()]

_REQUIRED = object()


def _shown(multiline: bool, blank=_REQUIRED) -> AfterValidator:
    """`visible_text`'s rule as a field validator (after the length limits, which keep their messages): a 400 naming
    the field whose text holds a control character, or, where text is required, would be shown as nothing. Where
    it is optional, text with nothing visible is `blank` (absent, or a label the list then drops), as "" was."""

    def check(value: str | None) -> str | None:
        if value is None:
            return None
        if blank is not _REQUIRED and visible_text.blank(value):
            return blank
        if (why := visible_text.problem(value, multiline=multiline)) is not None:
            raise ValueError(why)
        return value

    return AfterValidator(check)


# For every field whose text people are shown: a visible character and no control character; free text may hold
# line breaks and tabs. `ONE_LINE`, `FREE_TEXT`: required text; `OPTIONAL_LINE`, `OPTIONAL_TEXT`: None when blank.
ONE_LINE = _shown(multiline=False)
FREE_TEXT = _shown(multiline=True)
OPTIONAL_LINE = _shown(multiline=False, blank=None)
OPTIONAL_TEXT = _shown(multiline=True, blank=None)
_LABEL = _shown(multiline=False, blank="")  # `_normalize_labels` drops it

UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc)]
Labels = Annotated[list[Annotated[str, Field(max_length=40), _LABEL]], Field(max_length=20),
                   AfterValidator(_normalize_labels)]
Latitude = Annotated[DecimalNumber, Field(ge=-90, le=90)]
Longitude = Annotated[DecimalNumber, Field(ge=-180, le=180)]


class Body(BaseModel):
    # defer_build: a model's validator is built when a request first needs it, not at import
    # (~5 ms a model, and a function uses one or two of them)
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", str_strip_whitespace=True, defer_build=True
    )


class Location(Body):
    lat: Latitude
    lng: Longitude


class ProfileRequest(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "displayName": "Sam", "location": {"lat": 52.52, "lng": 13.405}}]})

    display_name: Annotated[str, ONE_LINE] = Field(min_length=1, max_length=60)
    location: Location | None = None


class CreateGroupRequest(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "Linden Street", "description": "Neighbours of Linden Street and around"}]})

    name: Annotated[str, ONE_LINE] = Field(min_length=1, max_length=80)
    description: Annotated[str | None, OPTIONAL_TEXT] = Field(default=None, max_length=500)
    disclaimer: Annotated[str | None, OPTIONAL_TEXT] = Field(default=None, min_length=1, max_length=2000,
                                   description="What members accept when they join (version 1)")


class CreateInviteRequest(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"maxUses": 10, "expiresInHours": 48}, {}]})

    max_uses: OptionalWholeNumber = Field(default=None, ge=1, le=invite_rules.MAX_USES,
                                          description="How many joins it allows (absent: any number until it expires)")
    expires_in_hours: OptionalWholeNumber = Field(default=None, ge=1,
                                                  description="Hours until it expires, at most INVITE_TTL_HOURS (168 "
                                                              "unless the stage sets another); absent: that longest "
                                                              "lifetime")


class JoinGroupRequest(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"inviteCode": "01JDW8R3K2M4N6P8Q0S2T4V6X8-K7Q2XR9M4A", "acceptedDisclaimerVersion": 1}]})

    invite_code: str = Field(min_length=4, max_length=64, description="As POST /groups/{groupId}/invites gave it")
    accepted_disclaimer_version: OptionalWholeNumber = Field(default=None, ge=1,
                                                             description="Required when the group has a disclaimer")


class PartnershipTermsBody(Body):
    max_distance_km: DecimalNumber = Field(default=10, gt=0, le=200)
    min_reputation: DecimalNumber = Field(default=70, ge=0, le=100)
    max_claims_per_member_per_week: WholeNumber = Field(default=3, ge=1, le=50)


class ProposePartnershipRequest(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "targetGroupId": "g-8d41", "terms": {"maxDistanceKm": 10, "minReputation": 70, "maxClaimsPerMemberPerWeek": 3}}]})

    target_group_id: str = Field(min_length=1, max_length=64)
    terms: PartnershipTermsBody = Field(default_factory=PartnershipTermsBody)


class PickupLocation(Location):
    label: Annotated[str | None, OPTIONAL_LINE] = Field(default=None, max_length=100)


class ShareFoodRequest(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "groupId": "g-5f2c", "title": "Six bagels", "description": "From this morning, sesame and plain",
        "quantity": 6, "dietaryTags": ["vegetarian"], "allergens": ["gluten", "sesame"],
        "pickupLocation": {"lat": 52.52, "lng": 13.405, "label": "Front door, Linden St 4"},
        "pickupStart": "2026-05-01T17:00:00Z", "pickupEnd": "2026-05-01T19:00:00Z"}]})

    group_id: str = Field(min_length=1, max_length=64)
    title: Annotated[str, ONE_LINE] = Field(min_length=1, max_length=100)
    description: Annotated[str | None, OPTIONAL_TEXT] = Field(default=None, max_length=1000)
    quantity: WholeNumber = Field(ge=1, le=10, description="Portions")
    dietary_tags: Labels = Field(default_factory=list)
    allergens: Labels = Field(default_factory=list)
    pickup_location: PickupLocation
    pickup_start: UtcDatetime = Field(
        description=f"At most {food_rules.MAX_LENGTH.days} days before pickupEnd (kept to the second)")
    pickup_end: UtcDatetime = Field(
        description=f"After pickupStart, in the future, within {food_rules.MAX_AHEAD.days} days from now")

    def new_post(self) -> NewPost:
        """The domain's NewPost: the one mapping from a share request, for the HTTP API and the bots alike."""
        from foodshare.domain.food import NewPost

        return NewPost(
            group_id=self.group_id,
            title=self.title,
            description=self.description,
            quantity=self.quantity,
            dietary_tags=self.dietary_tags,
            allergens=self.allergens,
            lat=self.pickup_location.lat,
            lng=self.pickup_location.lng,
            label=self.pickup_location.label,
            pickup_start=self.pickup_start,
            pickup_end=self.pickup_end,
        )


class PrivacyRequest(Body):
    """PUT /me/privacy: the choices to change (an absent field keeps its current value)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"restricted": False, "leaderboard": False,
                                                               "locationPrecision": "area"}]})

    restricted: bool | None = None
    leaderboard: bool | None = None
    location_precision: Literal["exact", "area"] | None = None


class EraseAccountRequest(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"confirmationCode": "9F3A1C7E"}]})

    confirmation_code: str = Field(min_length=4, max_length=32, description="From POST /me/erasure, within 3 hours")


class RatingRequest(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"stars": 5, "comment": "On time and friendly"}]})

    stars: WholeNumber = Field(ge=1, le=5)
    comment: Annotated[str | None, OPTIONAL_TEXT] = Field(default=None, max_length=500)


# ---- trust and safety (functions/safety) ------------------------------------------------------
# (the choices come from the pure rules module, so these stay in step with the domain)

ReportSubject = Literal[moderation_rules.SUBJECT_TYPES]  # type: ignore[valid-type]
ReportReason = Literal[moderation_rules.REASONS]  # type: ignore[valid-type]
ModerationActionKind = Literal[moderation_rules.ACTIONS]  # type: ignore[valid-type]


class ClaimQuotaRequest(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"maxClaims": 3, "windowHours": 168, "liftHours": 2}]})

    max_claims: WholeNumber = Field(ge=1, le=100, description="Claims a member may make in the window")
    window_hours: WholeNumber = Field(ge=1, le=24 * 31, description="Length of the rolling window")
    lift_hours: WholeNumber = Field(default=0, ge=0, le=72,
                                    description="Hours before a post's pickup ends when the quota is off")


class ReportRequest(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "subjectType": "food", "subjectId": "f-01", "reason": "unsafe_food", "details": "The milk was two weeks old"}]})

    subject_type: ReportSubject
    subject_id: str = Field(min_length=1, max_length=64,
                            description="A post's or exchange's id, or (user) the handle the caller was shown")
    reason: ReportReason
    details: Annotated[str | None, OPTIONAL_TEXT] = Field(default=None, max_length=1000)


class AppointModeratorRequest(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"memberHandle": "h-0123456789abcdefghij"}]})

    member_handle: str = Field(min_length=1, max_length=128, description="The member's handle in this group")


class ModerationActionRequest(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "action": "restrict", "reason": "Three no-shows this month", "reportId": "r-01", "days": 7}]})

    action: ModerationActionKind
    reason: Annotated[str, FREE_TEXT] = Field(min_length=3, max_length=500,
                                              description="Required: why, shown to the member")
    report_id: str | None = Field(default=None, min_length=1, max_length=64)
    member_handle: str | None = Field(default=None, min_length=1, max_length=128,
                                      description="The member's handle in this group (from the moderation queue)")
    food_id: str | None = Field(default=None, min_length=1, max_length=64)
    days: OptionalWholeNumber = Field(default=None, ge=1, le=365, description="restrict: for how many days")


class AppealRequest(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "actionId": "a-01", "statement": "I was there on time; the sharer did not open the door"}]})

    action_id: str = Field(min_length=1, max_length=64)
    statement: Annotated[str | None, OPTIONAL_TEXT] = Field(default=None, max_length=1000)


class AppealDecisionRequest(Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "outcome": "overturned", "reason": "The chat log shows the member waited at the door"}]})

    outcome: Literal["upheld", "overturned"]
    reason: Annotated[str, FREE_TEXT] = Field(min_length=3, max_length=500)
