"""Drive the API handlers in-process with real API Gateway v2 events (the path Lambda takes)."""

from __future__ import annotations

import base64
import importlib
import json as jsonlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from local.lambda_context import LambdaContext
from tests.support.apigw import build_event, match_route


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict

    @property
    def error_code(self) -> str | None:
        return (self.body or {}).get("error", {}).get("code") if isinstance(self.body, dict) else None


def claims_for(user_id: str) -> dict:
    return {"sub": user_id, "iss": "https://local.foodshare/issuer", "aud": "foodshare", "token_use": "access"}


def invoke(event: dict, function: str) -> dict:
    from tests.support.runtime import ONE_EVENT_AT_A_TIME

    module = importlib.import_module(f"functions.{function}.handler")
    with ONE_EVENT_AT_A_TIME:  # one event at a time per process, as on Lambda (tests/support/runtime.py)
        return module.handler(event, LambdaContext(function_name=f"foodshare-{function}"))


def call(
    method: str,
    path: str,
    *,
    user: str | None = None,
    json: Any = None,
    raw_body: bytes | None = None,
    query: dict | None = None,
    base64_body: bool = False,
    headers: dict | None = None,
) -> Reply:
    matched = match_route(method, path)
    assert matched is not None, f"no route for {method} {path}"
    body = raw_body if raw_body is not None else (jsonlib.dumps(json).encode() if json is not None else None)
    event = build_event(
        matched,
        path,
        query_string=urlencode(query or {}),
        headers={"content-type": "application/json", **(headers or {})},
        body=body,
        claims=claims_for(user) if user else None,
    )
    if base64_body and body is not None:
        event["body"] = base64.b64encode(body).decode()
        event["isBase64Encoded"] = True
    response = invoke(event, matched.function)
    raw = response.get("body") or ""
    if response.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    return Reply(response["statusCode"], jsonlib.loads(raw) if raw else None, response.get("headers") or {})


def pages(path: str, *, user: str, limit: int) -> list[Any]:
    """Every page of a paged GET route, following `nextCursor` until it is null: each page's body, in order."""
    bodies, cursor = [], None
    while True:
        reply = call("GET", path, user=user, query={"limit": str(limit), **({"cursor": cursor} if cursor else {})})
        assert reply.status == 200, reply
        bodies.append(reply.body)
        cursor = reply.body["nextCursor"]
        if cursor is None:
            return bodies
