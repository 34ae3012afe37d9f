"""What both webhook functions share: a plain resolver (not the JSON API's rules) and the raw body."""

from __future__ import annotations

import base64

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from foodshare.api import contract
from foodshare.api.http import error_response
from foodshare.observability import logger


def resolver() -> APIGatewayHttpResolver:
    """A resolver whose unexpected errors are logged and answered 500 (the platform then redelivers)."""
    app = APIGatewayHttpResolver()
    app.configure_openapi(title=contract.TITLE, version=contract.API_VERSION,
                          security_schemes=contract.SECURITY_SCHEMES)  # type: ignore[arg-type]

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        logger.exception("webhook failed")
        return error_response(500, "internal_error", "Something went wrong on our side.")

    return app


def raw_body(app: APIGatewayHttpResolver) -> bytes:
    """The body bytes as the sender signed them, whether or not API Gateway base64-encoded them."""
    event = app.current_event
    body = event.body or ""
    return base64.b64decode(body) if event.is_base64_encoded else body.encode()
