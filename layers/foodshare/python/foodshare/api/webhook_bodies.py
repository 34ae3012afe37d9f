"""What Telegram and Slack post to the webhooks, as OpenAPI request bodies.

The webhook functions read their bodies by hand (a signature over the raw bytes, a 200
for every update Telegram should stop redelivering), not through pydantic request
models, so their bodies are documented here as plain JSON Schema: typed at the top
level, the nested Telegram/Slack objects left open (their platforms define them and
add fields). Plain dicts rather than models keep pydantic out of the webhooks' cold start.
The Telegram update and the Slack interaction payload type every field the bot reads, and
the webhooks check each body against its schema (`wrong_fields`): the bots' code can then
trust those fields, and a mistyped one is a 400 naming it rather than a 500 (which the
platform would redeliver) deep in a handler.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from foodshare.api.contract import JSON

FORM = "application/x-www-form-urlencoded"

_OBJECT = {"type": "object", "additionalProperties": True}
_INTEGER, _STRING = {"type": "integer"}, {"type": "string"}


def _object(required: list[str], **properties: Any) -> dict[str, Any]:
    """A platform's object: the fields the bot reads, typed; any others allowed."""
    return {**_OBJECT, "required": required, "properties": properties}


_TG_USER = _object(["id"], id=_INTEGER, is_bot={"type": "boolean"}, username=_STRING)
_TG_CHAT = _object(["id"], id=_INTEGER, type=_STRING, title=_STRING)
_TG_MESSAGE = _object(
    ["message_id", "chat"], message_id=_INTEGER, chat=_TG_CHAT, text=_STRING,
    entities={"type": "array", "items": _object(["type", "offset"], type=_STRING, offset=_INTEGER)},
    location=_object(["latitude", "longitude"], latitude={"type": "number", "minimum": -90, "maximum": 90},
                     longitude={"type": "number", "minimum": -180, "maximum": 180}),
    migrate_to_chat_id=_INTEGER, migrate_from_chat_id=_INTEGER, left_chat_member=_TG_USER,
    **{"from": _TG_USER},
)
_TG_MEMBER = _object(["status"], status=_STRING)

TELEGRAM_UPDATE: dict[str, Any] = {
    "title": "TelegramUpdate",
    "description": "A Bot API Update (https://core.telegram.org/bots/api#update). Exactly one of the optional "
    "objects is present; updates the bot does not handle are acknowledged with an empty 200.",
    "type": "object",
    "required": ["update_id"],
    "additionalProperties": True,
    "properties": {
        "update_id": {"type": "integer", "description": "Telegram's id; a redelivered update is applied once."},
        "message": {**_TG_MESSAGE, "description": "A new message: commands, replies in a guided share, a "
                    "location, or a service message (a group migrated, a member left)."},
        "edited_message": {**_OBJECT, "description": "Ignored."},
        "callback_query": {
            **_object(["id", "from"], id=_STRING, data=_STRING, message=_object(
                ["message_id", "chat"], message_id=_INTEGER, chat=_TG_CHAT), **{"from": _TG_USER}),
            "description": "A button press (claim, confirm, rate, report)."},
        "my_chat_member": {
            **_object(["chat"], chat=_TG_CHAT, old_chat_member=_TG_MEMBER, new_chat_member=_TG_MEMBER,
                      **{"from": _TG_USER}),
            "description": "The bot's own status in a chat changed (added, removed, blocked)."},
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

def _or_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A field Slack sends as null when it has nothing (an empty input, no option chosen, an org-wide app's team)."""
    return {"anyOf": [schema, {"type": "null"}]}


_SL_ANSWER = _object([], value=_or_null(_STRING), selected_option=_or_null(_object([], value=_STRING)))

SLACK_INTERACTION: dict[str, Any] = {
    "title": "SlackInteraction",
    "description": "The `payload` of an interaction: a button press (`block_actions`) or the share form's "
    "`view_submission` (https://api.slack.com/reference/interaction-payloads); other types are acknowledged "
    "with an empty 200. Every field the bot reads is typed here, and the webhook checks each payload against "
    "it, as it does Telegram's updates.",
    "type": "object",
    "additionalProperties": True,
    "properties": {
        "type": _STRING,
        "trigger_id": _STRING,
        "user": _object([], id=_STRING, team_id=_STRING),
        "team": _or_null(_object([], id=_STRING)),
        "channel": _object([], id=_STRING, name=_STRING),
        "response_url": {"type": "string", "pattern": "^https?://"},
        "actions": {"type": "array", "items": _object([], value=_STRING, action_id=_STRING)},
        "view": _object(
            [], callback_id=_STRING, private_metadata=_STRING,
            blocks={"type": "array", "items": _object([], block_id=_STRING)},
            state=_object([], values={"type": "object", "additionalProperties": {  # block_id: {action_id: answer}
                "type": "object", "additionalProperties": _SL_ANSWER}}),
        ),
    },
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
        "payload": {"type": "string", "description": "An interaction as JSON text.",
                    "contentMediaType": "application/json", "contentSchema": SLACK_INTERACTION},
    },
    "examples": [{
        "command": "/food", "text": "browse", "team_id": "T0001", "user_id": "U0ANNA",
        "channel_id": "C0FOOD", "channel_name": "food-sharing",
    }],
}


def wrong_fields(schema: dict[str, Any], body: Any) -> dict[str, str]:
    """What in `body` breaks `schema`, as {field path: problem} for a 400 (the first problem found); {} when none."""
    import fastjsonschema

    try:
        _validator(schema["title"])(body)
    except fastjsonschema.JsonSchemaValueException as exc:
        return {exc.name.removeprefix("data").lstrip(".") or "body": exc.message.removeprefix(exc.name).strip()}
    return {}


@cache
def _validator(title: str) -> Callable[[Any], object]:
    """The schema compiled once per container (by the snapshot hook, or the first request)."""
    import fastjsonschema  # imported on first use: the webhooks' cold start stays lean

    return fastjsonschema.compile(next(s for s in (TELEGRAM_UPDATE, SLACK_INTERACTION) if s["title"] == title))


def request_body(schema: dict[str, Any], media_type: str = JSON) -> dict[str, Any]:
    """An OpenAPI requestBody for a body the handler reads itself."""
    return {"required": True, "content": {media_type: {"schema": schema}}}
