"""Domain events: the catalog of event types and the record written with each state change.

Each type maps to its EventBridge `source` (by category); `schemas/<Type>.json` holds
the JSON Schema its payload (`detail`) must satisfy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from foodshare import clock, ids

USER = "foodshare.user"
GROUP = "foodshare.group"
FOOD = "foodshare.food"
CREDIT = "foodshare.credit"
ANALYTICS = "foodshare.analytics"
SAFETY = "foodshare.safety"

EVENT_SOURCES: dict[str, str] = {
    "UserRegistered": USER,
    "ProfileUpdated": USER,
    "PrivacySettingsChanged": USER,
    "ErasureRequested": USER,
    "ErasureStarted": USER,
    "ErasureSegmentRequested": USER,
    "ExportRequested": USER,
    "AccountErased": USER,
    "AdminHandedOver": GROUP,
    "RatingSubmitted": USER,
    "TrustLevelChanged": USER,
    "ReputationChanged": USER,
    "GroupRatingsChanged": GROUP,
    "GroupCreated": GROUP,
    "InviteCreated": GROUP,
    "InviteRevoked": GROUP,
    "MemberJoined": GROUP,
    "MemberLeft": GROUP,
    "PartnershipProposed": GROUP,
    "PartnershipAccepted": GROUP,
    "PartnershipDeclined": GROUP,
    "PartnershipEnded": GROUP,
    "GroupClaimQuotaChanged": GROUP,
    "FoodShared": FOOD,
    "FoodWithdrawn": FOOD,
    "FoodClaimed": FOOD,
    "FoodExpired": FOOD,
    "PickupConfirmed": FOOD,
    "ExchangeCompleted": FOOD,
    "ExchangeCancelled": FOOD,
    "ExchangeNoShow": FOOD,
    "ExchangeLapsed": FOOD,
    "ReportFiled": SAFETY,
    "ModeratorAppointed": SAFETY,
    "ModerationActionTaken": SAFETY,
    "MemberFlagged": SAFETY,
    "AppealFiled": SAFETY,
    "AppealDecided": SAFETY,
    "FraudFlagged": SAFETY,
    "CreditsGranted": CREDIT,
    "CreditsHeld": CREDIT,
    "CreditsTransferred": CREDIT,
    "CreditsReleased": CREDIT,
}


# Types that only reach the after-commit hooks (`UnitOfWork.notify`) and are never stored: each restates an item
# its change writes anyway. ReputationChanged: the reputation history line (issue 15: its stored item was 2 of the
# consumer's ~14 write units a record); its userId/groupIds drive the cache's bumps. GroupRatingsChanged: the rating
# lines counted in (or taken out of) groups' rating totals; its groupIds make their summaries stale.
NOTICES: frozenset[str] = frozenset({"ReputationChanged", "GroupRatingsChanged"})


@dataclass(frozen=True)
class DomainEvent:
    """Something that happened, recorded in the same transaction as the change itself."""

    type: str
    actor_id: str | None
    payload: dict
    id: str = field(default_factory=ids.new_id)
    occurred_at: str = field(default_factory=clock.now_iso)

    def __post_init__(self) -> None:
        if self.type not in EVENT_SOURCES:
            raise ValueError(f"unknown event type {self.type!r}")

    @property
    def source(self) -> str:
        return EVENT_SOURCES[self.type]

    def envelope(self) -> dict:
        """The `detail` published on the bus: metadata plus the payload."""
        return {
            "eventId": self.id,
            "eventType": self.type,
            "occurredAt": self.occurred_at,
            "actorId": self.actor_id,
            "data": self.payload,
        }
