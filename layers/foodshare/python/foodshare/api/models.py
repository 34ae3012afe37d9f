"""Response models: what every route answers, camelCase on the wire (serialized by alias).

Handlers declare these as their return annotation (`-> models.Food`); Powertools then
documents them in the OpenAPI schema and validates each answer against them before it
leaves. `api/views.py` builds them from the data items. A new response shape goes here.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"}, description="UTC, ISO 8601")]
TrustLevel = Annotated[str, Field(description="exemplary | trusted | established | developing | concerning")]


class View(BaseModel):
    # defer_build: a model's schema is built when first used, not at import (cold starts)
    # names must not clash with request models (api/requests.py): the document has one namespace
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, defer_build=True,
                              json_schema_serialization_defaults_required=True)


class GeoPoint(View):
    lat: float
    lng: float


class Profile(View):
    """The caller's own profile."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "userId": "u-5f2c", "displayName": "Sam", "pseudonym": "CalmOtter42", "location": {"lat": 52.52, "lng": 13.405},
        "score": 50, "trustLevel": "developing", "createdAt": "2026-05-01T09:00:00Z"}]})

    user_id: str
    display_name: str | None
    pseudonym: str
    location: GeoPoint | None
    score: float
    trust_level: TrustLevel
    created_at: Timestamp


class Identity(View):
    """A person as one group knows them: never an id or name that is the same in two groups.

    `handle` opens their reputation (GET /users/{handle}/reputation) from the caller's own or
    partner groups; `mine` marks the caller themself (docs/privacy.md)."""

    handle: str = Field(description="Opaque per-group id (h- and 20 characters)")
    pseudonym: str = Field(description="The person's name in this group, unique in it")
    mine: bool


class PrivacySettings(View):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "restricted": False, "leaderboard": True, "locationPrecision": "area"}]})

    restricted: bool = Field(description="Processing restricted: out of discovery, leaderboards, notifications, claims, ratings")
    leaderboard: bool = Field(description="False: the caller objected to being ranked")
    location_precision: Literal["exact", "area"] = Field(description="How others see the caller's pickup places")


class DataSubjectRequest(View):
    request_id: str
    type: Literal["access", "rectification", "erasure", "portability", "restriction", "objection"]
    requested_at: Timestamp
    outcome: str = Field(description="completed | pending | failed")
    completed_at: Timestamp | None
    detail: str | None


class DataSubjectRequests(View):
    requests: list[DataSubjectRequest]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")


class ErasureCode(View):
    confirmation_code: str = Field(description="Send it to DELETE /me before expiresAt")
    expires_at: Timestamp


class ErasureStatus(View):
    """An erasure's progress (DELETE /me answers it; GET /me/erasure/{requestId} follows it). It names nobody."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "requestId": "e-01", "status": "in_progress", "startedAt": "2026-05-01T09:00:00Z", "completedAt": None,
        "segmentsDone": 3, "segmentsTotal": 8}]})

    request_id: str
    status: Literal["in_progress", "completed"] = Field(
        description="in_progress: the account is frozen and wound down, the sweep of the table runs; completed: "
                    "nothing stored names the person (docs/privacy.md, Erasure)")
    started_at: Timestamp
    completed_at: Timestamp | None
    segments_done: int = Field(description="segments of the table's parallel scan swept so far")
    segments_total: int


class DataExport(View):
    """A data export: its state and, while ready, a short-lived download URL of the JSON document."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "exportId": "x-01", "status": "ready", "requestedAt": "2026-05-01T09:00:00Z", "readyAt": "2026-05-01T09:00:05Z",
        "expiresAt": "2026-05-08T09:00:00Z", "downloadUrl": "https://exports.example/x-01.json?X-Amz-Signature=...",
        "urlExpiresAt": "2026-05-01T09:05:00Z"}]})

    export_id: str
    status: Literal["pending", "ready", "expired"] = Field(
        description="pending until built (a build that keeps failing is retried, then parked in the queue's DLQ)")
    requested_at: Timestamp
    ready_at: Timestamp | None
    expires_at: Timestamp = Field(description="When the export is deleted (7 days after the request)")
    download_url: str | None = Field(description="Only while ready; valid until urlExpiresAt (5 minutes)")
    url_expires_at: Timestamp | None


class ReputationCounts(View):
    food_shared: int
    exchanges_completed: int
    exchanges_cancelled: int
    no_shows: int
    ratings_received: int


class ReputationChange(View):
    occurred_at: Timestamp
    event_id: str
    event_type: str
    impact: str
    points: float
    applied: float
    previous_score: float
    new_score: float
    reason: str | None


class Reputation(View):
    """The caller's own reputation: exact score, counts and history."""

    user_id: str
    pseudonym: str
    score: float
    trust_level: TrustLevel
    counts: ReputationCounts
    average_rating: float | None
    history: list[ReputationChange]


class MemberReputation(Identity):
    """Someone else's reputation, opened by their handle: the trust level only (an exact score,
    counts or history are the same in every group and would let two groups recognise them)."""

    trust_level: TrustLevel


class Leader(Identity):
    rank: int
    trust_level: TrustLevel
    score: float | None = Field(description="Only on the caller's own row")


class Leaderboard(View):
    group_id: str
    leaders: list[Leader]


class GroupSummary(View):
    group_id: str
    window_days: int
    active_members: int
    posts_last30_days: int = Field(alias="postsLast30Days")
    completed_exchanges_last30_days: int = Field(alias="completedExchangesLast30Days")
    average_rating: float | None
    ratings_count: int


class Group(View):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "groupId": "g-01", "name": "Kiez Kitchen", "description": "Neighbours sharing food", "memberCount": 2,
        "role": "admin", "disclaimer": None, "disclaimerVersion": None, "createdAt": "2026-05-01T09:00:00Z"}]})

    group_id: str
    name: str
    description: str | None
    member_count: int
    role: Literal["admin", "moderator", "member"] | None = Field(description="The caller's role in the group")
    disclaimer: str | None = Field(description="What members accept when they join (POST /groups/join)")
    disclaimer_version: int | None
    created_at: Timestamp


class MyGroup(Group):
    """A group of the caller's (GET /me/groups)."""

    model_config = ConfigDict(json_schema_extra=None)

    joined_at: Timestamp
    me: Identity = Field(description="The caller as this group's members know them (per group: docs/privacy.md)")


class MyGroups(View):
    groups: list[MyGroup] = Field(description="Newest group first")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")


class Invite(View):
    """An invite code to a group and what is left of it (POST and GET /groups/{groupId}/invites)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "inviteCode": "01JDW8R3K2M4N6P8Q0S2T4V6X8-K7Q2XR9M4A", "groupId": "01JDW8R3K2M4N6P8Q0S2T4V6X8",
        "createdAt": "2026-05-01T09:00:00Z", "expiresAt": "2026-05-08T09:00:00Z", "maxUses": 10, "uses": 3,
        "createdBy": {"handle": "h-4k7q2xr9m4a8b2c6d0e1", "pseudonym": "CalmOtter42", "mine": True}}]})

    invite_code: str
    group_id: str
    created_at: Timestamp
    expires_at: Timestamp
    max_uses: int | None = Field(description="How many joins it allows; null: any number until it expires")
    uses: int = Field(description="Joins through it so far")
    created_by: Identity = Field(description="The admin who made it, as the group knows them")


class Invites(View):
    invites: list[Invite] = Field(description="The group's invites that still let someone join, in code order")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last (a page may "
                                                "hold fewer than `limit`, even none)")


class RevokedInvite(View):
    invite_code: str
    group_id: str
    revoked_at: Timestamp


class LeftGroup(View):
    group_id: str
    left: bool


class PartnershipTerms(View):
    max_distance_km: float
    min_reputation: float
    max_claims_per_member_per_week: int


class Partnership(View):
    partnership_id: str
    from_group_id: str
    to_group_id: str
    status: Literal["pending", "active", "declined", "ended"]
    terms: PartnershipTerms
    created_at: Timestamp
    updated_at: Timestamp


class GroupPartnership(View):
    """One of a group's partnerships as the group sees it (GET /groups/{groupId}/partnerships): the other group by
    id and name, never a person (no admin of either side is named)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "partnershipId": "01JDW8R3K2M4N6P8Q0S2T4V6X8-01JDW9A1B2C3D4E5F6G7H8J9K0-01JDWB0C1D2E3F4G5H6J7K8M9N",
        "partnerGroupId": "01JDW8R3K2M4N6P8Q0S2T4V6X8", "partnerGroupName": "Kiez Kitchen", "direction": "received",
        "status": "pending", "terms": {"maxDistanceKm": 10, "minReputation": 70, "maxClaimsPerMemberPerWeek": 3},
        "createdAt": "2026-05-01T09:00:00Z", "updatedAt": "2026-05-01T09:00:00Z"}]})

    partnership_id: str = Field(description="For POST /partnerships/{id}/accept | /decline, DELETE /partnerships/{id}")
    partner_group_id: str
    partner_group_name: str
    direction: Literal["sent", "received"] = Field(description="sent: this group proposed it; received: the other")
    status: Literal["pending", "active"]
    terms: PartnershipTerms = Field(description="What members of each group face claiming the other's posts")
    created_at: Timestamp
    updated_at: Timestamp


class GroupPartnerships(View):
    partnerships: list[GroupPartnership] = Field(
        description="Admins: every open partnership (pending, sent and received, and active); members: the active "
                    "ones. In partner group id order")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last (a page may "
                                                "hold fewer than `limit`, even none)")

class PickupPoint(GeoPoint):
    """Exact for the sharer, the claimer of an active exchange, or when the sharer chose `exact`;
    otherwise an area (~2 km, stable per post) without the label."""

    label: str | None
    precision: Literal["exact", "area"]


FoodStatus = Literal["available", "claimed", "completed", "withdrawn", "expired", "removed"]  # removed: by a moderator


class Food(View):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "foodId": "f-01", "groupId": "g-01",
        "sharer": {"handle": "h-k3m9q2x7w4b8n5t6r1vz", "pseudonym": "SunnyFennel4821", "mine": True},
        "title": "Sourdough loaves",
        "description": "Baked this morning", "quantity": 3, "dietaryTags": ["vegetarian"], "allergens": ["gluten"],
        "pickupLocation": {"lat": 52.52, "lng": 13.405, "label": "Bakery door", "precision": "exact"},
        "pickupStart": "2026-05-01T17:00:00Z", "pickupEnd": "2026-05-01T19:00:00Z", "status": "available",
        "createdAt": "2026-05-01T09:00:00Z"}]})

    food_id: str
    group_id: str
    sharer: Identity
    title: str
    description: str | None
    quantity: int
    dietary_tags: list[str]
    allergens: list[str]
    pickup_location: PickupPoint
    pickup_start: Timestamp
    pickup_end: Timestamp
    status: FoodStatus
    created_at: Timestamp


class FoodDetail(Food):
    """A post as GET /food/{foodId} shows it; the sharer also sees the exchange of a claimed post."""

    from_partner_group: bool
    exchange_id: str | None = None


class OwnPosts(View):
    posts: list[FoodDetail] = Field(description="The caller's own posts, newest first")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last (a page "
                                                "filtered by `status` may hold fewer than `limit`, even none)")


class Sharer(Identity):
    trust_level: TrustLevel


class DiscoveredFood(Food):
    group_name: str | None
    from_partner_group: bool
    sharer: Sharer
    distance_km: float | None = Field(default=None, description="To the shown location; only when lat and lng "
                                      "were given (radiusKm filters on it too)")


class DiscoveryPage(View):
    items: list[DiscoveredFood]
    next_cursor: str | None


class Exchange(View):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "exchangeId": "x-01", "foodId": "f-01", "groupId": "g-01",
        "sharer": {"handle": "h-k3m9q2x7w4b8n5t6r1vz", "pseudonym": "SunnyFennel4821", "mine": False},
        "claimer": {"handle": "h-p8d2f6j4l1s9a3c7e5gx", "pseudonym": "CalmOtter0042", "mine": True},
        "status": "claimed", "sharerConfirmed": False, "claimerConfirmed": False, "viaPartnership": False,
        "pickupStart": "2026-05-01T17:00:00Z", "pickupEnd": "2026-05-01T19:00:00Z",
        "claimedAt": "2026-05-01T10:00:00Z", "completedAt": None, "autoSettled": False}]})

    exchange_id: str
    food_id: str
    group_id: str
    sharer: Identity
    claimer: Identity
    # lapsed: nobody confirmed, cancelled or reported a no-show; closed EXCHANGE_SETTLE_HOURS after the pickup window
    status: Literal["claimed", "completed", "cancelled", "no_show", "lapsed"]
    sharer_confirmed: bool
    claimer_confirmed: bool
    via_partnership: bool
    pickup_start: Timestamp
    pickup_end: Timestamp
    claimed_at: Timestamp
    completed_at: Timestamp | None
    auto_settled: bool = Field(False, description="Closed by the settlement job, EXCHANGE_SETTLE_HOURS (72) after "
                               "the pickup window, not by a participant: completed on one confirmation, or lapsed")


class MyExchange(Exchange):
    """One of the caller's exchanges (GET /me/exchanges), as the exchange routes answer it, with its post."""

    model_config = ConfigDict(json_schema_extra=None)

    food: FoodDetail | None = Field(description="The post as GET /food/{foodId} shows it to the caller: the place "
                                                "exact for its sharer and the claimer of an active claim")


class MyExchanges(View):
    exchanges: list[MyExchange] = Field(description="The caller's exchanges as claimer and as sharer, newest first")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last (a page "
                                                "filtered by `status` may hold fewer than `limit`, even none)")


class Rating(View):
    """A rating as its rater sees it: the rated person as the exchange's group knows them."""

    exchange_id: str
    rated_user: Identity
    stars: int
    comment: str | None
    created_at: Timestamp


class LedgerEntry(View):
    entry_id: str
    amount: int
    balance_after: int
    reason: str
    exchange_id: str | None
    created_at: Timestamp


class Credits(View):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "balance": 4, "held": 0, "transactions": [{"entryId": "e-01", "amount": 1, "balanceAfter": 4,
                                                   "reason": "exchange_completed", "exchangeId": "x-01",
                                                   "createdAt": "2026-05-01T19:05:00Z"}],
        "nextCursor": None}]})

    balance: int
    held: int
    transactions: list[LedgerEntry]
    next_cursor: str | None


class DependencyStatus(View):
    status: str = Field(description="ok | not_configured | down")
    latency_ms: float | None = None
    error: str | None = None


class Health(View):
    status: Literal["ok", "degraded", "unavailable"]
    dependencies: dict[str, DependencyStatus]


# ---- trust and safety (functions/safety; docs/trust-safety.md) --------------------------------
# Members appear as their identity in the group (`Identity`, issue 16): moderators act on the handle.


class ClaimQuota(View):
    """A group's own claim quota; all three are null when the group has none."""

    group_id: str
    max_claims: int | None = Field(description="Claims a member may make in the rolling window")
    window_hours: int | None
    lift_hours: int | None = Field(description="Hours before a post's pickup ends when the quota is off")


class Report(View):
    """A report as its reporter sees it."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "reportId": "r-01", "subjectType": "food", "subjectId": "f-01", "reason": "unsafe_food", "status": "open",
        "createdAt": "2026-05-01T19:30:00Z"}]})

    report_id: str
    subject_type: Literal["user", "food", "exchange"]
    subject_id: str = Field(description="The post's or exchange's id, or (user) the person's handle in the group")
    reason: str
    status: Literal["open", "upheld", "dismissed"]
    created_at: Timestamp


class Moderator(View):
    group_id: str
    member: Identity
    role: Literal["admin", "moderator", "member"]


_BAND = "A count as the lower bound of its band: 0, 1, 3, 6, 11, 26, 51 or 101 (at least that many)"


class MemberEvidence(View):
    """What a moderator sees of the member a report is about: account-wide figures in bands, as exact ones are
    equal in every group the member is in and would link them (issue 16)."""

    member: Identity
    trust_level: TrustLevel | None
    score: float | None = Field(description="The reputation score rounded down to a multiple of 10")
    exchanges_completed: int = Field(description=_BAND)
    no_shows: int = Field(description=_BAND)
    cancellations: int = Field(description=_BAND)
    average_rating: float | None = Field(description="Average stars received, to the nearest half star")
    open_reports: int = Field(description="Open reports about this member in the group")


class ReporterRecord(View):
    member: Identity
    upheld: int = Field(description="The reporter's earlier reports in this group that were upheld")
    dismissed: int


class QueuedReport(View):
    report_id: str
    subject_type: Literal["user", "food", "exchange"]
    subject_id: str = Field(description="The post's or exchange's id, or (user) the person's handle in this group")
    reason: str
    details: str | None
    created_at: Timestamp
    member: MemberEvidence
    reporter: ReporterRecord


class MemberFlag(View):
    """A member flagged to the moderators: by a fraud pattern, or for repeatedly unfounded reports."""

    member: Identity
    kind: str = Field(description="unfounded_reports | reputation_manipulation | credit_abuse | spam_behavior | "
                                  "safety_violations")
    explanation: str = Field(description="Why, in words")
    evidence: dict = Field(description="The numbers behind the explanation (a ring's members as their handles)")
    created_at: Timestamp


class Appeal(View):
    appeal_id: str
    action_id: str
    member: Identity
    statement: str | None
    status: Literal["open", "upheld", "overturned"]
    created_at: Timestamp


class ModerationQueue(View):
    """One page of the queue: open appeals, then flagged members, then open reports oldest first."""

    group_id: str
    reports: list[QueuedReport]
    flagged: list[MemberFlag]
    appeals: list[Appeal]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")


class ModerationAction(View):
    """An action as the member it concerns (and the moderator who took it) sees it."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "actionId": "a-01", "groupId": "g-01", "action": "restrict", "reason": "Three no-shows this month",
        "reportId": "r-01", "foodId": None, "until": "2026-05-08T19:30:00Z", "penalty": None, "appealId": None,
        "appealStatus": None, "occurredAt": "2026-05-01T19:30:00Z"}]})

    action_id: str
    group_id: str
    action: Literal["dismiss", "warn", "remove_post", "restrict", "remove_member", "ban"]
    reason: str
    report_id: str | None
    food_id: str | None
    until: Timestamp | None = Field(description="restrict: when it ends")
    penalty: str | None = Field(description="The reputation impact an upheld report applied")
    appeal_id: str | None
    appeal_status: Literal["open", "upheld", "overturned"] | None
    occurred_at: Timestamp


class ModerationActions(View):
    actions: list[ModerationAction]


class AppealDecision(View):
    appeal_id: str
    action_id: str
    status: Literal["open", "upheld", "overturned"]
