"""Discovery function: GET /food across the caller's groups and partner groups."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from foodshare.api import models, views
from foodshare.api.contract import private
from foodshare.api.http import JSON, build_resolver, caller_id, entrypoint
from foodshare.api.requests import UtcDatetime
from foodshare.cache.readers import discovery_page
from foodshare.domain import discovery
from foodshare.errors import ValidationFailed
from foodshare.settings import get_settings

app = build_resolver()


def _labels(value: str | None) -> tuple[str, ...]:
    return tuple(sorted({v.strip().lower() for v in (value or "").split(",") if v.strip()}))


# The page comes serialized from the page cache (views.discovery_page renders a models.DiscoveryPage),
# so the model is declared for the document rather than as a return annotation to validate again.
@app.get("/food", operation_id="discoverFood",
         summary="Available food in the caller's groups and partner groups: most trusted sharers first (their "
                 "trust level when they shared), then by pickup start (distanceKm is given, not ordered by)",
         **private(200, model=models.DiscoveryPage))
def discover_food(
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lng: Annotated[float | None, Query(ge=-180, le=180)] = None,
    radius_km: Annotated[float | None, Query(alias="radiusKm", gt=0, le=discovery.MAX_RADIUS_KM)] = None,
    min_reputation: Annotated[float | None, Query(
        alias="minReputation", ge=0, le=100,
        description="Sharers of at least the trust level this score falls in (85: trusted and up)")] = None,
    window_from: Annotated[UtcDatetime | None, Query(alias="from")] = None,
    window_to: Annotated[UtcDatetime | None, Query(alias="to")] = None,
    tags: Annotated[str | None, Query(description="Comma-separated; all must match")] = None,
    exclude_allergens: Annotated[str | None, Query(alias="excludeAllergens", description="Comma-separated")] = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
):
    settings = get_settings()
    if (lat is None) != (lng is None):
        raise ValidationFailed("Give both lat and lng, or neither.", fields={"lat" if lat is None else "lng": "required with the other"})
    if radius_km is not None and lat is None:
        raise ValidationFailed("radiusKm needs lat and lng.", fields={"radiusKm": "requires lat and lng"})
    if window_from and window_to and window_to < window_from:
        raise ValidationFailed("The window ends before it starts.", fields={"to": "must not be before from"})
    if limit is not None and limit > settings.discovery_max_page_size:
        raise ValidationFailed(
            "limit is too large.", fields={"limit": f"must be at most {settings.discovery_max_page_size}"}
        )
    filters = discovery.Filters(
        lat=lat,
        lng=lng,
        radius_km=radius_km,
        min_reputation=min_reputation,
        start=window_from,
        end=window_to,
        tags=_labels(tags),
        exclude_allergens=_labels(exclude_allergens),
        limit=limit or settings.discovery_page_size,
        cursor=cursor,
    )
    user_id = caller_id(app)
    body = discovery_page(user_id, filters, lambda page, cursor: views.discovery_page(page, cursor, user_id))
    return Response(status_code=200, content_type=JSON, body=body)


handler = entrypoint(app)
