"""Erasure of a Telegram or Slack user: their chat id, name and words leave every table item and Redis key."""

from __future__ import annotations

import re

from foodshare.domain import groups
from tests.bots.chat import GROUP_CHAT, TgUser, message, private_chat, slack, slash, telegram
from tests.events.conftest import backbone  # noqa: F401  (the fixture: the erasure consumer sweeps)
from tests.support.api import call
from tests.privacy.test_erasure import _redis_dump, _table_dump

XENIA = TgUser(777123456, "Xyzzyname")
BOB = TgUser(222222, "Bob")
PERSONAL = re.compile(r"777123456|xyzzy", re.IGNORECASE)


def test_a_telegram_users_erasure_reaches_contacts_chats_conversations_and_idempotency_records(backbone):  # noqa: F811
    assert telegram(message(XENIA, private_chat(XENIA), "/start")).status == 200
    assert telegram(message(XENIA, GROUP_CHAT, "/start")).status == 200
    assert telegram(message(BOB, GROUP_CHAT, "/start")).status == 200
    group_id = groups.group_ids_of(f"tg:{XENIA.id}")[0]
    shared = telegram(message(XENIA, GROUP_CHAT, "/share Xyzzy soup | 2 | 2h | 52.37,4.89 xyzzy hall"))
    assert shared.status == 200
    assert telegram(message(XENIA, private_chat(XENIA), "/share")).status == 200  # a conversation left open
    assert any(PERSONAL.search(t) for t in _table_dump())

    me = f"tg:{XENIA.id}"
    code = call("POST", "/me/erasure", user=me).body["confirmationCode"]
    assert call("DELETE", "/me", user=me, json={"confirmationCode": code}).status == 202
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

    me = f"slack:T0001:{zara}"
    code = call("POST", "/me/erasure", user=me).body["confirmationCode"]
    assert call("DELETE", "/me", user=me, json={"confirmationCode": code}).status == 202
    backbone.deliver()

    assert [t for t in _table_dump() if PERSONAL.search(t)] == []
    assert [t for t in _table_dump() if "IDEMPOTENCY#slack" in t] == []
