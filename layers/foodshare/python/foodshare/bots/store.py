"""What the bots keep in the single table: chat links, contacts, conversations, sent-markers.

The models (ChatLinkItem, GroupChatItem, ContactItem, ConversationItem, NoticeItem) live
with the others in `foodshare.data.models`; this module holds the reads and writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from pynamodb.exceptions import PutError, UpdateError

from foodshare import clock, ids, visible_text
from foodshare.data.models import (
    AnnouncementItem,
    ChatLinkItem,
    ContactItem,
    ConversationItem,
    GroupChatItem,
    NoticeItem,
)
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
    linked_since: str | None = None  # a group's chat: from which event id on it takes announcements (GroupChatItem)


# ---- chats and groups ------------------------------------------------------------------


def linked_group(chat_key: str) -> str | None:
    try:
        return ChatLinkItem.get(*ChatLinkItem.key(chat_key)).group_id
    except ChatLinkItem.DoesNotExist:
        return None


def create_linked_group(chat: ChatRef, user_id: str) -> str | None:
    """Create the chat's group with `user_id` as admin; None if another /start linked the chat first."""
    uow = UnitOfWork()
    name = (chat.title or "")[:MAX_GROUP_NAME]
    if visible_text.problem(name) is not None:  # a chat titled with blanks or control characters: the API's rule
        name = "Chat group"
    group, _ = groups.create(user_id, name, None, uow)
    uow.save(
        ChatLinkItem(*ChatLinkItem.key(chat.key), group_id=group.group_id, platform=chat.platform, address=chat.address),
        ChatLinkItem.pk.does_not_exist(),
        on_fail=Conflict("This chat is already linked to a group.", code="chat_linked"),
    )
    uow.save(GroupChatItem(*GroupChatItem.key(group.group_id, chat.key), platform=chat.platform, address=chat.address,
                           linked_since=ids.new_id()))
    return group.group_id if _committed_unless(uow, "chat_linked") else None


def group_chats(group_id: str, platform: str) -> list[str]:
    """Addresses of the group's chats on one platform."""
    return [
        c.address
        for c in GroupChatItem.query(f"GROUP#{group_id}", GroupChatItem.sk.startswith("CHAT#"))
        if c.platform == platform
    ]


def group_chat_refs(group_id: str) -> list[ChatRef]:
    """Every chat, on any platform, linked to the group (where its announcements go)."""
    return [
        ChatRef(c.platform, c.sk.removeprefix("CHAT#"), c.address, True, linked_since=c.linked_since)
        for c in GroupChatItem.query(f"GROUP#{group_id}", GroupChatItem.sk.startswith("CHAT#"))
    ]


def detach_chat(chat_key: str) -> str | None:
    """The bot left the chat: its group keeps the link (re-adding the bot restores it) but
    nothing is sent there any more. The group id, or None if the chat was not linked."""
    group_id = linked_group(chat_key)
    if group_id is not None:
        GroupChatItem(*GroupChatItem.key(group_id, chat_key)).delete()
    return group_id


def reattach_chat(chat: ChatRef) -> str | None:
    """The bot is back in a chat it was linked to: announcements and notices go there again."""
    try:
        link = ChatLinkItem.get(*ChatLinkItem.key(chat.key))
    except ChatLinkItem.DoesNotExist:
        return None
    GroupChatItem(*GroupChatItem.key(link.group_id, chat.key), platform=link.platform, address=link.address,
                  linked_since=ids.new_id()).save()
    return link.group_id


def migrate_chat(old_key: str, new: ChatRef) -> str | None:
    """A Telegram group became a supergroup (a new chat id): the link moves with it, in one
    transaction, once (a repeated or second migration message finds it moved). The group id."""
    try:
        old = ChatLinkItem.get(*ChatLinkItem.key(old_key), consistent_read=True)
    except ChatLinkItem.DoesNotExist:
        return linked_group(new.key)
    try:
        attached = GroupChatItem.get(*GroupChatItem.key(old.group_id, old_key), consistent_read=True)
    except GroupChatItem.DoesNotExist:
        attached = None
    uow = UnitOfWork(allow_no_events=True)  # where a group's messages go is bot bookkeeping, not a domain change
    uow.delete(ChatLinkItem(*ChatLinkItem.key(old_key)), ChatLinkItem.group_id == old.group_id,
               on_fail=Conflict("The chat moved meanwhile.", code="chat_moved"))
    uow.delete(GroupChatItem(*GroupChatItem.key(old.group_id, old_key)))
    uow.save(ChatLinkItem(*ChatLinkItem.key(new.key), group_id=old.group_id, platform=new.platform,
                          address=new.address), ChatLinkItem.pk.does_not_exist(),
             on_fail=Conflict("The new chat is linked already.", code="chat_moved"))
    if attached is not None:
        uow.save(GroupChatItem(*GroupChatItem.key(old.group_id, new.key), platform=new.platform, address=new.address,
                               linked_since=attached.linked_since))  # the same chat, moved
    return old.group_id if _committed_unless(uow, "chat_moved") else linked_group(new.key)


def _committed_unless(uow: UnitOfWork, lost_race: str) -> bool:
    """Commit; False when it failed on the conflict `lost_race` (another update got there first), which is
    then no error: the caller reads what the winner wrote. Any other conflict is raised."""
    try:
        uow.commit()
    except Conflict as exc:
        if exc.code != lost_race:
            raise
        return False
    return True


def forget_private_chat(user_id: str, platform: str) -> None:
    """The person blocked the bot: no more private messages (notices fall back to their group chat)."""
    ContactItem(*ContactItem.key(user_id, platform)).delete()


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


# ---- announcements ---------------------------------------------------------------------

ANNOUNCEMENT_RETENTION_DAYS = 30


@dataclass(frozen=True)
class Announcement:
    message_id: str | None  # None until the message was sent
    shown: str | None  # the post state it shows


def announcement(food_id: str, chat_key: str) -> Announcement | None:
    try:
        item = AnnouncementItem.get(*AnnouncementItem.key(food_id, chat_key), consistent_read=True)
    except AnnouncementItem.DoesNotExist:
        return None
    return Announcement(item.message_id, item.shown)


def lease_announcement(food_id: str, chat: ChatRef, owner: str, lease_ms: int) -> Announcement | None:
    """Become the one worker calling the chat's API for this post's message (creating the record);
    None when another worker holds it. The returned state is the stored one, read under the lease."""
    now = clock.now()
    now_ms = int(now.timestamp() * 1000)
    item = AnnouncementItem(*AnnouncementItem.key(food_id, chat.key))
    try:
        item.update(
            actions=[
                AnnouncementItem.platform.set(chat.platform),
                AnnouncementItem.address.set(chat.address),
                AnnouncementItem.lease_until.set(now_ms + lease_ms),
                AnnouncementItem.lease_owner.set(owner),
                AnnouncementItem.expires_at_epoch.set(now + timedelta(days=ANNOUNCEMENT_RETENTION_DAYS)),
            ],
            condition=AnnouncementItem.pk.does_not_exist() | (AnnouncementItem.lease_until < now_ms),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return Announcement(item.message_id, item.shown)


def settle_announcement(food_id: str, chat_key: str, owner: str, message_id: str | None, shown: str | None) -> None:
    """Record what the message now shows and release the lease (only if still ours)."""
    actions = [AnnouncementItem.shown.set(shown) if shown else AnnouncementItem.shown.remove(),
               AnnouncementItem.lease_until.set(0), AnnouncementItem.lease_owner.remove()]
    if message_id:
        actions.append(AnnouncementItem.message_id.set(message_id))
    try:
        AnnouncementItem(*AnnouncementItem.key(food_id, chat_key)).update(
            actions=actions, condition=AnnouncementItem.lease_owner == owner)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise ConcurrentUpdate("The announcement lease expired while the chat was being updated.") from exc


def release_announcement(food_id: str, chat_key: str, owner: str) -> None:
    """Give the lease back without a change (the call failed; the queue retries)."""
    try:
        AnnouncementItem(*AnnouncementItem.key(food_id, chat_key)).update(
            actions=[AnnouncementItem.lease_until.set(0), AnnouncementItem.lease_owner.remove()],
            condition=AnnouncementItem.lease_owner == owner)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
