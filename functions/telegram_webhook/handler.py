"""Telegram webhook: POST /webhooks/telegram (public route; Telegram proves itself with the secret token).

Not the JSON API's resolver rules: Telegram needs a 200 for every update it should
stop redelivering, and the body of that 200 may carry one Bot API call.
"""

from __future__ import annotations

import json

from aws_lambda_powertools.event_handler import Response

from foodshare import snapstart
from foodshare.api.contract import TELEGRAM_SECRET, public
from foodshare.api.http import JSON, entrypoint, error_response, strict_json
from foodshare.api.webhook_bodies import TELEGRAM_UPDATE, request_body, wrong_fields
from foodshare.bots import telegram, webhook

app = webhook.resolver()


@app.post("/webhooks/telegram", operation_id="telegramUpdate",
          summary="Telegram Bot API updates (setWebhook); the 200's body may carry one Bot API call",
          **public(200, "validation_error", "unauthorized", "payload_too_large", "in_progress", "not_configured",
                   security=[{TELEGRAM_SECRET: []}], body=request_body(TELEGRAM_UPDATE)))
def telegram_update() -> Response[dict]:
    if not telegram.configured():
        return error_response(503, "not_configured", "The Telegram bot is not configured.")
    if not telegram.authorized(app.current_event.headers):
        return error_response(401, "unauthorized", "Missing or wrong X-Telegram-Bot-Api-Secret-Token.")
    refused = webhook.too_large(app)  # not decoded or parsed
    if refused is not None:
        return refused
    try:  # the JSON API's strict parser: a NaN, huge or deeply nested update is a 400, never a 500
        update = strict_json(webhook.raw_body(app).decode() or "null")
    except ValueError:  # not base64, not UTF-8 or not JSON (JSONDecodeError is a ValueError)
        update = None
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        return error_response(400, "validation_error", "Not a Telegram Update.", {"update_id": "required integer"})
    wrong = wrong_fields(TELEGRAM_UPDATE, update)  # every field the bot reads, typed: a 400, never a 500 in a handler
    if wrong:
        return error_response(400, "validation_error", "Not a Telegram Update.", wrong)
    try:
        answer = telegram.apply_once(update, app.lambda_context)
    except webhook.InProgress:  # Telegram retries later and then gets the stored answer
        return error_response(409, "in_progress", "This update is being processed.")
    return Response(status_code=200, content_type=JSON, body=json.dumps(answer or {}))  # a replayed {} comes back as None


def prepare() -> None:
    """Before the snapshot: the Idempotency layer's own client on the table, and the update's compiled schema."""
    telegram.prepare()
    wrong_fields(TELEGRAM_UPDATE, {"update_id": 0})


handler = entrypoint(app)
snapstart.add_before_snapshot(prepare)
