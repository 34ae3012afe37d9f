"""Notifications through the emulated backbone: commit -> relay -> bus rule -> queue -> consumer -> chat.

The whole group flow (announced, claimed, edited, confirmed, rated) runs on the deployed template:
tests/stack/test_bots.py.
"""

from __future__ import annotations

from foodshare.catalog import consumer
from tests.support import backbone
from tests.support.event_source import SqsEventSource, drain, function_invoker
from tests.bots import chat
from tests.bots.events import shared_food_ids
from tests.bots.chat import GROUP_CHAT, TgUser, action, message, telegram

ALICE = TgUser(111111, "Alice")
BOB = TgUser(222222, "Bob")


def test_a_claim_made_in_the_chat_reaches_the_sharer_through_the_bus(recorder):
    queue, = backbone.create_consumer_queues((consumer("notifications"),))
    source = SqsEventSource(queue, function_invoker("notifications"), retry_after_seconds=0)
    for person in (ALICE, BOB):
        telegram(message(person, GROUP_CHAT, "/start"))
    telegram(message(ALICE, chat.private_chat(ALICE), "/start"))
    shared = telegram(message(ALICE, GROUP_CHAT, "/share Soup | 2 | 2h | 52.37,4.89 Hall"))
    claimed = telegram(chat.button(BOB, GROUP_CHAT, f"claim:{shared_food_ids()[-1]}"))
    telegram(chat.button(BOB, GROUP_CHAT, action(claimed.body, "cancel:")))

    assert drain([source]) == 2  # FoodClaimed, ExchangeCancelled (FoodShared is not routed here)
    sent = recorder.sent("sendMessage")
    assert [m["chat_id"] for m in sent] == [str(ALICE.id), str(ALICE.id)]
    assert "claimed your Soup" in sent[0]["text"] and "cancelled the exchange of Soup" in sent[1]["text"]
    assert "available again" in sent[1]["text"]

