"""The local API Gateway: JWTs checked like the authorizer, requests served by the real handlers."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest

from local.jwt_keys import issue_token
from local.server import make_server


@pytest.fixture
def base_url():
    server = make_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def request(base_url: str, method: str, path: str, token: str | None = None, body=None,
            content_type: str = "application/json"):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base_url + path, data=data, method=method)
    if token:
        req.add_header("authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("content-type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null"), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null"), dict(err.headers)


def test_full_flow_through_http(base_url):
    sam, cleo = issue_token("sam"), issue_token("cleo")
    assert request(base_url, "GET", "/health")[0] == 200
    assert request(base_url, "PUT", "/me", sam, {"displayName": "Sam", "location": {"lat": 52.5, "lng": 13.4}})[0] == 200
    status, group, _ = request(base_url, "POST", "/groups", sam, {"name": "Kiez"})
    assert status == 201
    status, invite, _ = request(base_url, "POST", f"/groups/{group['groupId']}/invites", sam)
    assert status == 201
    assert request(base_url, "POST", "/groups/join", cleo, {"inviteCode": invite["inviteCode"]})[0] == 200
    status, post, _ = request(base_url, "POST", "/food", sam, {
        "groupId": group["groupId"], "title": "Soup", "quantity": 2,
        "pickupLocation": {"lat": 52.5, "lng": 13.4},
        "pickupStart": "2031-01-01T10:00:00Z", "pickupEnd": "2031-01-01T12:00:00Z"})
    assert status == 201
    status, found, _ = request(base_url, "GET", "/food?lat=52.5&lng=13.4", cleo)
    assert status == 200 and [i["foodId"] for i in found["items"]] == [post["foodId"]]
    status, exchange, _ = request(base_url, "POST", f"/food/{post['foodId']}/claims", cleo)
    assert status == 201 and exchange["status"] == "claimed"
    assert request(base_url, "POST", f"/food/{post['foodId']}/claims", cleo)[0] == 409


def test_tokens_are_checked_like_the_authorizer(base_url):
    status, body, headers = request(base_url, "GET", "/me")
    assert status == 401 and body["error"]["code"] == "unauthorized"
    assert request(base_url, "GET", "/me", "not.a.jwt")[0] == 401
    assert request(base_url, "GET", "/me", issue_token("sam", ttl_seconds=-10))[0] == 401
    forged = issue_token("sam")[:-4] + "AAAA"
    assert request(base_url, "GET", "/me", forged)[0] == 401
    assert request(base_url, "GET", "/me", issue_token("sam"))[0] == 200


def test_unknown_routes_and_methods(base_url):
    token = issue_token("sam")
    assert request(base_url, "GET", "/nowhere", token)[0] == 404
    assert request(base_url, "PATCH", "/me", token, {})[0] == 405
