"""The chat lifecycle as Telegram sends it: the bot added and removed, a group upgraded to a supergroup, a member leaving."""

from __future__ import annotations

from foodshare.bots import store
from foodshare.data.models import ChatLinkItem, ContactItem
from foodshare.domain import groups
from tests.bots import chat
from tests.bots.chat import BOT, TgUser, bot_status, message, service, telegram
from tests.bots.events import deliver, recorded, shared_food_ids

ALICE = TgUser(111111, "Alice")
BOB = TgUser(222222, "Bob")
SMALL_GROUP = {"id": -4001234567, "title": "Elm Street", "type": "group"}
SUPERGROUP = {"id": -1004001234567, "title": "Elm Street", "type": "supergroup"}
SOUP = "/share Soup | 2 | 2h | 52.37,4.89 Hall"


def announce() -> dict:
    return deliver("announcements", *recorded("FoodShared"), *recorded("FoodClaimed"))


def test_the_bot_added_to_a_group_introduces_itself(recorder):
    added = telegram(bot_status(ALICE, SMALL_GROUP, "left", "member"))
    assert added.status == 200 and added.body["method"] == "sendMessage"
    assert added.body["chat_id"] == str(SMALL_GROUP["id"]) and "/start" in added.body["text"]
    assert groups.group_ids_of("tg:111111") == []  # nothing is created until someone sends /start


def test_removed_then_re_added_the_chat_keeps_its_group_and_announcements_pause_meanwhile(recorder):
    telegram(message(ALICE, SMALL_GROUP, "/start"))
    group_id = groups.group_ids_of("tg:111111")[0]
    assert telegram(bot_status(ALICE, SMALL_GROUP, "member", "left")).body == {}
    telegram(message(ALICE, chat.private_chat(ALICE), SOUP))  # shared privately while the bot is out
    assert announce() == {"batchItemFailures": []}
    assert recorder.sent("sendMessage") == []

    back = telegram(bot_status(ALICE, SMALL_GROUP, "left", "member"))
    assert "I'm back" in back.body["text"]
    telegram(message(ALICE, chat.private_chat(ALICE), "/share Bread | 1 | 2h | 52.37,4.89 Hall"))
    assert announce() == {"batchItemFailures": []}
    assert [m["chat_id"] for m in recorder.sent("sendMessage")] == [str(SMALL_GROUP["id"])]
    assert "Bread" in recorder.sent("sendMessage")[0]["text"]
    assert "already a member" in telegram(message(ALICE, SMALL_GROUP, "/start")).body["text"]
    assert groups.group_ids_of("tg:111111") == [group_id]


def test_a_group_upgraded_to_a_supergroup_keeps_its_link_however_often_telegram_says_so(recorder):
    telegram(message(ALICE, SMALL_GROUP, "/start"))
    group_id = groups.group_ids_of("tg:111111")[0]
    (linked,) = store.group_chat_refs(group_id)
    # Telegram sends both: a service message in the old group, then one in the new supergroup.
    to = service(ALICE, SMALL_GROUP, migrate_to_chat_id=SUPERGROUP["id"])
    came_from = service(BOT_USER, SUPERGROUP, migrate_from_chat_id=SMALL_GROUP["id"])
    for update in (to, came_from, to, came_from):  # and may redeliver either
        assert telegram(update).body == {}
    assert store.linked_group(f"tg:{SUPERGROUP['id']}") == group_id
    assert store.linked_group(f"tg:{SMALL_GROUP['id']}") is None
    assert len(list(ChatLinkItem.scan(ChatLinkItem.sk == "GROUP"))) == 1
    # the same chat, moved: it takes announcements from when it was first linked
    assert [c.linked_since for c in store.group_chat_refs(group_id)] == [linked.linked_since] != [None]

    joined = telegram(message(BOB, SUPERGROUP, "/start"))
    assert "Welcome to the group" in joined.body["text"]
    assert groups.group_ids_of("tg:222222") == [group_id]
    telegram(message(ALICE, SUPERGROUP, SOUP))
    assert announce() == {"batchItemFailures": []}
    assert [m["chat_id"] for m in recorder.sent("sendMessage")] == [str(SUPERGROUP["id"])]


def test_only_the_new_chats_message_arrives_and_the_link_still_follows(recorder):
    telegram(message(ALICE, SMALL_GROUP, "/start"))
    group_id = groups.group_ids_of("tg:111111")[0]
    telegram(service(ALICE, SUPERGROUP, migrate_from_chat_id=SMALL_GROUP["id"]))
    assert store.linked_group(f"tg:{SUPERGROUP['id']}") == group_id
    assert [c.address for c in store.group_chat_refs(group_id)] == [str(SUPERGROUP["id"])]


def test_a_member_leaving_the_chat_leaves_its_group(recorder):
    telegram(message(ALICE, SMALL_GROUP, "/start"))
    telegram(message(BOB, SMALL_GROUP, "/start"))
    group_id = groups.group_ids_of("tg:111111")[0]
    assert telegram(service(BOB, SMALL_GROUP, left_chat_member=BOB.json())).body == {}
    assert groups.membership(group_id, "tg:222222") is None
    assert [e["data"]["userId"] for e in recorded("MemberLeft")] == ["tg:222222"]
    # The last admin of a group with members leaves too: the group goes to its longest-standing member (API 5.3.2).
    telegram(message(BOB, SMALL_GROUP, "/start"))
    assert telegram(service(ALICE, SMALL_GROUP, left_chat_member=ALICE.json())).status == 200
    assert groups.membership(group_id, "tg:111111") is None
    assert groups.membership(group_id, "tg:222222").role == "admin"
    assert [e["data"]["userId"] for e in recorded("AdminHandedOver")] == ["tg:222222"]


def test_the_bot_itself_leaving_or_being_blocked(recorder):
    telegram(message(ALICE, SMALL_GROUP, "/start"))
    group_id = groups.group_ids_of("tg:111111")[0]
    telegram(service(ALICE, SMALL_GROUP, left_chat_member=BOT))
    assert store.group_chat_refs(group_id) == []
    assert store.linked_group(f"tg:{SMALL_GROUP['id']}") == group_id  # re-adding the bot restores it

    telegram(message(ALICE, chat.private_chat(ALICE), "/start"))
    assert store.private_chat("tg:111111", "telegram") == str(ALICE.id)
    news = {"id": -1005550001, "title": "Elm Street news", "type": "channel"}
    telegram(bot_status(ALICE, news, "administrator", "left"))  # Alice removed the bot from a channel
    assert store.private_chat("tg:111111", "telegram") == str(ALICE.id)
    telegram(bot_status(ALICE, chat.private_chat(ALICE), "member", "kicked"))  # Alice blocked the bot
    assert store.private_chat("tg:111111", "telegram") is None
    assert list(ContactItem.scan(ContactItem.sk.startswith("CONTACT#"))) == []


BOT_USER = TgUser(1087968824, "Group")  # Telegram's GroupAnonymousBot signs some service messages


def test_the_loser_of_a_race_on_a_chat_link_gets_the_winners_group():
    """Two /start at once in a new chat, or a migration meeting a link already made: the conflict is no error."""
    from foodshare.domain import users

    chat_ref = telegram_chat(SMALL_GROUP)
    users.ensure("tg:111111")
    first = store.create_linked_group(chat_ref, "tg:111111")
    assert store.create_linked_group(chat_ref, "tg:111111") is None  # lost: the caller reads the link
    assert store.linked_group(chat_ref.key) == first

    store.create_linked_group(telegram_chat(SUPERGROUP), "tg:111111")  # the new chat is linked meanwhile
    winner = store.linked_group(f"tg:{SUPERGROUP['id']}")
    assert store.migrate_chat(chat_ref.key, telegram_chat(SUPERGROUP)) == winner != first


def telegram_chat(data: dict) -> store.ChatRef:
    from foodshare.bots import telegram as adapter

    return adapter.chat(data)
