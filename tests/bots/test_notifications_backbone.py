"""Notifications through the emulated backbone: commit -> relay -> bus rule -> queue -> consumer -> chat."""

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


def test_group_flow_through_the_bus_announce_claim_edit_confirm_rate(recorder):
    """Bot added -> /start -> food shared through the HTTP API -> announced -> Claim pressed on the
    announcement -> edited in place -> confirm -> rate; every event through the emulated bus and queues."""
    from foodshare.domain import groups
    from tests.bots.chat import bot_status
    from tests.support.api import call
    from tests.support.flows import post_body

    sources = [SqsEventSource(queue, function_invoker(queue.consumer.name), retry_after_seconds=0)
               for queue in backbone.create_consumer_queues((consumer("notifications"), consumer("announcements")))]
    assert "/start" in telegram(bot_status(ALICE, GROUP_CHAT, "left", "member")).body["text"]
    for person in (ALICE, BOB):
        telegram(message(person, GROUP_CHAT, "/start"))
    group_id = groups.group_ids_of("tg:111111")[0]
    assert call("POST", "/food", user="tg:111111", json=post_body(group_id)).status == 201
    drain(sources)
    announced, = recorder.sent("sendMessage")
    message_id = next(i + 1 for i, c in enumerate(recorder.calls) if c.method == "sendMessage")

    claimed = telegram(chat.button(BOB, GROUP_CHAT, action(announced, "claim:"), message_id=message_id))
    drain(sources)
    edit, = recorder.sent("editMessageText")
    assert edit["message_id"] == message_id and "Claimed" in edit["text"]
    exchange_id = action(claimed.body, "confirm:").split(":")[1]
    telegram(message(BOB, GROUP_CHAT, f"/confirm {exchange_id}"))
    done = telegram(message(ALICE, GROUP_CHAT, f"/confirm {exchange_id}"))
    rated = telegram(chat.button(ALICE, GROUP_CHAT, action(done.body, "rate:"), message_id=99))
    assert "You rated" in rated.body["text"]
    drain(sources)
    edits = recorder.sent("editMessageText")
    assert [e["message_id"] for e in edits] == [message_id, message_id] and "Picked up" in edits[1]["text"]
    # One announcement; the rest were notices to Alice (claim, Bob's confirmation) and Bob's rating request.
    texts = [m["text"] for m in recorder.sent("sendMessage")]
    assert sum("Sourdough loaves: 3 portions" in t for t in texts) == 1
    assert drain(sources) == 0  # nothing left, nothing repeated
