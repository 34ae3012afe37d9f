"""Users function: health check and the caller's own profile (GET/PUT /me)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from foodshare.api import models, views
from foodshare.api.contract import ALWAYS, private, public
from foodshare.api.http import JSON, build_resolver, caller_id, entrypoint
from foodshare.api.requests import ProfileRequest
from foodshare.domain import users
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
         **private(200, "pseudonym_unavailable", "concurrent_update"))
def get_me() -> models.Profile:
    return views.profile(users.ensure(caller_id(app)))


@app.put("/me", operation_id="putMe", summary="Set the caller's display name and home location",
         **private(200, "pseudonym_unavailable", "concurrent_update"))
def put_me(body: ProfileRequest) -> models.Profile:
    location = (body.location.lat, body.location.lng) if body.location else None
    return views.profile(users.update_profile(caller_id(app), body.display_name, location))


handler = entrypoint(app)
