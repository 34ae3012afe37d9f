"""The resolver every API function uses: JSON errors, identity from the JWT claims, entry point.

Errors always answer `{"error": {"code", "message", "fields"?}}`; request validation
failures become 400 naming each bad field (Powertools would answer 422).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths

from foodshare.catalog import all_routes
from foodshare.errors import DomainError, Unauthorized
from foodshare.observability import logger, metrics, tracer

JSON = "application/json"
COMPACT = (",", ":")  # the same JSON shape Powertools gives 200 responses
_PUBLIC_ROUTE_KEYS = frozenset(f"{route.method} {route.path}" for _, route in all_routes() if route.public)


def error_body(code: str, message: str, fields: dict | None = None, retry_at: str | None = None) -> str:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    if retry_at:
        error["retryAt"] = retry_at
    return json.dumps({"error": error}, separators=COMPACT)


def error_response(
    status: int, code: str, message: str, fields: dict | None = None, retry_at: str | None = None
) -> Response:
    return Response(status_code=status, content_type=JSON, body=error_body(code, message, fields, retry_at))


def _proxy_error(status: int, code: str, message: str, headers: dict | None = None) -> dict:
    """An error answered before the resolver runs, in the proxy response shape it would produce."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": JSON, **(headers or {})},
        "body": error_body(code, message),
        "isBase64Encoded": False,
    }


def _field_name(location: tuple) -> str:
    # ("body", "pickupLocation", "lat") -> "pickupLocation.lat"; ("query", "limit") -> "limit"
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header") and not isinstance(p, int)]
    return ".".join(parts) or "body"


def _not_json(app: APIGatewayHttpResolver) -> bool:
    event = app.current_event
    content_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    return bool(event.body) and bool(content_type) and content_type != JSON


def build_resolver() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)

    @app.exception_handler(DomainError)
    def _domain_error(exc: DomainError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.fields, exc.retry_at)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(exc: RequestValidationError) -> Response:
        if _not_json(app):  # the API speaks JSON: say so rather than list confusing field errors
            return error_response(415, "unsupported_media_type", "Send the body as JSON (content-type: application/json).")
        fields: dict[str, str] = {}
        for error in exc.errors():
            fields.setdefault(_field_name(tuple(error.get("loc", ()))), error.get("msg", "invalid"))
        return error_response(400, "validation_error", "The request is not valid.", fields)

    @app.not_found
    def _unknown_route(exc: NotFoundError) -> Response:
        return error_response(404, "not_found", "No such route.")

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        logger.exception("unhandled error")
        return error_response(500, "internal_error", "Something went wrong on our side.")

    return app


def _subject(event: dict) -> str | None:
    context = event.get("requestContext") or {}
    claims = ((context.get("authorizer") or {}).get("jwt") or {}).get("claims") or {}
    sub = claims.get("sub")
    return str(sub) if sub else None


def caller_id(app: APIGatewayHttpResolver) -> str:
    """The signed-in user's id: the `sub` claim the JWT authorizer put in the request context."""
    sub = _subject(app.current_event.raw_event)
    if not sub:
        raise Unauthorized(UNAUTHORIZED_MESSAGE)
    return sub


UNAUTHORIZED_MESSAGE = "Sign in first: this route needs a valid bearer token."


def created(body: dict) -> Response:
    return Response(status_code=201, content_type=JSON, body=json.dumps(body, separators=COMPACT))


# Powertools keeps the event being resolved on the class (`BaseRouter.current_event`), shared by
# every resolver in the process: two resolutions at once in one process (the local stack's
# containers, threaded tests) would read each other's request and caller. Lambda sends a
# process one event at a time, so there this lock is never contended.
_ONE_RESOLUTION_AT_A_TIME = threading.RLock()


def entrypoint(app: APIGatewayHttpResolver) -> Callable[[dict, Any], dict]:
    """The Lambda handler for a resolver, with logging context, metrics and tracing around it."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    def handler(event: dict, context: Any) -> dict:
        from foodshare.cache import stats

        try:  # cache metrics are flushed after every request
            with _ONE_RESOLUTION_AT_A_TIME:
                return _limited(event, lambda: app.resolve(event, context))
        finally:
            stats.flush()

    return handler


def _limited(event: dict, resolve: Callable[[], dict]) -> dict:
    """Identity first, as the gateway's authorizer would (no 400s to strangers), then the
    caller's rate limit on this route: a 429, or the resolver's answer with the limit headers.

    Here rather than in a Powertools middleware: those run after request validation and
    share the resolver's per-request state between threads.
    """
    from foodshare.cache import ratelimit

    route_key = event.get("routeKey", "")
    if route_key in _PUBLIC_ROUTE_KEYS:
        return resolve()
    user_id = _subject(event)
    if not user_id:
        return _proxy_error(401, "unauthorized", UNAUTHORIZED_MESSAGE)
    decision = ratelimit.check(user_id, route_key)
    if decision is None:
        logger.warning("rate limiter unavailable (Redis down): request let through", extra={"route": route_key})
        return resolve()
    headers = decision.headers()
    if not decision.allowed:
        limit, seconds = ratelimit.limit_for(route_key)
        message = f"Too many requests: {limit} per {seconds} s on {route_key}. Retry in {headers['Retry-After']} s."
        return _proxy_error(429, "rate_limited", message, headers)
    answer = resolve()
    answer["headers"] = {**(answer.get("headers") or {}), **headers}
    return answer
