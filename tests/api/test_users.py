"""Health and profiles: GET /health, PUT /me, GET /me."""

from __future__ import annotations

from tests.support.api import call


def test_health_checks_each_dependency():
    reply = call("GET", "/health")
    assert reply.status == 200
    assert reply.body["status"] == "ok"
    assert reply.body["dependencies"]["dynamodb"]["status"] == "ok"
    assert reply.body["dependencies"]["redis"]["status"] == "ok"


def test_health_reports_dynamodb_outage(monkeypatch):
    from foodshare.data import models

    def broken():
        raise RuntimeError("table gone")

    monkeypatch.setattr(models.Item, "count", classmethod(lambda cls, *args, **kwargs: broken()))
    reply = call("GET", "/health")
    assert reply.status == 503
    assert reply.body["status"] == "unavailable"
    assert reply.body["dependencies"]["dynamodb"] == {"status": "down", "error": "RuntimeError", "latencyMs": None}


def test_profile_created_with_pseudonym_welcome_credits_and_start_score():
    reply = call("PUT", "/me", user="ana", json={"displayName": "Ana K.", "location": {"lat": 52.5, "lng": 13.4}})
    assert reply.status == 200
    profile = reply.body
    assert profile["displayName"] == "Ana K."
    assert profile["location"] == {"lat": 52.5, "lng": 13.4}
    assert profile["score"] == 60 and profile["trustLevel"] == "developing"
    assert "Ana" not in profile["pseudonym"] and len(profile["pseudonym"]) >= 8
    credits = call("GET", "/me/credits", user="ana").body
    assert credits["balance"] == 3
    assert [t["reason"] for t in credits["transactions"]] == ["welcome"]


def test_pseudonym_is_generated_once_and_unique():
    first = call("PUT", "/me", user="ana", json={"displayName": "Ana"}).body["pseudonym"]
    again = call("PUT", "/me", user="ana", json={"displayName": "Ana Maria"}).body
    assert again["pseudonym"] == first and again["displayName"] == "Ana Maria"
    assert call("GET", "/me", user="ana").body["pseudonym"] == first
    others = {call("GET", "/me", user=f"user-{i}").body["pseudonym"] for i in range(30)}
    assert len(others) == 30 and first not in others


def test_location_can_be_removed():
    call("PUT", "/me", user="ana", json={"displayName": "Ana", "location": {"lat": 1, "lng": 2}})
    assert call("PUT", "/me", user="ana", json={"displayName": "Ana"}).body["location"] is None


def test_profile_validation_names_each_bad_field():
    reply = call("PUT", "/me", user="ana", json={"displayName": "", "location": {"lat": 91, "lng": -200}})
    assert reply.status == 400
    assert reply.error_code == "validation_error"
    assert set(reply.body["error"]["fields"]) == {"displayName", "location.lat", "location.lng"}
    assert call("GET", "/users/ana/reputation", user="bob").status == 404  # nothing was written


def test_unknown_fields_and_non_json_bodies_are_rejected():
    reply = call("PUT", "/me", user="ana", json={"displayName": "Ana", "email": "a@b.c"})
    assert reply.status == 400 and "email" in reply.body["error"]["fields"]
    reply = call("PUT", "/me", user="ana", raw_body=b"displayName=Ana",
                 headers={"content-type": "application/x-www-form-urlencoded"})
    assert reply.status == 415
    reply = call("PUT", "/me", user="ana", raw_body=b"{broken")
    assert reply.status == 400 and reply.body["error"]["fields"] == {"body": "JSON decode error"}


def test_base64_encoded_body_is_decoded():
    reply = call("PUT", "/me", user="ana", json={"displayName": "Ana"}, base64_body=True)
    assert reply.status == 200 and reply.body["displayName"] == "Ana"


def test_routes_need_identity():
    for method, path in (("GET", "/me"), ("PUT", "/me"), ("GET", "/me/credits"), ("GET", "/food")):
        reply = call(method, path)
        assert reply.status == 401, (method, path)
        assert reply.error_code == "unauthorized"
