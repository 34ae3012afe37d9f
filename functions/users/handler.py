"""Users function: health check and the caller's own profile (GET/PUT /me)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from foodshare import cursors
from foodshare.api import models, views
from foodshare.api.contract import ALWAYS, private, public
from foodshare.api.http import JSON, build_resolver, caller_id, entrypoint
from foodshare.api.requests import EraseAccountRequest, PrivacyRequest, ProfileRequest
from foodshare.cache import group_reads, purge
from foodshare.domain import erasure, exports, privacy_settings, subject_requests, users
from foodshare.health import check_dependencies

app = build_resolver()


@app.get("/health", operation_id="getHealth", summary="Health of the service and its dependencies",
         **public(200, *ALWAYS, description="ok, or degraded (Redis down: reads fall back to DynamoDB)",
                  also={503: {"description": "unavailable: DynamoDB is unreachable, the service cannot work"}}))
def health() -> Response[models.Health]:
    status, dependencies = check_dependencies()
    body = models.Health.model_validate({"status": status, "dependencies": dependencies})
    return Response(status_code=503 if status == "unavailable" else 200, content_type=JSON, body=body)


@app.get("/me", operation_id="getMe", summary="The caller's profile (registers the caller on first use)",
         **private(200, "pseudonym_unavailable", "concurrent_update", "account_erased"))
def get_me() -> models.Profile:
    return views.profile(users.ensure(caller_id(app)))


@app.put("/me", operation_id="putMe", summary="Set the caller's display name and home location",
         **private(200, "pseudonym_unavailable", "concurrent_update", "account_erased"))
def put_me(body: ProfileRequest) -> models.Profile:
    location = (body.location.lat, body.location.lng) if body.location else None
    return views.profile(users.update_profile(caller_id(app), body.display_name, location))


@app.get("/me/privacy", operation_id="getPrivacy", summary="The caller's privacy choices",
         **private(200, "pseudonym_unavailable", "concurrent_update", "account_erased"))
def get_privacy() -> models.PrivacySettings:
    return views.privacy_settings(privacy_settings.get(caller_id(app)))


@app.put("/me/privacy", operation_id="putPrivacy",
         summary="Restrict processing, object to leaderboards, choose how others see pickup places",
         **private(200, "pseudonym_unavailable", "concurrent_update", "account_erased"))
def put_privacy(body: PrivacyRequest) -> models.PrivacySettings:
    return views.privacy_settings(
        privacy_settings.update(caller_id(app), body.restricted, body.leaderboard, body.location_precision,
                                group_reads.member_groups)  # the caller's groups from the cache when warm
    )


@app.get("/me/requests", operation_id="getSubjectRequests",
         summary="The caller's data-subject requests (type, time, outcome), oldest first", **private(200))
def get_requests(
    limit: Annotated[int, Query(ge=1, le=subject_requests.PAGE_MAX)] = subject_requests.PAGE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> models.DataSubjectRequests:
    found, more = subject_requests.page(caller_id(app), limit, cursors.after(cursor, cursors.ULID))
    return models.DataSubjectRequests(requests=[views.subject_request(r) for r in found],
                                      next_cursor=cursors.encode(found[-1].request_id) if more else None)


@app.post("/me/erasure", operation_id="requestErasure",
          summary="A confirmation code for erasing the caller's account (valid 3 hours)",
          **private(201, "not_found", "concurrent_update", "account_erased"))
def request_erasure() -> models.ErasureCode:
    code, expires_at = erasure.request(caller_id(app))
    return models.ErasureCode(confirmation_code=code, expires_at=expires_at)


@app.delete("/me", operation_id="eraseMe",
            summary="Erase the caller's account with the confirmation code (frozen at once, swept asynchronously)",
            **private(202, "erasure_not_requested", "erasure_code_expired", "not_found", "concurrent_update",
                      description="Accepted: the account is frozen at once; it is wound down (open exchanges "
                                  "cancelled, posts withdrawn, groups left) within seconds and the rest of the "
                                  "erasure completes within minutes: poll GET /me/erasure/{requestId}"))
def erase_me(body: EraseAccountRequest) -> models.ErasureStatus:
    """Freeze the caller's account and queue its wind-down and erasure (docs/privacy.md); the cache stops serving
    them and their groups' views before the answer (every Redis key naming them goes when the sweep completes)."""
    progress = erasure.start(caller_id(app), body.confirmation_code,
                             group_reads.member_groups)  # the caller's groups from the cache when warm
    purge.forget(progress.markers or (), progress.group_ids or ())
    return views.erasure_status(progress)


@app.get("/me/erasure/<requestId>", operation_id="getErasure",
         summary="An erasure's progress: in_progress, then completed (the record names nobody)",
         **private(200, "not_found"))
def get_erasure(requestId: str) -> models.ErasureStatus:
    return views.erasure_status(erasure.progress_of(requestId))


@app.post("/me/exports", operation_id="requestExport",
          summary="Export everything stored about the caller (one JSON document, built asynchronously)",
          **private(202, "pseudonym_unavailable", "concurrent_update", "account_erased",
                    description="Accepted: the export is being built; poll GET /me/exports/{exportId}"))
def request_export() -> models.DataExport:
    item = exports.request(caller_id(app))
    return views.data_export(item, item.status)


@app.get("/me/exports/<exportId>", operation_id="getExport",
         summary="An export's state and, once ready, a download URL valid for 5 minutes", **private(200, "not_found"))
def get_export(exportId: str) -> models.DataExport:
    item, status, url, url_expires_at = exports.status(caller_id(app), exportId)
    return views.data_export(item, status, url, url_expires_at)


handler = entrypoint(app)
