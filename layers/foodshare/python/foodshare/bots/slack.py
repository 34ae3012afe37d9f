"""Slack adapter: the `/food` slash command, button presses (block_actions) and the share form, signed by Slack.

A slash command is answered in the response body (ephemeral, or in_channel for what
the channel should see); a button press is acknowledged with an empty 200 and its
result goes to the payload's `response_url`, as Slack expects for interactions.
`/food share` alone opens a modal (views.open); its view_submission is answered in the
response body, with `response_action: errors` naming each wrong field's block.
Slack retries a request it got no 200 for within 3 s, with the same body: every request is
applied once per user action (its `trigger_id`), with the Telegram adapter's Idempotency
guard (`webhook.idempotent`); a retry gets the first answer again, or an empty 200 while
the first is still running, and a share records the key in its own transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

from foodshare import clock, ids
from foodshare.api.http import strict_json
from foodshare.api.webhook_bodies import SLACK_INTERACTION, wrong_fields
from foodshare.bots import commands, outbound, parsing, secrets, sharing, webhook
from foodshare.bots.turns import Reply, Turn
from foodshare.bots.store import ChatRef
from foodshare.errors import DomainError, ValidationFailed
from foodshare.observability import logger
from foodshare.settings import get_settings

PLATFORM = "slack"
MAX_AGE_SECONDS = 300  # Slack's advice: refuse older requests (replays)
MAX_TIMESTAMP_DIGITS = 12  # Unix seconds have 10 digits until the year 2286; int() refuses over 4300
FOLLOW_UP_TIMEOUT_SECONDS = 1.5  # the whole interaction must be acknowledged within 3 s
MAX_TEXT = 3000
MAX_BUTTON_LABEL = 75
RETRY_RETENTION_SECONDS = 3600  # Slack retries three times within minutes (and a signature is good for 5)


def user_id(team_id: str, slack_user_id: str) -> str:
    return f"{ids.SLACK_PREFIX}{team_id}:{slack_user_id}"


def configured() -> bool:
    """The signing secret named and holding a value (an emptied secret is as good as none: 503)."""
    return bool(secrets.resolve(get_settings().slack_signing_secret))


def verified(headers: dict[str, str], raw_body: bytes) -> bool:
    """`v0=` HMAC-SHA256 of `v0:<timestamp>:<body>` with the signing secret, at most 5 minutes old."""
    secret = secrets.resolve(get_settings().slack_signing_secret)
    timestamp = headers.get("x-slack-request-timestamp") or ""
    signature = headers.get("x-slack-signature") or ""
    # "²".isdigit() and 5000 ASCII digits: int() refuses both (a 500 to anyone, before the signature is checked)
    if not (secret and signature and timestamp.isascii() and timestamp.isdigit()
            and len(timestamp) <= MAX_TIMESTAMP_DIGITS):
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


def _payload(fields: dict[str, str]) -> dict | None:
    """An interactive payload's JSON (None for a slash command)."""
    if "payload" not in fields:
        return None
    try:
        payload = strict_json(fields["payload"])  # NaN, huge or deeply nested: a 400, never a 500
    except ValueError:
        raise ValidationFailed("The payload is not JSON.", fields={"payload": "invalid JSON"})
    wrong = wrong_fields(SLACK_INTERACTION, payload)  # every field read below, typed: a 400 naming it, never a 500
    if wrong:
        raise ValidationFailed("The interaction payload is malformed.",
                               fields={("payload" if f == "body" else f"payload.{f}"): p for f, p in wrong.items()})
    return payload


def request_key(fields: dict[str, str], raw_body: bytes) -> str:
    """One key per user action: the `trigger_id` (new when the person acts again, the same in Slack's
    retries), else a digest of the body (a retry sends the same bytes). It names no one."""
    trigger = (_payload(fields) or fields).get("trigger_id")
    if isinstance(trigger, str) and trigger:
        return f"slack-trigger:{trigger}"
    return f"slack-body:{hashlib.sha256(raw_body).hexdigest()}"


def handle(fields: dict[str, str], key: str | None = None) -> dict | None:
    """The response body for a slash command or a form submission; None for a button (answered via response_url).
    Writes are recorded under `key` (a Turn's request_key), so a retry cannot apply them twice."""
    payload = _payload(fields)
    if payload is not None:
        return _on_interaction(payload, key)
    team, user, channel = _required(fields, "team_id", "user_id", "channel_id")
    turn = Turn(user_id(team, user), chat(team, channel, fields.get("channel_name")), can_converse=False,
                request_key=key)
    command = parsing.subcommand(fields.get("text", ""))
    if command.name == "share" and not command.args and fields.get("trigger_id"):
        return _open_share_form(turn, fields["trigger_id"])
    return render(commands.on_command(turn, command))


def _handle_request(request: dict) -> dict | None:
    return handle(request["fields"], request["key"])


@lru_cache(maxsize=1)
def _idempotent_handler():
    """handle guarded by Powertools Idempotency on the request key, as Telegram's updates are (webhook.idempotent)."""
    return webhook.idempotent(PLATFORM, _handle_request, key="key", prefix="request",
                              retention=RETRY_RETENTION_SECONDS)


def prepare() -> None:
    """Before a SnapStart snapshot: the Idempotency layer and its client (no call made, no secret read), and the
    interaction payload's compiled schema."""
    _idempotent_handler()
    wrong_fields(SLACK_INTERACTION, {})


def apply_once(raw_body: bytes, headers: dict[str, str], context: Any) -> dict | None:
    """handle, at most once per user action (request_key). A retry gets the first answer again; one arriving while
    the first still runs gets an empty 200 (an error would make Slack show one, or retry again)."""
    fields = form(raw_body)
    request = {"key": request_key(fields, raw_body), "fields": fields}
    if headers.get("x-slack-retry-num"):
        logger.info("Slack retry", extra={"retryNum": headers["x-slack-retry-num"],
                                           "retryReason": headers.get("x-slack-retry-reason")})
    try:
        return webhook.apply_once(_idempotent_handler(), request, context)
    except webhook.InProgress:
        return None


def _on_interaction(payload: dict, key: str | None) -> dict | None:
    if payload.get("type") == "view_submission":
        return _on_form(payload, key)
    if payload.get("type") != "block_actions":
        return None
    person, team = _person(payload)  # the payload's shape is checked (_payload): only presence is left
    channel = payload.get("channel") or {}
    actions, response_url = payload.get("actions"), payload.get("response_url")
    if not (team and person.get("id") and channel.get("id") and actions and response_url):
        raise ValidationFailed("The interaction payload is incomplete.",
                               fields={"payload": "needs team, user, channel, actions and response_url"})
    turn = Turn(user_id(team, person["id"]), chat(team, channel["id"], channel.get("name")),
                can_converse=False, request_key=key)
    reply = commands.on_action(turn, actions[0].get("value") or actions[0].get("action_id") or "")
    try:
        outbound.post_json(response_url, render(reply) | {"replace_original": reply.replaces},
                           attempts=1, timeout=FOLLOW_UP_TIMEOUT_SECONDS)
    except (outbound.RetryLater, outbound.Undeliverable):
        logger.warning("Slack response_url follow-up failed")


# ---- the share form (a modal) ------------------------------------------------------------

SHARE_FORM = "share"
FORM_INPUTS = {  # block_id: (label, placeholder, optional)
    "title": ("What are you sharing?", "Vegetable soup", False),
    "quantity": ("Portions (1-10)", "3", False),
    "window": ("Pickup window", "2h, 90m, 18:00-20:00 or now-20:00", False),
    "place": ("Pickup place", "52.37,4.89 Community hall", False),
    "labels": ("Dietary tags and allergens", "#vegan #halal !nuts", True),
}


def _open_share_form(turn: Turn, trigger_id: str) -> dict | None:
    """views.open with the command's trigger_id; the slash command itself then answers nothing."""
    try:
        choices = sharing.form_groups(turn)
    except DomainError as exc:
        return render(Reply(f"⚠️ {exc.message}"))
    try:
        web_api("views.open", {"trigger_id": trigger_id, "view": share_form_view(turn.chat.address, choices)},
                attempts=1, timeout=FOLLOW_UP_TIMEOUT_SECONDS)  # the trigger and the command both expire in 3 s
    except (outbound.RetryLater, outbound.Undeliverable):
        logger.warning("views.open failed; answering with the one-line form")
        return render(Reply(sharing.ONE_LINE))
    return None


def share_form_view(channel: str, choices: dict[str, str] | None) -> dict:
    """The modal: one input block per field (block_id = the field, so errors land next to it)."""
    blocks = []
    if choices:
        options = [{"text": {"type": "plain_text", "text": name[:75]}, "value": gid}
                   for gid, name in sorted(choices.items(), key=lambda x: x[1])]
        blocks.append({"type": "input", "block_id": "group", "label": {"type": "plain_text", "text": "Group"},
                       "element": {"type": "static_select", "action_id": "value", "options": options[:100]}})
    for block_id, (label, placeholder, optional) in FORM_INPUTS.items():
        blocks.append({
            "type": "input", "block_id": block_id, "optional": optional,
            "label": {"type": "plain_text", "text": label},
            "element": {"type": "plain_text_input", "action_id": "value",
                        "placeholder": {"type": "plain_text", "text": placeholder}},
        })
    return {
        "type": "modal", "callback_id": SHARE_FORM,
        "title": {"type": "plain_text", "text": "Share food"},
        "submit": {"type": "plain_text", "text": "Share"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"channel": channel}),
        "blocks": blocks,
    }


def _on_form(payload: dict, key: str | None) -> dict | None:
    """view_submission: share, or `response_action: errors` with a message next to each wrong field."""
    view = payload.get("view") or {}
    person, team = _person(payload)
    if view.get("callback_id") != SHARE_FORM or not (team and person.get("id")):
        raise ValidationFailed("The form submission is incomplete.", fields={"payload": "needs team, user and view"})
    try:  # our own JSON, written into the view when it opened
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        metadata = {}
    channel = metadata.get("channel") if isinstance(metadata, dict) else None
    channel = channel if isinstance(channel, str) else ""
    answers = {}
    for block_id, actions in ((view.get("state") or {}).get("values") or {}).items():
        value = actions.get("value") or {}
        answers[block_id] = value.get("value") or (value.get("selected_option") or {}).get("value")
    person_id = person["id"]
    where = chat(team, channel, None) if channel else chat(team, f"D{person_id}", "directmessage")
    turn = Turn(user_id(team, person_id), where, can_converse=False, request_key=key)
    reply, problems = sharing.share_form(turn, answers, answers.get("group"))
    if problems:
        blocks = {b.get("block_id") for b in view.get("blocks") or []} or set(FORM_INPUTS)
        return {"response_action": "errors",
                "errors": {(f if f in blocks else "title"): message[:150] for f, message in problems.items()}}
    return None  # an empty 200 closes the modal; the announcement follows in the channel


def _person(payload: dict) -> tuple[dict, str]:
    """The acting user's object and their team id (the payload's team, else the user's)."""
    person = payload.get("user") or {}
    return person, (payload.get("team") or {}).get("id") or person.get("team_id") or ""


def render(reply: Reply) -> dict:
    """A Slack message: text, plus Block Kit buttons when the reply has some.

    The private part is shown only in an ephemeral answer (only the person sees those)."""
    text = f"{reply.text}\n{reply.private}" if reply.private and not reply.public else reply.text
    body: dict = {"response_type": "in_channel" if reply.public else "ephemeral", "text": text[:MAX_TEXT]}
    if reply.buttons:
        body["blocks"] = [{"type": "section", "text": {"type": "plain_text", "text": text[:MAX_TEXT]}}] + [
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


def post_message(channel: str, reply: Reply) -> str:
    """chat.postMessage with the bot token; a user id as channel means a DM from the app. The message's ts."""
    body = {k: v for k, v in render(reply).items() if k != "response_type"}
    answer = web_api("chat.postMessage", {"channel": channel} | body)
    return str(answer.get("ts") or "")


def update_message(channel: str, ts: str, reply: Reply) -> None:
    """chat.update of one of the app's messages; the blocks are always sent, so old buttons go."""
    body = render(reply)
    blocks = body.get("blocks") or [{"type": "section", "text": {"type": "plain_text", "text": body["text"]}}]
    web_api("chat.update", {"channel": channel, "ts": ts, "text": body["text"], "blocks": blocks})


def web_api(method: str, payload: dict, *, attempts: int = outbound.MAX_ATTEMPTS,
            timeout: float = outbound.TIMEOUT_SECONDS) -> dict:
    """One Web API call with the bot token; Undeliverable unless Slack says ok."""
    token = secrets.resolve(get_settings().slack_bot_token)
    if not token:
        raise outbound.Undeliverable(0, "SLACK_BOT_TOKEN is not configured")
    answer = outbound.post_json(f"{get_settings().slack_api_base}/{method}", payload,
                                headers={"authorization": f"Bearer {token}"}, attempts=attempts, timeout=timeout)
    if not isinstance(answer, dict) or not answer.get("ok"):
        raise outbound.Undeliverable(200, answer)
    return answer
