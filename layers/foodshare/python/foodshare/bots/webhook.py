"""What both webhook functions share: a plain resolver (not the JSON API's rules), the raw body, and
applying a request the platform may send again at most once."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from foodshare.api import contract
from foodshare.api.http import error_response
from foodshare.observability import log_exception


def resolver() -> APIGatewayHttpResolver:
    """A resolver whose unexpected errors are logged and answered 500 (the platform then redelivers)."""
    app = APIGatewayHttpResolver()
    app.configure_openapi(title=contract.TITLE, version=contract.API_VERSION,
                          security_schemes=contract.SECURITY_SCHEMES)  # type: ignore[arg-type]

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log_exception("webhook failed", exc)  # a pydantic ValidationError's text would quote what the person typed
        return error_response(500, "internal_error", "Something went wrong on our side.")

    return app


# Far above anything the platforms send (a Telegram message holds 4096 characters; a Slack form's view a few KB),
# far below API Gateway's 10 MB: a larger body is refused before it is decoded, hashed or parsed.
MAX_BODY_BYTES = 1024 * 1024


def too_large(app: APIGatewayHttpResolver) -> Response | None:
    """A 413 for a body over MAX_BODY_BYTES (counted as the bytes it stands for, base64 or not), else None."""
    event = app.current_event
    body = event.body or ""
    if event.is_base64_encoded:
        size = len(body) * 3 // 4
    else:
        size = len(body) if len(body) > MAX_BODY_BYTES else len(body.encode("utf-8", "surrogatepass"))
    if size <= MAX_BODY_BYTES:
        return None
    return error_response(413, "payload_too_large", f"The body is larger than {MAX_BODY_BYTES} bytes.")


def raw_body(app: APIGatewayHttpResolver) -> bytes:
    """The body bytes as the sender signed them, whether or not API Gateway base64-encoded them."""
    event = app.current_event
    body = event.body or ""
    return base64.b64decode(body) if event.is_base64_encoded else body.encode()


class InProgress(Exception):
    """The same request is being handled right now (a concurrent redelivery or retry)."""


def idempotent(platform: str, handle: Callable[[dict], Any], *, key: str, prefix: str, retention: int):
    """`handle(request)` guarded by Powertools Idempotency on `request[key]` (records `IDEMPOTENCY#<platform>` in
    our table for `retention` seconds), as (config, guarded); built on first use: it imports boto3."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    from foodshare.data.schema import HASH_KEY, RANGE_KEY, TTL_ATTRIBUTE
    from foodshare.settings import get_settings

    settings = get_settings()
    client = None
    if settings.dynamodb_endpoint:
        import boto3

        client = boto3.client("dynamodb", region_name=settings.region, endpoint_url=settings.dynamodb_endpoint)
    persistence = DynamoDBPersistenceLayer(
        table_name=settings.table_name,
        key_attr=HASH_KEY,
        sort_key_attr=RANGE_KEY,
        static_pk_value=f"IDEMPOTENCY#{platform}",
        expiry_attr=TTL_ATTRIBUTE,
        boto3_client=client,
    )
    config = IdempotencyConfig(event_key_jmespath=key, raise_on_no_idempotency_key=True,
                               expires_after_seconds=retention)

    def run(request: dict) -> Any:
        return handle(request)

    guarded = idempotent_function(
        data_keyword_argument="request", persistence_store=persistence, config=config, key_prefix=prefix
    )(run)
    return config, guarded


def apply_once(guard: tuple, request: dict, context: Any) -> Any:
    """The guarded handler's answer, at most once per request key; a repeat gets the first answer again, and
    InProgress while the first is still running."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

    config, guarded = guard
    config.register_lambda_context(context)
    try:
        return guarded(request=request)
    except IdempotencyAlreadyInProgressError as exc:
        raise InProgress(str(request.get(config.event_key_jmespath))) from exc
