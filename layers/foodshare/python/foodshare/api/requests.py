"""Request bodies, validated by pydantic through the resolver (camelCase on the wire)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


def _normalize_labels(values: list[str]) -> list[str]:
    return sorted({v.strip().lower() for v in values if v.strip()})


Labels = Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=20), AfterValidator(_normalize_labels)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


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
    display_name: str = Field(min_length=1, max_length=60)
    location: Location | None = None


class CreateGroupRequest(Body):
    name: str = Field(min_length=1, max_length=80)
    description: str | None = Field(default=None, max_length=500)
    disclaimer: str | None = Field(default=None, min_length=1, max_length=2000,
                                   description="What members accept when they join (version 1)")


class JoinGroupRequest(Body):
    invite_code: str = Field(min_length=4, max_length=32)
    accepted_disclaimer_version: int | None = Field(default=None, ge=1,
                                                    description="Required when the group has a disclaimer")


class PartnershipTermsBody(Body):
    max_distance_km: float = Field(default=10, gt=0, le=200)
    min_reputation: float = Field(default=70, ge=0, le=100)
    max_claims_per_member_per_week: int = Field(default=3, ge=1, le=50)


class ProposePartnershipRequest(Body):
    target_group_id: str = Field(min_length=1, max_length=64)
    terms: PartnershipTermsBody = Field(default_factory=PartnershipTermsBody)


class PickupLocation(Location):
    label: str | None = Field(default=None, max_length=100)


class ShareFoodRequest(Body):
    group_id: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=1000)
    quantity: int = Field(ge=1, le=10, description="Portions")
    dietary_tags: Labels = Field(default_factory=list)
    allergens: Labels = Field(default_factory=list)
    pickup_location: PickupLocation
    pickup_start: AwareDatetime
    pickup_end: AwareDatetime


class PrivacyRequest(Body):
    """PUT /me/privacy: the choices to change (an absent field keeps its current value)."""

    restricted: bool | None = None
    leaderboard: bool | None = None
    location_precision: Literal["exact", "area"] | None = None


class EraseAccountRequest(Body):
    confirmation_code: str = Field(min_length=4, max_length=32, description="From POST /me/erasure, within 3 hours")


class RatingRequest(Body):
    stars: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=500)
