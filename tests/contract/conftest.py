"""The running stack the contract tests talk to, over HTTP: `(base_url, token_for)`.

The session's served stack (the synthesized dev template on the emulator), with bearer tokens
its JWT authorizer accepts.
`world` makes, through the API, a user who belongs to a group with real posts, exchanges
and partnerships, so generated requests can name things that exist.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest

from tests.support.stack import aws, clean_redis  # noqa: F401  (the served stack's replacements)



@dataclass(frozen=True)
class Stack:
    base_url: str
    token_for: Callable[[str], str]

    def call(self, method: str, path: str, user: str, body: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers={
            "authorization": f"Bearer {self.token_for(user)}", "content-type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:  # a first call may wait for a cold worker
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


@pytest.fixture(scope="session")
def stack(served_stack) -> Stack:
    """The session's served stack (tests/support/stack.py): the dev template on the emulator, its
    webhooks configured with secrets the fuzzer does not know."""
    return Stack(served_stack.api_url, served_stack.token)


@dataclass
class World:
    """Who and what exists on the stack: `user` belongs to a group and has things to act on."""

    user: str
    ids: dict[str, list[str]] = field(default_factory=dict)  # path parameters
    body: dict[str, list[str]] = field(default_factory=dict)  # request body fields


def _iso(hours: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ok(answer: tuple[int, dict]) -> dict:
    status, body = answer
    assert status in (200, 201), body
    return body


@pytest.fixture(scope="session")
def world(stack: Stack) -> World:
    """`fuzzer` (admin of a group with a partner group), `friend` in the same group; posts shared
    both ways, a claim each way, one partnership accepted and one pending."""
    suffix = str(int(time.time() * 1000))[-6:]
    me, friend, other = f"fuzzer-{suffix}", f"friend-{suffix}", f"other-{suffix}"
    here = {"lat": 52.52, "lng": 13.405}
    for user in (me, friend, other):
        _ok(stack.call("PUT", "/me", user, {"displayName": user, "location": here}))
    group = _ok(stack.call("POST", "/groups", me, {"name": "Fuzz Kitchen"}))["groupId"]
    code = _ok(stack.call("POST", f"/groups/{group}/invites", me))["inviteCode"]
    _ok(stack.call("POST", "/groups/join", friend, {"inviteCode": code}))
    partner_a = _ok(stack.call("POST", "/groups", other, {"name": "Partner A"}))["groupId"]
    partner_b = _ok(stack.call("POST", "/groups", other, {"name": "Partner B"}))["groupId"]
    active = _ok(stack.call("POST", f"/groups/{partner_a}/partnerships", other, {"targetGroupId": group}))
    _ok(stack.call("POST", f"/partnerships/{active['partnershipId']}/accept", me))
    pending = _ok(stack.call("POST", f"/groups/{partner_b}/partnerships", other, {"targetGroupId": group}))
    unrelated = _ok(stack.call("POST", "/groups", other, {"name": "Partner C"}))["groupId"]  # no partnership yet
    fresh_code = _ok(stack.call("POST", f"/groups/{unrelated}/invites", other))["inviteCode"]
    revocable = _ok(stack.call("POST", f"/groups/{group}/invites", me, {"maxUses": 5}))["inviteCode"]  # DELETE's

    def post(user: str, title: str) -> str:
        return _ok(stack.call("POST", "/food", user, {
            "groupId": group, "title": title, "quantity": 2, "pickupLocation": {**here, "label": "Door"},
            "pickupStart": _iso(1), "pickupEnd": _iso(3)}))["foodId"]

    mine = [post(me, f"Bread {n}") for n in range(3)]
    theirs = [post(friend, f"Soup {n}") for n in range(3)]
    claimed_by_me = _ok(stack.call("POST", f"/food/{theirs[0]}/claims", me))["exchangeId"]
    claimed_from_me = _ok(stack.call("POST", f"/food/{mine[0]}/claims", friend))["exchangeId"]
    return World(me, {
        "groupId": [group],
        "foodId": [*mine[1:], *theirs[1:], mine[0]],
        "exchangeId": [claimed_by_me, claimed_from_me],
        "partnershipId": [pending["partnershipId"], active["partnershipId"]],
        "userId": [me, friend],
        "code": [revocable],
    }, body={
        # request body fields that must name something real to get past 404 (POST /food,
        # POST /groups/{groupId}/partnerships, POST /groups/join)
        "groupId": [group],
        "targetGroupId": [unrelated, partner_a],
        "inviteCode": [fresh_code, code],
    })
