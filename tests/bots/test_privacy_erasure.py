"""Erasure of a chat user (Telegram, Slack): their ids, chat id, name and words leave every table item and Redis key."""

from __future__ import annotations

import re

from foodshare.cache import purge, versions
from foodshare.data.models import table_connection
from foodshare.domain import groups, users
from foodshare.redis_client import get_client
from foodshare.settings import get_settings

from tests.bots.chat import GROUP_CHAT, TgUser, action, block_action, button, message, private_chat, slack, slash
from tests.bots.chat import telegram
from tests.events.conftest import backbone  # noqa: F401  (the fixture: the erasure consumer sweeps)
from tests.privacy.test_erasure import _redis_dump, _table_dump
from tests.support import flows
from tests.support.api import call

XENIA = TgUser(777123456, "Xyzzyname")
BOB = TgUser(222222, "Bob")
PERSONAL = re.compile(r"777123456|xyzzy", re.IGNORECASE)


def erase_on_telegram(user: TgUser) -> None:
    """/erase in the private chat, then its confirmation button."""
    explained = telegram(message(user, private_chat(user), "/erase")).body
    pressed = telegram(button(user, private_chat(user), action(explained, "erase:")))
    assert "being erased" in pressed.body["text"], pressed.body


def erase_on_slack(slack_user: str) -> None:
    """`/food erase`, then its confirmation button (answered on response_url)."""
    explained = slack(slash(slack_user, "erase")).body
    value = next(e["value"] for block in explained["blocks"] if block["type"] == "actions" for e in block["elements"])
    assert slack(block_action(slack_user, value, "https://hooks.slack.invalid/erase")).status == 200


def test_a_telegram_users_erasure_reaches_contacts_chats_conversations_and_idempotency_records(backbone):  # noqa: F811
    assert telegram(message(XENIA, private_chat(XENIA), "/start")).status == 200
    assert telegram(message(XENIA, GROUP_CHAT, "/start")).status == 200
    assert telegram(message(BOB, GROUP_CHAT, "/start")).status == 200
    group_id = groups.group_ids_of(f"tg:{XENIA.id}")[0]
    shared = telegram(message(XENIA, GROUP_CHAT, "/share Xyzzy soup | 2 | 2h | 52.37,4.89 xyzzy hall"))
    assert shared.status == 200
    assert telegram(message(XENIA, private_chat(XENIA), "/share")).status == 200  # a conversation left open
    assert any(PERSONAL.search(t) for t in _table_dump())

    erase_on_telegram(XENIA)
    # Frozen at once: the bot tells them their account is being erased (their chat link goes with the sweep).
    refused = telegram(message(XENIA, private_chat(XENIA), "/share"))
    assert refused.status == 200 and "being erased" in refused.body["text"], refused.body
    backbone.deliver()

    assert [t for t in _table_dump() if PERSONAL.search(t)] == []
    assert [t for t in _redis_dump() if PERSONAL.search(t)] == []
    assert groups.membership(group_id, f"tg:{BOB.id}").role == "admin"  # handed over to Bob


def test_a_slack_users_erasure_reaches_the_idempotency_records_kept_for_slacks_retries(backbone):  # noqa: F811
    zara, ben = "U0XYZZY", "U0BEN"
    assert slack(slash(zara, "start")).status == 200
    assert slack(slash(ben, "start")).status == 200
    assert slack(slash(zara, "share Xyzzy stew | 2 | 2h | 52.37,4.89 xyzzy hall")).status == 200
    kept = [t for t in _table_dump() if "IDEMPOTENCY#slack" in t]
    assert any(PERSONAL.search(t) for t in kept)  # the first answer, with their words, for a retry to get again

    erase_on_slack(zara)
    backbone.deliver()

    assert [t for t in _table_dump() if PERSONAL.search(t)] == []
    assert [t for t in _table_dump() if "IDEMPOTENCY#slack" in t] == []


SLACK_XENIA = "U0XYZZY"
SLACK_ME = f"slack:T0001:{SLACK_XENIA}"  # an id holding the separators of Redis key names


def _redis_naming(text: str) -> dict[str, int]:
    """Redis keys whose name or value holds `text`, with their TTL in seconds (-1: never expires)."""
    client = get_client()
    return {k.decode(): client.ttl(k) for k in client.scan_iter(count=500)
            if text.encode() in k or (client.type(k) == b"string" and text.encode() in (client.get(k) or b""))}


def test_a_slack_users_erasure_leaves_no_redis_key_naming_them(backbone):  # noqa: F811
    assert slack(slash(SLACK_XENIA, "start")).status == 200
    assert slack(slash(SLACK_XENIA, "share Soup | 2 | 90m | 52.52,13.40 Kiez | #vegan")).status == 200
    assert slack(slash(SLACK_XENIA, "browse")).status == 200
    assert slack(slash(SLACK_XENIA, "rep")).status == 200
    cached = _redis_naming(SLACK_XENIA)
    theirs = (versions.user(SLACK_ME), versions.memberships(SLACK_ME))
    assert all(0 < cached[k] <= versions.PERSONAL_VERSION_TTL_MS / 1000 for k in theirs)  # a person's keys expire

    erase_on_slack(SLACK_XENIA)
    backbone.deliver()

    assert [t for t in _table_dump() if SLACK_XENIA in t] == []
    assert _redis_naming(SLACK_XENIA) == {}
    purge.forget([SLACK_ME], [])  # a redelivered wind-down, an event about them still in flight: a bump
    assert _redis_naming(SLACK_XENIA) == {}  # writes no key naming them again


def test_a_telegram_users_erasure_leaves_an_api_user_and_numbers_that_spell_their_id(backbone):  # noqa: F811
    """Found by an audit: a Telegram user's private chat id is their numeric user id, and the sweep matched it as a
    bare marker: in a number (a TTL or a count equal to it) and as a part of any key, so an API user whose subject is
    those digits (an issuer with numeric subjects) lost their profile, memberships and posts to someone else's
    erasure. The person's chats are named by their chat keys (`tg:<id>`, `slack:<team>:<channel>`), never bare."""
    digits = str(XENIA.id)
    assert telegram(message(XENIA, private_chat(XENIA), "/start")).status == 200
    assert telegram(message(XENIA, GROUP_CHAT, "/start")).status == 200
    group = call("POST", "/groups", user=digits, json={"name": "Numbers club"})
    assert group.status == 201, group
    posted = call("POST", "/food", user=digits, json=flows.post_body(group.body["groupId"]))
    assert posted.status == 201, posted
    table = table_connection().connection.client
    name = get_settings().table_name
    table.put_item(TableName=name, Item={"pk": {"S": "STATS#numbers"}, "sk": {"S": "DAY"},
                                         "count": {"N": digits}})

    erase_on_telegram(XENIA)
    backbone.deliver()

    assert users.find(digits) is not None and users.find(f"tg:{digits}") is None
    assert call("GET", f"/food/{posted.body['foodId']}", user=digits).status == 200
    assert [g["groupId"] for g in call("GET", "/me/groups", user=digits).body["groups"]] == [group.body["groupId"]]
    assert "Item" in table.get_item(TableName=name, Key={"pk": {"S": "STATS#numbers"}, "sk": {"S": "DAY"}})
