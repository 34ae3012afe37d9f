"""Slack webhook: POST /webhooks/slack, slash commands and interactive payloads (public route, signed).

Slack posts form-encoded bodies, so not the JSON API's resolver rules; the signature
is checked over the raw bytes (API Gateway may have base64-encoded them). Slack retries a request it got
no 200 for within 3 s; `slack.apply_once` applies each user action once.
"""

from __future__ import annotations

import json

from aws_lambda_powertools.event_handler import Response

from foodshare import snapstart
from foodshare.api.contract import SLACK_SIGNATURE, SLACK_TIMESTAMP, public
from foodshare.api.http import JSON, entrypoint, error_response
from foodshare.api.webhook_bodies import FORM, SLACK_REQUEST, request_body
from foodshare.bots import slack, webhook
from foodshare.errors import ValidationFailed

app = webhook.resolver()


@app.post("/webhooks/slack", operation_id="slackRequest",
          summary="Slack slash commands and interactive payloads (form-encoded, signed)",
          **public(200, "validation_error", "unauthorized", "payload_too_large", "not_configured",
                   security=[{SLACK_SIGNATURE: [], SLACK_TIMESTAMP: []}],
                   description="The answer shown in Slack (JSON), or an empty body",
                   body=request_body(SLACK_REQUEST, FORM)))
def slack_request() -> Response[dict]:
    if not slack.configured():
        return error_response(503, "not_configured", "The Slack app is not configured.")
    refused = webhook.too_large(app)  # before the signature: nobody makes us decode and hash 10 MB
    if refused is not None:
        return refused
    raw = webhook.raw_body(app)
    if not slack.verified(app.current_event.headers, raw):
        return error_response(401, "unauthorized", "Missing, wrong or expired Slack signature.")
    try:
        answer = slack.apply_once(raw, app.current_event.headers, app.lambda_context)
    except ValidationFailed as exc:
        return error_response(400, exc.code, exc.message, exc.fields)
    if answer is None:
        return Response(status_code=200, body="")
    return Response(status_code=200, content_type=JSON, body=json.dumps(answer))


handler = entrypoint(app)
snapstart.add_before_snapshot(slack.prepare)  # its own client: Powertools Idempotency on the table
