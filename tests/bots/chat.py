"""Realistic Telegram updates and signed Slack requests, sent through the webhooks' API Gateway events."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from foodshare import clock
from tests.support.api import Reply, call

TELEGRAM_SECRET = "tg-webhook-secret"
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_NAME = "FoodshareBot"

_update_ids = itertools.count(700_000_000)
_message_ids = itertools.count(1)


@dataclass(frozen=True)
class TgUser:
    id: int
    first_name: str

    def json(self) -> dict:
        return {"id": self.id, "is_bot": False, "first_name": self.first_name, "language_code": "en"}


GROUP_CHAT = {"id": -1001234567890, "title": "Elm Street Neighbours", "type": "supergroup"}


def private_chat(user: TgUser) -> dict:
    return {"id": user.id, "first_name": user.first_name, "type": "private"}


def message(user: TgUser, chat: dict, text: str | None = None, **extra) -> dict:
    """An Update with a message; a leading /command gets its bot_command entity as Telegram sends it."""
    body = {"message_id": next(_message_ids), "from": user.json(), "chat": chat, "date": int(time.time())}
    if text is not None:
        body["text"] = text
        if text.startswith("/"):
            body["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
    return {"update_id": next(_update_ids), "message": body | extra}


def button(user: TgUser, chat: dict, data: str, message_id: int = 1) -> dict:
    """An Update with a callback_query for an inline button on one of the bot's messages."""
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": str(next(_update_ids)),
            "from": user.json(),
            "message": {"message_id": message_id, "from": {"id": 1, "is_bot": True, "first_name": "Foodshare"},
                        "chat": chat, "date": int(time.time()), "text": "…"},
            "chat_instance": "-4242",
            "data": data,
        },
    }


BOT = {"id": 123456, "is_bot": True, "first_name": "Foodshare", "username": BOT_NAME}


def bot_status(user: TgUser, chat: dict, old: str, new: str) -> dict:
    """A my_chat_member Update: the bot's own status in a chat changed (added: left -> member, removed: -> left)."""
    def member(status: str) -> dict:
        return {"user": BOT, "status": status} | ({"until_date": 0} if status == "kicked" else {})

    return {
        "update_id": next(_update_ids),
        "my_chat_member": {"chat": chat, "from": user.json(), "date": int(time.time()),
                           "old_chat_member": member(old), "new_chat_member": member(new)},
    }


def service(user: TgUser, chat: dict, **fields) -> dict:
    """A service message (migrate_to_chat_id, migrate_from_chat_id, left_chat_member, …): no text."""
    body = {"message_id": next(_message_ids), "from": user.json(), "chat": chat, "date": int(time.time())}
    return {"update_id": next(_update_ids), "message": body | fields}


def telegram(update: dict, secret: str | None = TELEGRAM_SECRET, base64_body: bool = False) -> Reply:
    headers = {"x-telegram-bot-api-secret-token": secret} if secret is not None else {}
    return call("POST", "/webhooks/telegram", json=update, headers=headers, base64_body=base64_body)


def buttons(answer: dict) -> list[dict]:
    """The inline keyboard of a Bot API call, flattened."""
    keyboard = (answer.get("reply_markup") or {}).get("inline_keyboard") or []
    flat = [b for row in keyboard for b in row]
    too_long = [b["callback_data"] for b in flat if len(b.get("callback_data", "").encode()) > 64]
    assert not too_long, f"Telegram refuses callback_data over 64 bytes: {too_long}"
    return flat


def action(answer: dict, prefix: str) -> str:
    """The callback_data of the first button whose data starts with `prefix`."""
    return next(b["callback_data"] for b in buttons(answer) if b["callback_data"].startswith(prefix))


# ---- Slack -----------------------------------------------------------------------------

TEAM = "T0001"
CHANNEL = {"id": "C0FOOD", "name": "food-sharing"}


_triggers = itertools.count(13345224609)


def trigger_id() -> str:
    """A new trigger_id, as Slack gives each user action (a retry repeats its request's)."""
    return f"{next(_triggers)}.738474920.8088930838d88f008e0"


def signed_headers(body: bytes, secret: str = SLACK_SECRET, timestamp: int | None = None) -> dict:
    stamp = str(timestamp if timestamp is not None else int(clock.now().timestamp()))
    digest = hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": f"v0={digest}",
    }


def slash(user: str, text: str, channel: dict = CHANNEL, response_url: str = "https://hooks.slack.invalid/x") -> bytes:
    return urlencode({
        "token": "legacy-verification-token", "team_id": TEAM, "team_domain": "neighbours",
        "channel_id": channel["id"], "channel_name": channel["name"], "user_id": user, "user_name": user.lower(),
        "command": "/food", "text": text, "api_app_id": "A0APP", "is_enterprise_install": "false",
        "response_url": response_url, "trigger_id": trigger_id(),
    }).encode()


def block_action(user: str, value: str, response_url: str, channel: dict = CHANNEL) -> bytes:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "api_app_id": "A0APP",
        "team": {"id": TEAM, "domain": "neighbours"},
        "channel": channel,
        "container": {"type": "message", "message_ts": "1548261231.000200", "channel_id": channel["id"]},
        "trigger_id": trigger_id(),
        "response_url": response_url,
        "actions": [{"action_id": value, "block_id": "b1", "type": "button", "value": value,
                     "text": {"type": "plain_text", "text": "…"}, "action_ts": "1548426417.840180"}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def slack(body: bytes, headers: dict | None = None, base64_body: bool = False) -> Reply:
    return call("POST", "/webhooks/slack", raw_body=body, headers=headers or signed_headers(body),
                base64_body=base64_body)


def retried(body: bytes, num: int = 1) -> Reply:
    """Slack's retry of a request it got no 200 for within 3 s: the same body, signed anew, X-Slack-Retry-*."""
    return slack(body, headers=signed_headers(body) | {"x-slack-retry-num": str(num),
                                                      "x-slack-retry-reason": "http_timeout"})


def view_submission(user: str, view: dict, answers: dict[str, str]) -> bytes:
    """A view_submission of the share modal `view` (as views.open got it) with these answers typed in."""
    values = {}
    for block in view["blocks"]:
        answer = answers.get(block["block_id"])
        if block["element"]["type"] == "static_select":
            values[block["block_id"]] = {"value": {"type": "static_select",
                                                   "selected_option": {"value": answer} if answer else None}}
        else:
            values[block["block_id"]] = {"value": {"type": "plain_text_input", "value": answer}}
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "neighbours"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "api_app_id": "A0APP",
        "trigger_id": trigger_id(),
        "view": {**view, "id": "V0SHARE", "team_id": TEAM, "state": {"values": values}, "hash": "1.abc"},
    }
    return urlencode({"payload": json.dumps(payload)}).encode()
