"""What the bots keep in the single table: chat links, contacts, conversations, sent-markers.

Keys (all prefixed, none collides with the core entities):
- CHAT#<chatKey> / GROUP            which Foodshare group a group chat or channel is
- GROUP#<groupId> / CHAT#<chatKey>  where a group's notifications go (reverse of the above)
- USER#<userId> / CONTACT#<platform> the user's private chat with the bot
- CONVO#<chatKey>#<userId> / SHARE  the guided /share flow's state (TTL `expires_at_epoch`)
- NOTICE#<eventId> / TO#<userId>    a notification's sent-marker (TTL `expires_at_epoch`)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError

from foodshare import clock
from foodshare.data.models import Item
from foodshare.data.transaction import UnitOfWork
from foodshare.domain import groups
from foodshare.errors import Conflict, ConcurrentUpdate
from foodshare.settings import get_settings

MAX_GROUP_NAME = 80
NOTICE_RETENTION_DAYS = 30


@dataclass(frozen=True)
class ChatRef:
    """A chat as a platform names it: `key` is unique across platforms, `address` is what its API takes."""

    platform: str  # "telegram" | "slack"
    key: str  # "tg:<chatId>" | "slack:<team>:<channel>"
    address: str  # Telegram chat id, Slack channel id
    is_group: bool
    title: str | None = None


class ChatLinkItem(Item):
    group_id = UnicodeAttribute()
    platform = UnicodeAttribute()
    address = UnicodeAttribute()

    @staticmethod
    def key(chat_key: str) -> tuple[str, str]:
        return f"CHAT#{chat_key}", "GROUP"


class GroupChatItem(Item):
    platform = UnicodeAttribute()
    address = UnicodeAttribute()

    @staticmethod
    def key(group_id: str, chat_key: str) -> tuple[str, str]:
        return f"GROUP#{group_id}", f"CHAT#{chat_key}"


class ContactItem(Item):
    address = UnicodeAttribute()
    updated_at = UnicodeAttribute()

    @staticmethod
    def key(user_id: str, platform: str) -> tuple[str, str]:
        return f"USER#{user_id}", f"CONTACT#{platform}"


class ConversationItem(Item):
    step = UnicodeAttribute()
    draft = UnicodeAttribute()  # JSON of the answers so far
    version = NumberAttribute()
    expires_at_epoch = TTLAttribute()

    @staticmethod
    def key(chat_key: str, user_id: str) -> tuple[str, str]:
        return f"CONVO#{chat_key}#{user_id}", "SHARE"


class NoticeItem(Item):
    status = UnicodeAttribute()  # sending | sent | undeliverable
    lease_until = NumberAttribute()  # epoch seconds; a "sending" marker past it may be taken over
    expires_at_epoch = TTLAttribute()

    @staticmethod
    def key(event_id: str, user_id: str) -> tuple[str, str]:
        return f"NOTICE#{event_id}", f"TO#{user_id}"


# ---- chats and groups ------------------------------------------------------------------


def linked_group(chat_key: str) -> str | None:
    try:
        return ChatLinkItem.get(*ChatLinkItem.key(chat_key)).group_id
    except ChatLinkItem.DoesNotExist:
        return None


def create_linked_group(chat: ChatRef, user_id: str) -> str | None:
    """Create the chat's group with `user_id` as admin; None if another /start linked the chat first."""
    uow = UnitOfWork()
    group, _ = groups.create(user_id, (chat.title or "Chat group")[:MAX_GROUP_NAME], None, uow)
    uow.save(
        ChatLinkItem(*ChatLinkItem.key(chat.key), group_id=group.group_id, platform=chat.platform, address=chat.address),
        ChatLinkItem.pk.does_not_exist(),
        on_fail=Conflict("This chat is already linked to a group.", code="chat_linked"),
    )
    uow.save(GroupChatItem(*GroupChatItem.key(group.group_id, chat.key), platform=chat.platform, address=chat.address))
    try:
        uow.commit()
    except Conflict as exc:
        if exc.code != "chat_linked":
            raise
        return None
    return group.group_id


def group_chats(group_id: str, platform: str) -> list[str]:
    """Addresses of the group's chats on one platform."""
    return [
        c.address
        for c in GroupChatItem.query(f"GROUP#{group_id}", GroupChatItem.sk.startswith("CHAT#"))
        if c.platform == platform
    ]


# ---- private contact -------------------------------------------------------------------


def remember_private_chat(user_id: str, platform: str, address: str) -> None:
    ContactItem(*ContactItem.key(user_id, platform), address=address, updated_at=clock.now_iso()).save()


def private_chat(user_id: str, platform: str) -> str | None:
    try:
        return ContactItem.get(*ContactItem.key(user_id, platform)).address
    except ContactItem.DoesNotExist:
        return None


# ---- conversations ---------------------------------------------------------------------


@dataclass(frozen=True)
class Conversation:
    step: str
    draft: dict
    version: int


def conversation(chat_key: str, user_id: str) -> Conversation | None:
    """The user's open guided flow in this chat (an expired one counts as none: TTL deletes lazily)."""
    try:
        item = ConversationItem.get(*ConversationItem.key(chat_key, user_id))
    except ConversationItem.DoesNotExist:
        return None
    if item.expires_at_epoch <= clock.now():
        return None
    return Conversation(item.step, json.loads(item.draft), int(item.version))


def save_conversation(chat_key: str, user_id: str, step: str, draft: dict, previous: Conversation | None) -> None:
    """Advance the flow; two answers racing for the same step cannot both apply."""
    item = ConversationItem(
        *ConversationItem.key(chat_key, user_id),
        step=step,
        draft=json.dumps(draft, separators=(",", ":")),
        version=(previous.version + 1) if previous else 1,
        expires_at_epoch=clock.now() + timedelta(minutes=get_settings().bot_conversation_minutes),
    )
    condition = None if previous is None else ConversationItem.version == previous.version
    try:
        item.save(condition=condition)
    except PutError as exc:
        raise ConcurrentUpdate("The conversation moved on meanwhile.") from exc


def end_conversation(chat_key: str, user_id: str) -> None:
    ConversationItem(*ConversationItem.key(chat_key, user_id)).delete()


# ---- notification sent-markers ---------------------------------------------------------


def take_notice(event_id: str, user_id: str, lease_seconds: int) -> bool:
    """Reserve the right to send one notification: False if it was sent, or another worker holds it."""
    now = clock.now()
    item = NoticeItem(
        *NoticeItem.key(event_id, user_id),
        status="sending",
        lease_until=int(now.timestamp()) + lease_seconds,
        expires_at_epoch=now + timedelta(days=NOTICE_RETENTION_DAYS),
    )
    condition = NoticeItem.pk.does_not_exist() | (
        (NoticeItem.status == "sending") & (NoticeItem.lease_until < int(now.timestamp()))
    )
    try:
        item.save(condition=condition)
        return True
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


def finish_notice(event_id: str, user_id: str, status: str) -> None:
    """Mark it sent (or undeliverable: never retried)."""
    NoticeItem(*NoticeItem.key(event_id, user_id)).update(actions=[NoticeItem.status.set(status)])


def release_notice(event_id: str, user_id: str) -> None:
    """Sending failed for now: let the retry take it again."""
    NoticeItem(*NoticeItem.key(event_id, user_id)).delete(condition=NoticeItem.status == "sending")


def notice_status(event_id: str, user_id: str) -> str | None:
    try:
        return NoticeItem.get(*NoticeItem.key(event_id, user_id)).status
    except NoticeItem.DoesNotExist:
        return None
