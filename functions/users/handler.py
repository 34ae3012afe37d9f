"""Users function: health check and the caller's own profile (GET/PUT /me)."""

from __future__ import annotations

from foodshare.api import views
from foodshare.api.http import build_resolver, caller_id, created, entrypoint
from foodshare.api.requests import EraseAccountRequest, PrivacyRequest, ProfileRequest
from foodshare.cache import purge
from foodshare.domain import erasure, privacy_settings, subject_requests, users
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


@app.post("/me/erasure")
def request_erasure():
    code, expires_at = erasure.request(caller_id(app))
    return created({"confirmationCode": code, "expiresAt": expires_at})


@app.delete("/me")
def erase_me(body: EraseAccountRequest):
    """Erase the caller's account (docs/privacy.md); the cache forgets them before the answer."""
    erased = erasure.erase(caller_id(app), body.confirmation_code)
    purge.purge(erased.markers, erased.group_ids)
    return {"erased": True}


handler = entrypoint(app)
