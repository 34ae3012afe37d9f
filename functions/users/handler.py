"""Users function: health check and the caller's own profile (GET/PUT /me)."""

from __future__ import annotations

from foodshare.api import views
from foodshare.api.http import build_resolver, caller_id, entrypoint
from foodshare.api.requests import PrivacyRequest, ProfileRequest
from foodshare.domain import privacy_settings, subject_requests, users
from foodshare.health import check_dependencies

app = build_resolver()


@app.get("/health")
def health():
    status, dependencies = check_dependencies()
    return {"status": status, "dependencies": dependencies}, 503 if status == "unavailable" else 200


@app.get("/me")
def get_me():
    return views.profile(users.ensure(caller_id(app)))


@app.put("/me")
def put_me(body: ProfileRequest):
    location = (body.location.lat, body.location.lng) if body.location else None
    return views.profile(users.update_profile(caller_id(app), body.display_name, location))


@app.get("/me/privacy")
def get_privacy():
    return views.privacy_settings(privacy_settings.get(caller_id(app)))


@app.put("/me/privacy")
def put_privacy(body: PrivacyRequest):
    return views.privacy_settings(
        privacy_settings.update(caller_id(app), body.restricted, body.leaderboard, body.location_precision)
    )


@app.get("/me/requests")
def get_requests():
    """The caller's data-subject requests (type, time, outcome), oldest first."""
    return {"requests": [subject_requests.view(r) for r in subject_requests.of(caller_id(app))]}


handler = entrypoint(app)
