"""Slack adapter: the `/food` slash command and button presses (block_actions), signed by Slack.

A slash command is answered in the response body (ephemeral, or in_channel for what
the channel should see); a button press is acknowledged with an empty 200 and its
result goes to the payload's `response_url`, as Slack expects for interactions.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl

from foodshare import clock
from foodshare.api.http import strict_json
from foodshare.bots import dialogue, outbound, parsing, secrets
from foodshare.bots.dialogue import Reply, Turn
from foodshare.bots.store import ChatRef
from foodshare.errors import ValidationFailed
from foodshare.observability import logger
from foodshare.settings import get_settings

PLATFORM = "slack"
MAX_AGE_SECONDS = 300  # Slack's advice: refuse older requests (replays)
FOLLOW_UP_TIMEOUT_SECONDS = 1.5  # the whole interaction must be acknowledged within 3 s
MAX_TEXT = 3000
MAX_BUTTON_LABEL = 75


def user_id(team_id: str, slack_user_id: str) -> str:
    return f"slack:{team_id}:{slack_user_id}"


def configured() -> bool:
    return get_settings().slack_signing_secret.configured


def verified(headers: dict[str, str], raw_body: bytes) -> bool:
    """`v0=` HMAC-SHA256 of `v0:<timestamp>:<body>` with the signing secret, at most 5 minutes old."""
    secret = secrets.resolve(get_settings().slack_signing_secret)
    timestamp = headers.get("x-slack-request-timestamp") or ""
    signature = headers.get("x-slack-signature") or ""
    if not (secret and signature and timestamp.isdigit()):
        return False
    if abs(clock.now().timestamp() - int(timestamp)) > MAX_AGE_SECONDS:
        return False
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"v0={digest}".encode(), signature.encode())


def form(raw_body: bytes) -> dict[str, str]:
    return dict(parse_qsl(raw_body.decode("utf-8", "replace"), keep_blank_values=True))


def _required(data: dict, *names: str) -> list[str]:
    missing = [n for n in names if not data.get(n)]
    if missing:
        raise ValidationFailed("The Slack request is missing fields.", fields={n: "required" for n in missing})
    return [str(data[n]) for n in names]


def chat(team_id: str, channel_id: str, channel_name: str | None) -> ChatRef:
    is_group = not channel_id.startswith("D") and channel_name != "directmessage"
    return ChatRef(PLATFORM, f"slack:{team_id}:{channel_id}", channel_id, is_group, channel_name and f"#{channel_name}")


def handle(fields: dict[str, str]) -> dict | None:
    """The response body for a slash command, or None for an interaction (answered via response_url)."""
    if "payload" in fields:
        try:
            payload = strict_json(fields["payload"])  # NaN, huge or deeply nested: a 400, never a 500
        except ValueError:
            raise ValidationFailed("The payload is not JSON.", fields={"payload": "invalid JSON"})
        _on_interaction(payload if isinstance(payload, dict) else {})
        return None
    team, user, channel = _required(fields, "team_id", "user_id", "channel_id")
    turn = Turn(user_id(team, user), chat(team, channel, fields.get("channel_name")), can_converse=False)
    return render(dialogue.on_command(turn, parsing.subcommand(fields.get("text", ""))))


def _on_interaction(payload: dict) -> None:
    if payload.get("type") != "block_actions":
        return
    person = payload.get("user") or {}
    team = (payload.get("team") or {}).get("id") or person.get("team_id")
    channel = payload.get("channel") or {}
    actions = payload.get("actions") or []
    if not (team and person.get("id") and channel.get("id") and actions and payload.get("response_url")):
        raise ValidationFailed("The interaction payload is incomplete.",
                               fields={"payload": "needs team, user, channel, actions and response_url"})
    turn = Turn(user_id(team, person["id"]), chat(team, channel["id"], channel.get("name")), can_converse=False)
    reply = dialogue.on_action(turn, str(actions[0].get("value") or actions[0].get("action_id") or ""))
    try:
        outbound.post_json(payload["response_url"], render(reply) | {"replace_original": reply.replaces},
                           attempts=1, timeout=FOLLOW_UP_TIMEOUT_SECONDS)
    except (outbound.RetryLater, outbound.Undeliverable):
        logger.warning("Slack response_url follow-up failed")


def render(reply: Reply) -> dict:
    """A Slack message: text, plus Block Kit buttons when the reply has some."""
    body: dict = {"response_type": "in_channel" if reply.public else "ephemeral", "text": reply.text[:MAX_TEXT]}
    if reply.buttons:
        body["blocks"] = [{"type": "section", "text": {"type": "plain_text", "text": reply.text[:MAX_TEXT]}}] + [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": b.label[:MAX_BUTTON_LABEL]},
                        "action_id": b.action,
                        "value": b.action,
                    }
                    for b in row
                ],
            }
            for row in reply.buttons
        ]
    return body


def post_message(channel: str, reply: Reply) -> None:
    """chat.postMessage with the bot token (notifications); a user id as channel means a DM from the app."""
    token = secrets.resolve(get_settings().slack_bot_token)
    if not token:
        raise outbound.Undeliverable(0, "SLACK_BOT_TOKEN is not configured")
    answer = outbound.post_json(
        f"{get_settings().slack_api_base}/chat.postMessage",
        {"channel": channel} | {k: v for k, v in render(reply).items() if k != "response_type"},
        headers={"authorization": f"Bearer {token}"},
    )
    if not isinstance(answer, dict) or not answer.get("ok"):
        raise outbound.Undeliverable(200, answer)
