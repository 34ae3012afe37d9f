"""What Telegram and Slack post to the webhooks, as OpenAPI request bodies.

The webhook functions read their bodies by hand (a signature over the raw bytes, a 200
for every update Telegram should stop redelivering), not through pydantic request
models, so their bodies are documented here as plain JSON Schema: typed at the top
level, the nested Telegram/Slack objects left open (their platforms define them and
add fields). Plain dicts rather than models keep pydantic out of the webhooks' cold start.
"""

from __future__ import annotations

from typing import Any

from foodshare.api.contract import JSON

FORM = "application/x-www-form-urlencoded"

_OBJECT = {"type": "object", "additionalProperties": True}

TELEGRAM_UPDATE: dict[str, Any] = {
    "title": "TelegramUpdate",
    "description": "A Bot API Update (https://core.telegram.org/bots/api#update). Exactly one of the optional "
    "objects is present; updates the bot does not handle are acknowledged with an empty 200.",
    "type": "object",
    "required": ["update_id"],
    "additionalProperties": True,
    "properties": {
        "update_id": {"type": "integer", "description": "Telegram's id; a redelivered update is applied once."},
        "message": {**_OBJECT, "description": "A new message: commands, replies in a guided share, a location."},
        "edited_message": {**_OBJECT, "description": "Ignored."},
        "callback_query": {**_OBJECT, "description": "A button press (claim, confirm, rate)."},
        "my_chat_member": {**_OBJECT, "description": "Ignored."},
    },
    "examples": [{
        "update_id": 912345678,
        "message": {
            "message_id": 17, "date": 1777654800, "text": "/start",
            "from": {"id": 111111, "is_bot": False, "first_name": "Alice"},
            "chat": {"id": -1001234567890, "type": "supergroup", "title": "Elm Street Neighbours"},
            "entities": [{"offset": 0, "length": 6, "type": "bot_command"}],
        },
    }],
}

SLACK_REQUEST: dict[str, Any] = {
    "title": "SlackRequest",
    "description": "A slash command (`command`, `text`, `team_id`, `user_id`, `channel_id`, ...) or an "
    "interaction (`payload`: a JSON string, https://api.slack.com/reference/interaction-payloads).",
    "type": "object",
    "additionalProperties": True,
    "properties": {
        "command": {"type": "string", "description": "The slash command, `/food`."},
        "text": {"type": "string", "description": "What follows the command: `share ...`, `browse`, `help`."},
        "team_id": {"type": "string"},
        "user_id": {"type": "string"},
        "channel_id": {"type": "string"},
        "channel_name": {"type": "string"},
        "response_url": {"type": "string"},
        "trigger_id": {"type": "string"},
        "payload": {"type": "string", "description": "An interaction (block_actions) as JSON text."},
    },
    "examples": [{
        "command": "/food", "text": "browse", "team_id": "T0001", "user_id": "U0ANNA",
        "channel_id": "C0FOOD", "channel_name": "food-sharing",
    }],
}


def request_body(schema: dict[str, Any], media_type: str = JSON) -> dict[str, Any]:
    """An OpenAPI requestBody for a body the handler reads itself."""
    return {"required": True, "content": {media_type: {"schema": schema}}}
