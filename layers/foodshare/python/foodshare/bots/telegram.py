"""Telegram adapter: Bot API updates in, Bot API method calls out.

The webhook answers with one method call in its response body (Telegram executes
it), so most replies cost no outbound request; a button press also needs
answerCallbackQuery, sent through the Bot API client. Redelivered updates (same
`update_id`) are applied once with Powertools Idempotency on our table: the first
run's answer is stored and replayed, and a concurrent duplicate is refused while
the first is still in progress; a share also records the update id in its own
transaction, for a redelivery after a run died before that record was saved.
Chat lifecycle updates (my_chat_member, supergroup migration, left_chat_member) keep
the chat's link to its group where announcements and notices go.
"""

from __future__ import annotations

import hmac
from dataclasses import replace
from functools import lru_cache
from typing import Any

from foodshare import ids
from foodshare.bots import commands, outbound, parsing, rendering, secrets, sharing, store, webhook
from foodshare.bots.store import ChatRef
from foodshare.bots.turns import Reply, Turn
from foodshare.domain import groups
from foodshare.errors import Conflict
from foodshare.observability import logger
from foodshare.settings import get_settings

PLATFORM = "telegram"
SECRET_HEADER = "x-telegram-bot-api-secret-token"
UPDATE_RETENTION_SECONDS = 24 * 3600  # Telegram gives up on an update after a day
GROUP_CHATS = ("group", "supergroup")
MAX_TEXT = 4096  # sendMessage and editMessageText refuse longer text ("message is too long")


def user_id(telegram_user_id: int | str) -> str:
    return f"{ids.TELEGRAM_PREFIX}{telegram_user_id}"


def configured() -> bool:
    """Both secrets named and holding a value (an emptied secret is as good as none: 503)."""
    settings = get_settings()
    return bool(secrets.resolve(settings.telegram_webhook_secret) and secrets.resolve(settings.telegram_bot_token))


def authorized(headers: dict[str, str]) -> bool:
    """The secret_token given to setWebhook, compared in constant time."""
    expected = secrets.resolve(get_settings().telegram_webhook_secret)
    given = headers.get(SECRET_HEADER)
    return bool(expected and given) and hmac.compare_digest(given.encode(), expected.encode())


def call(method: str, payload: dict, *, attempts: int = outbound.MAX_ATTEMPTS) -> Any:
    """One Bot API call through the configured base URL; the `result` of an ok answer."""
    token = secrets.resolve(get_settings().telegram_bot_token)
    answer = outbound.post_json(f"{get_settings().telegram_api_base}/bot{token}/{method}", payload, attempts=attempts)
    if not isinstance(answer, dict) or not answer.get("ok"):
        raise outbound.Undeliverable(200, answer)
    return answer.get("result")


def message(chat_id: str | int, reply: Reply, reply_to: int | None = None) -> dict:
    """sendMessage arguments for a reply."""
    payload: dict = {"chat_id": chat_id, "text": _text(reply)}
    markup = _markup(reply)
    if markup:
        payload["reply_markup"] = markup
    if reply_to is not None:
        payload["reply_parameters"] = {"message_id": reply_to, "allow_sending_without_reply": True}
    return payload


def _text(reply: Reply) -> str:
    """The reply's text within Telegram's limit: cut at whole items, saying how many more there are
    (`rendering.fit`), not split into several messages. The webhook answer carries one message; more
    would be Bot API calls after it that can fail or be throttled on their own, a list split across
    messages reads out of order in a busy group, and the buttons (Claim 1-5) belong to one message.
    Five posts at most (`/browse`) are seldom too long; when they are, a narrower /browse shows the rest."""
    return rendering.fit(reply.text, MAX_TEXT)


def _markup(reply: Reply) -> dict | None:
    if reply.buttons:
        return {
            "inline_keyboard": [[{"text": b.label, "callback_data": b.action} for b in row] for row in reply.buttons]
        }
    if reply.expects_answer:  # in a group with privacy mode, only replies to the bot reach it
        return {"force_reply": True, "selective": True}
    return None


def send(chat_id: str | int, reply: Reply) -> str:
    """sendMessage through the Bot API (not a webhook answer): the new message's id, to edit it later."""
    result = call("sendMessage", message(chat_id, reply))
    return str(result["message_id"]) if isinstance(result, dict) and "message_id" in result else ""


def edit(chat_id: str | int, message_id: str, reply: Reply) -> None:
    """editMessageText; an empty keyboard removes the old buttons."""
    payload = {"chat_id": chat_id, "message_id": int(message_id), "text": _text(reply),
               "reply_markup": _markup(reply) or {"inline_keyboard": []}}
    try:
        call("editMessageText", payload)
    except outbound.Undeliverable as exc:
        if "message is not modified" not in str(exc.body):  # already shows this: done
            raise


def chat(data: dict) -> ChatRef:
    return ChatRef(PLATFORM, f"tg:{data['id']}", str(data["id"]), data.get("type") in GROUP_CHATS, data.get("title"))


def handle_update(update: dict) -> dict:
    """The webhook answer for one update: a Bot API call (`{"method": …}`) or {} (nothing to do)."""
    request_key = f"telegram-update:{update['update_id']}"
    if isinstance(update.get("message"), dict):
        return _on_message(update["message"], request_key)
    if isinstance(update.get("callback_query"), dict):
        return _on_button(update["callback_query"], request_key)
    if isinstance(update.get("my_chat_member"), dict):
        return _on_membership_of_bot(update["my_chat_member"])
    return {}


# ---- chat lifecycle: the bot added or removed, a group upgraded, a member leaving -------

PRESENT = ("member", "administrator", "creator", "restricted")
WELCOME = ("Hi! I help this chat share food. Send /start to make it a Foodshare group "
           "(or to join it), then /share what you have.")


def _on_membership_of_bot(change: dict) -> dict:
    """my_chat_member: the bot's own status in a chat changed (added, removed, blocked, unblocked)."""
    if not isinstance(change.get("chat"), dict):
        return {}
    where = chat(change["chat"])
    before = (change.get("old_chat_member") or {}).get("status")
    after = (change.get("new_chat_member") or {}).get("status")
    if after in ("left", "kicked"):
        if where.is_group:
            store.detach_chat(where.key)
        elif change["chat"].get("type") == "private" and (change.get("from") or {}).get("id"):
            store.forget_private_chat(user_id(change["from"]["id"]), PLATFORM)  # blocked by the person
        return {}
    if after in PRESENT and before not in PRESENT and where.is_group:
        if store.reattach_chat(where) is not None:
            return {"method": "sendMessage", "chat_id": where.address,
                    "text": "I'm back: new food shared in this group is announced here again."}
        return {"method": "sendMessage", "chat_id": where.address, "text": WELCOME}
    return {}


def _on_service_message(data: dict, where: ChatRef) -> dict | None:
    """Service messages about the chat itself; None when the message is not one of them."""
    if data.get("migrate_to_chat_id") is not None:  # sent in the old group
        new_id = data["migrate_to_chat_id"]
        store.migrate_chat(where.key, ChatRef(PLATFORM, f"tg:{new_id}", str(new_id), True, where.title))
        return {}
    if data.get("migrate_from_chat_id") is not None:  # sent in the new supergroup
        store.migrate_chat(f"tg:{data['migrate_from_chat_id']}", where)
        return {}
    left = data.get("left_chat_member")
    if isinstance(left, dict):
        if left.get("is_bot"):
            if _is_this_bot(left):
                store.detach_chat(where.key)
            return {}
        group_id = store.linked_group(where.key)
        if group_id is not None and groups.membership(group_id, user_id(left["id"])) is not None:
            try:  # as DELETE /groups/{groupId}/members/me: a last admin hands the group to its longest-standing member
                groups.leave(group_id, user_id(left["id"]))
            except Conflict:  # lost every retry's race with other changes to the group: they stay a member
                logger.info("a chat member left but their leave kept losing races", extra={"groupId": group_id})
        return {}
    return None


def _is_this_bot(account: dict) -> bool:
    username = get_settings().telegram_bot_username
    if username:
        return (account.get("username") or "").lower() == username.lower()
    token = secrets.resolve(get_settings().telegram_bot_token) or ""
    return token.split(":", 1)[0] == str(account.get("id"))


# ---- messages and buttons ----------------------------------------------------------------


def _on_message(data: dict, request_key: str) -> dict:
    if isinstance(data.get("chat"), dict):
        service = _on_service_message(data, chat(data["chat"]))
        if service is not None:
            return service
    sender = data.get("from") or {}
    if not sender.get("id") or sender.get("is_bot") or not isinstance(data.get("chat"), dict):
        return {}
    where = chat(data["chat"])
    turn = Turn(user_id(sender["id"]), where, can_converse=True, chat_sees_replies=where.is_group,
                request_key=request_key)
    text = data.get("text") or ""
    entities = data.get("entities") or []
    command = None
    if any(e.get("type") == "bot_command" and e.get("offset") == 0 for e in entities):
        command = parsing.command(text, get_settings().telegram_bot_username)
        if command is None:  # addressed to another bot in the group
            return {}
    if command is not None:
        reply = commands.on_command(turn, command)
    else:
        pin = data.get("location")
        location = (float(pin["latitude"]), float(pin["longitude"])) if isinstance(pin, dict) else None
        reply = sharing.on_answer(turn, text=text or None, location=location)
        if reply is None:
            return {}
    if reply.personal and where.is_group:  # the group chat sees only where it went
        sent = _to_private_chat(reply, turn.user_id, "I sent you that in our private chat.", command=True)
        return {"method": "sendMessage", **message(where.address, Reply(sent), data.get("message_id"))}
    reply = _keep_private(reply, where, turn.user_id)
    return {"method": "sendMessage", **message(where.address, reply, data.get("message_id") if where.is_group else None)}


def _on_button(query: dict, request_key: str) -> dict:
    origin = query.get("message")
    if not isinstance(origin, dict) or not isinstance(origin.get("chat"), dict) or not (query.get("from") or {}).get("id"):
        return {"method": "answerCallbackQuery", "callback_query_id": query["id"], "text": "Not supported here."}
    where = chat(origin["chat"])
    turn = Turn(user_id(query["from"]["id"]), where, can_converse=True, chat_sees_replies=where.is_group,
                request_key=request_key)
    reply = commands.on_action(turn, str(query.get("data") or ""))
    if reply.personal and where.is_group:
        _answer_button(query, _to_private_chat(reply, turn.user_id))
        return {}
    reply = _keep_private(reply, where, turn.user_id)
    _answer_button(query, reply.notice)
    if reply.replaces:
        edit = {"chat_id": where.address, "message_id": origin["message_id"], "text": _text(reply)}
        if reply.buttons:  # without reply_markup the edit removes the old buttons
            edit["reply_markup"] = _markup(reply)
        return {"method": "editMessageText", **edit}
    return {"method": "sendMessage", **message(where.address, reply)}


def _answer_button(query: dict, notice: str | None) -> None:
    """answerCallbackQuery: the toast only the presser sees (best effort: the change is already made)."""
    try:
        call("answerCallbackQuery", {"callback_query_id": query["id"], "text": (notice or "")[:200]}, attempts=2)
    except (outbound.RetryLater, outbound.Undeliverable):  # the spinner just times out
        logger.warning("answerCallbackQuery failed", extra={"callback_query_id": query["id"]})


def _to_private_chat(reply: Reply, person: str, sent: str = "I sent you the choice in our private chat.",
                     command: bool = False) -> str:
    """A reply for the person alone, asked for in a group: sent to their private chat with the bot; the
    answer (a button's toast, or for a `command` a line in the group) says where it went (`sent`) or how to open
    that chat. A button's reply without buttons is simply its toast, which only the presser sees."""
    if reply.buttons or command:  # a choice to make (the report reasons), or an answer the group must not see
        address = store.private_chat(person, PLATFORM)
        if address is None:
            return ("Send /start to me in a private chat first, then ask again." if command
                    else "Send /start to me in a private chat first, then press the button again.")
        try:
            send(address, replace(reply, replaces=False))
        except (outbound.RetryLater, outbound.Undeliverable):
            logger.warning("personal reply not delivered")
            return "I could not reach our private chat: send /start to me there and try again."
        return sent
    return reply.notice or reply.text


PRIVATE_HINT = "Send /start to me in a private chat and I'll send you exact pickup places there."


def _keep_private(reply: Reply, where: ChatRef, person: str) -> Reply:
    """A reply's private part: in a private chat it is simply shown; a group chat never sees it, it
    goes to the person's private chat with the bot (best effort), or they are told how to get it."""
    if not reply.private:
        return reply
    if not where.is_group:
        return replace(reply, text=f"{reply.text}\n{reply.private}", private=None)
    address = store.private_chat(person, PLATFORM)
    if address is not None:
        try:
            call("sendMessage", {"chat_id": address, "text": reply.private}, attempts=2)
            return replace(reply, text=f"{reply.text}\nThe exact place is in our private chat.", private=None)
        except (outbound.RetryLater, outbound.Undeliverable):
            logger.warning("private detail not delivered")
    return replace(reply, text=f"{reply.text}\n{PRIVATE_HINT}", private=None)


@lru_cache(maxsize=1)
def _idempotent_handler():
    """handle_update guarded by Powertools Idempotency on `update_id` (webhook.idempotent)."""
    return webhook.idempotent(PLATFORM, handle_update, key="update_id", prefix="update",
                              retention=UPDATE_RETENTION_SECONDS)


def prepare() -> None:
    """Before a SnapStart snapshot: the Idempotency layer and its client, built as the first update would build them.
    No call is made, and no secret is read: a secret in the snapshot would outlive its rotation."""
    _idempotent_handler()


def apply_once(update: dict, context: Any) -> dict:
    """handle_update, at most once per update_id; a redelivery gets the first answer again (webhook.InProgress
    while the first is still running)."""
    return webhook.apply_once(_idempotent_handler(), update, context)
