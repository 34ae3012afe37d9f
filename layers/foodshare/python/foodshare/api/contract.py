"""The API's contract, declared next to each route: its success status, the errors it can
answer (status, envelope schema, `code` values) and its security.

A route declares everything in one line, and the OpenAPI document is generated from it:

    @app.post("/food/<foodId>/claims", operation_id="claimFood",
              **private(201, "not_found", "own_post", "already_claimed"))
    def claim_food(foodId: str) -> models.Exchange: ...

`private(...)` adds what every JSON API route can answer (400 validation_error, 401,
413, 415, 429: see `ALWAYS`) and the JWT bearer scheme; `public(...)` is for routes
without the authorizer. A new error code goes into `ERRORS` once, with its status.
"""

from __future__ import annotations

from typing import Any

# The API's version: bump it with every change to the contract and say what changed in
# docs/api.md ("Changelog"). The generated document's info.version is this value.
API_VERSION = "5.4.0"
TITLE = "Foodshare API"

JSON = "application/json"

# Every error code the API answers, with its HTTP status and what it means.
ERRORS: dict[str, tuple[int, str]] = {
    "validation_error": (400, "A parameter or the body is not valid; `fields` names each bad field."),
    "disclaimer_not_accepted": (400, "The group has a disclaimer; `acceptedDisclaimerVersion` must be its version."),
    "unauthorized": (401, "No valid bearer token (or webhook credential)."),
    "forbidden": (403, "The caller may not do this."),
    "own_post": (403, "Sharers cannot claim their own post."),
    "processing_restricted": (403, "The caller restricted processing of their data (PUT /me/privacy); lift it first."),
    "erasure_not_requested": (403, "No pending erasure: ask for a confirmation code first (POST /me/erasure)."),
    "erasure_code_expired": (403, "The erasure confirmation code has expired; ask for a new one."),
    "account_erased": (403, "The caller's account is being erased (DELETE /me): it can no longer act."),
    "banned": (403, ("The caller was banned from this group by its moderators: they cannot rejoin it, claim its "
                     "posts through a partnership or rate its exchanges.")),
    "own_report": (403, "A report about the caller is decided by another admin or moderator."),
    "not_allowed_on_member": (403, "This action may not be taken on this member (an admin, or the caller)."),
    "not_another_admin": (403, "An appeal is decided by a group admin other than whoever took the action."),
    "not_found": (404, "No such resource, or not visible to the caller."),
    "invite_not_found": (404, "Unknown invite code, or its group is gone."),
    "conflict": (409, "The request conflicts with the current state."),
    "concurrent_update": (409, "Another change to the same data won a race; retry."),
    "already_claimed": (409, "Someone else claimed the food first."),
    "not_available": (409, "The food is no longer available."),
    "insufficient_credits": (409, "Not enough credits to claim."),
    "partner_claim_limit": (409, "The partnership's weekly claim limit is reached."),
    "invalid_state": (409, "The resource is not in a state that allows this."),
    "too_early": (409, "Too early: the pickup window has not ended."),
    "rating_window_closed": (409, "The rating window has closed."),
    "already_rated": (409, "The caller has already rated this exchange."),
    "already_member": (409, "The caller is already a member of the group."),
    "invite_expired": (409, "The invite code has expired."),
    "invite_used_up": (409, "The invite has been used as many times as its `maxUses` allows."),
    "invite_revoked": (409, ("The invite was revoked by an admin of the group, or whoever made it is no longer an "
                             "admin of the group.")),
    "partnership_exists": (409, "The groups already have an open partnership."),
    "pseudonym_unavailable": (409, "No unique pseudonym could be allocated; retry."),
    "active_claim_limit": (409, ("The caller's trust level allows no more simultaneous active claims; "
                                 "`retryAt` is absent: it lifts when one of them completes or is cancelled.")),
    "daily_credit_limit": (409, ("The caller's trust level allows no more credits spent on claims today; "
                                 "`retryAt` says when the next UTC day starts.")),
    "group_claim_quota": (409, ("The group's claim quota for a member is used up; `retryAt` says when a claim "
                                "leaves the rolling window (or the quota lifts near the pickup's end).")),
    "suspended_low_ratings": (409, ("Suspended from claiming and posting after low ratings (3 below 3 stars from 3 "
                                    "different people in 30 days, average below 3); `retryAt` says when it lifts.")),
    "restricted": (409, "Restricted from posting and claiming in this group by its moderators; `retryAt` says until when."),
    "already_reported": (409, "The caller already has an open report about this subject."),
    "report_closed": (409, "The report has already been decided."),
    "already_moderating": (409, "The member is already a moderator or admin."),
    "not_exemplary": (409, "Only exemplary members may be made moderators."),
    "already_appealed": (409, "The action has already been appealed; an action can be appealed once."),
    "appeal_decided": (409, "The appeal has already been decided."),
    "in_progress": (409, "This webhook update is being processed; retry later."),
    "payload_too_large": (413, "The body is larger than the API accepts."),
    "unsupported_media_type": (415, "The body is not sent as application/json."),
    "rate_limited": (429, "Too many requests on this route; see Retry-After."),
    "not_configured": (503, "The integration is not configured on this stage."),
}

# What every JSON API route can answer, whatever it does (the entry point and resolver checks).
ALWAYS = ("validation_error", "payload_too_large", "unsupported_media_type")
AUTHENTICATED = ("unauthorized", "rate_limited")

JWT = "jwt"
TELEGRAM_SECRET = "telegramSecretToken"
SLACK_SIGNATURE = "slackSignature"
SLACK_TIMESTAMP = "slackRequestTimestamp"
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    JWT: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": ("An access token of the stage's issuer (Cognito, or the issuer cdk.json names), checked by the "
                        "HTTP API's JWT authorizer; its `sub` is the caller's user id. A `sub` of a chat user's form "
                        "(`tg:…`, `slack:…`), an erased account's (`anon-…`) or holding `#` is answered 401: chat "
                        "users act only through the bots' webhooks."),
    },
    TELEGRAM_SECRET: {
        "type": "apiKey",
        "in": "header",
        "name": "X-Telegram-Bot-Api-Secret-Token",
        "description": "The secret token given to Telegram's setWebhook.",
    },
    SLACK_SIGNATURE: {
        "type": "apiKey",
        "in": "header",
        "name": "X-Slack-Signature",
        "description": "v0= HMAC-SHA256 of `v0:{timestamp}:{body}` with the Slack app's signing secret.",
    },
    SLACK_TIMESTAMP: {
        "type": "apiKey",
        "in": "header",
        "name": "X-Slack-Request-Timestamp",
        "description": "Seconds since the epoch; requests older than 5 minutes are refused.",
    },
}

_RATE_HEADERS = {
    "RateLimit-Limit": "Requests allowed per window on this route.",
    "RateLimit-Remaining": "Requests left in the current window.",
    "RateLimit-Reset": "Seconds until the window resets.",
}
_SUCCESS = {200: "OK", 201: "Created", 202: "Accepted"}


def _headers(names: dict[str, str]) -> dict[str, dict]:
    return {name: {"description": text, "schema": {"type": "string"}} for name, text in names.items()}


def error_schema(codes: list[str]) -> dict[str, Any]:
    """The `{"error": {"code", "message", "fields"?, "retryAt"?}}` envelope, `code` limited to `codes`."""
    return {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "additionalProperties": False,
                "properties": {
                    "code": {"type": "string", "enum": codes},
                    "message": {"type": "string"},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "description": "Each bad field (camelCase, dotted for nested ones) and what is wrong with it.",
                    },
                    "retryAt": {
                        "type": "string",
                        "format": "date-time",
                        "description": "A refusal by a fairness or moderation rule: when it lifts (UTC).",
                    },
                },
            }
        },
    }


# What API Gateway itself answers before a function runs: a route behind the JWT authorizer
# without a valid token gets 401, and a stage over its throttle 429, each as `{"message": ...}`.
GATEWAY_ANSWERS = {401: "Unauthorized", 429: "Too Many Requests"}
GATEWAY_MESSAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["message"],
    "additionalProperties": False,
    "properties": {"message": {"type": "string"}},
    "description": "API Gateway's own answer (the authorizer or the stage's throttle), before any function runs.",
}


def _error_response(status: int, codes: list[str], rate_limited: bool) -> dict[str, Any]:
    examples = {code: {"summary": ERRORS[code][1], "value": {"error": {"code": code, "message": ERRORS[code][1]}}}
                for code in codes}
    schema = error_schema(codes)
    if rate_limited and status in GATEWAY_ANSWERS:  # behind the authorizer: the gateway may answer first
        schema = {"anyOf": [schema, GATEWAY_MESSAGE_SCHEMA]}
        examples["gateway"] = {"summary": "API Gateway's own answer", "value": {"message": GATEWAY_ANSWERS[status]}}
    response: dict[str, Any] = {
        "description": " ".join(f"`{code}`: {ERRORS[code][1]}" for code in codes),
        "content": {JSON: {"schema": schema, "examples": examples}},
    }
    if status == 429:
        response["headers"] = _headers({**_RATE_HEADERS, "Retry-After": "Seconds to wait before retrying."})
    elif rate_limited:
        response["headers"] = _headers(_RATE_HEADERS)
    return response


def responses(success: int, codes: tuple[str, ...], rate_limited: bool = False,
              success_description: str | None = None, model: type | None = None) -> dict[int, dict[str, Any]]:
    """Powertools `responses=`: the success answer (its schema comes from the handler's
    return annotation, or `model` for a body the handler hands over already serialized)
    and one entry per error status with its codes."""
    unknown = [code for code in codes if code not in ERRORS]
    if unknown:
        raise KeyError(f"error codes not in foodshare.api.contract.ERRORS: {unknown}")
    ok: dict[str, Any] = {"description": success_description or _SUCCESS.get(success, "OK")}
    if rate_limited:
        ok["headers"] = _headers(_RATE_HEADERS)
    if model is not None:
        ok["content"] = {JSON: {"model": model}}
    answers: dict[int, dict[str, Any]] = {success: ok}
    by_status: dict[int, list[str]] = {}
    for code in dict.fromkeys(codes):  # keeps the order, drops repeats
        by_status.setdefault(ERRORS[code][0], []).append(code)
    for status in sorted(by_status):
        answers[status] = _error_response(status, by_status[status], rate_limited)
    return answers


def private(success: int = 200, *codes: str, description: str | None = None, model: type | None = None) -> dict[str, Any]:
    """Route keyword arguments for a JSON API route behind the JWT authorizer."""
    return {
        "status_code": success,
        "responses": responses(success, (*ALWAYS, *AUTHENTICATED, *codes), True, description, model),
        "security": [{JWT: []}],
    }


def public(success: int = 200, *codes: str, security: list[dict[str, list[str]]] | None = None,
           description: str | None = None, also: dict[int, dict[str, Any]] | None = None,
           body: dict[str, Any] | None = None) -> dict[str, Any]:
    """Route keyword arguments for a route without the authorizer (health, signed webhooks).

    `also`: more answers in the success's shape (no content given: the return annotation's).
    `body`: the requestBody of a route that reads its body itself (webhooks: `api/webhook_bodies.py`).
    With no `security`, the operation says so explicitly (`security: []`)."""
    answers = {**responses(success, codes, False, description), **(also or {})}
    kwargs: dict[str, Any] = {"status_code": success, "responses": answers}
    extensions: dict[str, Any] = {"requestBody": body} if body else {}
    if security:
        kwargs["security"] = security
    else:
        extensions["security"] = []
    if extensions:  # Powertools copies these into the operation as they are
        kwargs["openapi_extensions"] = extensions
    return kwargs
