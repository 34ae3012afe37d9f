"""What API Gateway does in front of a function: route matching and the HTTP API v2 event.

The local server and the tests both build events here, so handlers see exactly the
payload (format 2.0) the real gateway sends, JWT claims included.
"""

from __future__ import annotations

import base64
import re
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl

from foodshare.catalog import API_FUNCTIONS, Route


@dataclass(frozen=True)
class MatchedRoute:
    function: str
    route: Route
    path_parameters: dict[str, str]

    @property
    def route_key(self) -> str:
        return f"{self.route.method} {self.route.path}"


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[re.Pattern, str, Route]]:
    patterns = []
    for fn in API_FUNCTIONS:
        for route in fn.routes:
            regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", route.path)
            patterns.append((re.compile(f"^{regex}$"), fn.name, route))
    # Literal segments beat parameters, as in API Gateway: /groups/join before /groups/{groupId}.
    patterns.sort(key=lambda p: p[2].path.count("{"))
    return patterns


def match_route(method: str, path: str) -> MatchedRoute | None:
    for pattern, function, route in _patterns():
        if route.method == method.upper():
            found = pattern.match(path)
            if found:
                return MatchedRoute(function, route, found.groupdict())
    return None


def path_exists(path: str) -> bool:
    return any(pattern.match(path) for pattern, _, _ in _patterns())


def build_event(
    matched: MatchedRoute,
    path: str,
    *,
    query_string: str = "",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    claims: dict | None = None,
    source_ip: str = "127.0.0.1",
) -> dict:
    """An API Gateway HTTP API payload 2.0 event; bodies that are not UTF-8 text go base64."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    query: dict[str, str] = {}
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value  # how HTTP API joins repeats
    now = time.time()
    event: dict = {
        "version": "2.0",
        "routeKey": matched.route_key,
        "rawPath": path,
        "rawQueryString": query_string,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": headers.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": matched.route.method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": matched.route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = query
    if matched.path_parameters:
        event["pathParameters"] = matched.path_parameters
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    if body:
        try:
            event["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    return event
