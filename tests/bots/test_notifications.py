"""Notifications consumer: SQS batches of bus events -> Bot API / Slack calls, once each."""

from __future__ import annotations

import time

from functions.notifications.handler import handler
from local.lambda_context import LambdaContext
from tests.bots import chat
from tests.bots.chat import GROUP_CHAT, TgUser, action, message, slash, telegram
from tests.bots.events import recorded, sqs_batch, shared_food_ids
from tests.events.conftest import backbone  # noqa: F401  (the fixture: the departure and the notices run)

ALICE = TgUser(111111, "Alice")
BOB = TgUser(222222, "Bob")
SOUP = "/share Soup | 2 | 2h | 52.37,4.89 Hall"


def consume(event: dict) -> dict:
    return handler(event, LambdaContext(function_name="foodshare-notifications"))


def claimed_soup(alice_private: bool = False) -> str:
    for person in (ALICE, BOB):
        telegram(message(person, GROUP_CHAT, "/start"))
    if alice_private:
        telegram(message(ALICE, chat.private_chat(ALICE), "/start"))
    shared = telegram(message(ALICE, GROUP_CHAT, SOUP))
    claimed = telegram(chat.button(BOB, GROUP_CHAT, f"claim:{shared_food_ids()[-1]}"))
    return action(claimed.body, "confirm:").split(":")[1]


def test_sharer_hears_of_a_claim_in_their_private_chat_once_however_often_the_event_comes(recorder):
    claimed_soup(alice_private=True)
    event = recorded("FoodClaimed")[0]
    assert consume(sqs_batch(event, event)) == {"batchItemFailures": []}
    assert consume(sqs_batch(event)) == {"batchItemFailures": []}
    sent = recorder.sent("sendMessage")
    assert len(sent) == 1
    assert sent[0]["chat_id"] == str(ALICE.id) and "claimed your Soup" in sent[0]["text"]
    assert [b["callback_data"] for b in chat.buttons(sent[0])][0].startswith("confirm:")


def test_without_a_private_chat_the_group_chat_is_told_by_pseudonym(recorder):
    exchange_id = claimed_soup()
    telegram(message(BOB, GROUP_CHAT, f"/confirm {exchange_id}"))
    telegram(message(ALICE, GROUP_CHAT, f"/confirm {exchange_id}"))
    details = recorded("FoodClaimed") + recorded("PickupConfirmed") + recorded("ExchangeCompleted")
    assert consume(sqs_batch(*details)) == {"batchItemFailures": []}
    sent = recorder.sent("sendMessage")
    assert all(m["chat_id"] == str(GROUP_CHAT["id"]) for m in sent)
    texts = [m["text"] for m in sent]
    # Claim -> Alice; Bob's confirmation -> Alice (no button: it is complete by now); Alice's -> Bob;
    # completion -> Bob only (Alice got the rating question in her own reply).
    assert len(texts) == 4
    assert "claimed your Soup" in texts[0] and "How was it?" in texts[3]
    assert all("confirmed the pickup of Soup." in t for t in texts[1:3])
    assert [len(chat.buttons(m)) for m in sent] == [3, 0, 0, 5]  # Confirm, Cancel, Report
    assert "Alice" not in " ".join(texts) and "Bob" not in " ".join(texts)


def test_telegram_429_retry_after_is_respected(recorder):
    claimed_soup(alice_private=True)
    recorder.script("sendMessage", (429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                                          "parameters": {"retry_after": 1}}, {}))
    started = time.monotonic()
    assert consume(sqs_batch(recorded("FoodClaimed")[0])) == {"batchItemFailures": []}
    assert time.monotonic() - started >= 1
    assert len(recorder.sent("sendMessage")) == 2  # the refused call, then the one that went through


def test_a_failing_delivery_is_retried_by_the_queue_and_then_sent_once(recorder):
    claimed_soup(alice_private=True)
    outage = (502, {"ok": False}, {})
    recorder.script("sendMessage", outage, outage, outage, outage)
    event = sqs_batch(recorded("FoodClaimed")[0])
    failed = consume(event)
    assert failed == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert consume(event) == {"batchItemFailures": []}
    assert consume(event) == {"batchItemFailures": []}
    assert len(recorder.sent("sendMessage")) == 5  # four refused attempts, one delivery, no repeat


def test_a_blocked_bot_is_not_retried_forever(recorder):
    claimed_soup(alice_private=True)
    recorder.script("sendMessage", (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked"}, {}))
    event = sqs_batch(recorded("FoodClaimed")[0])
    assert consume(event) == {"batchItemFailures": []}
    assert consume(event) == {"batchItemFailures": []}
    assert len(recorder.sent("sendMessage")) == 1


def test_slack_people_get_a_direct_message_from_the_app(recorder):
    from tests.bots.chat import slack

    slack(slash("U0ANNA", "start"))
    slack(slash("U0BEN", "start"))
    shared = slack(slash("U0ANNA", "share Curry | 2 | 2h | 52.52,13.40 Café"))
    slack(chat.block_action("U0BEN", f"claim:{shared_food_ids()[-1]}", f"{recorder.url}/r"))
    assert consume(sqs_batch(recorded("FoodClaimed")[0])) == {"batchItemFailures": []}
    posted = [c for c in recorder.calls if c.method == "chat.postMessage"]
    assert len(posted) == 1
    assert posted[0].headers["authorization"] == "Bearer xoxb-test"
    assert posted[0].body["channel"] == "U0ANNA" and "claimed your Curry" in posted[0].body["text"]


def test_events_that_concern_no_chat_user_send_nothing(recorder):
    claimed_soup()
    shared = recorded("FoodShared")[0]  # not a notification type
    assert consume(sqs_batch(shared)) == {"batchItemFailures": []}
    assert recorder.sent("sendMessage") == []


def _settle_after_the_window() -> None:
    """The settlement job's run EXCHANGE_SETTLE_HOURS after the pickup window (its handler, a scheduler event)."""
    from foodshare import clock
    from foodshare.catalog import SCHEDULED_JOBS
    from tests.support.event_source import function_invoker
    from tests.support.schedules import scheduled_event

    clock.advance(75 * 3600)
    job = next(j for j in SCHEDULED_JOBS if j.name == "food_expiry")
    return function_invoker(job.name)(scheduled_event(job))


def test_an_exchange_nobody_closed_is_told_to_both_sides_once_when_it_lapses(recorder):
    claimed_soup(alice_private=True)
    telegram(message(BOB, chat.private_chat(BOB), "/start"))
    assert _settle_after_the_window()["lapsed"] == 1
    assert _settle_after_the_window()["lapsed"] == 0  # a rerun records nothing: nothing more to tell
    lapsed = recorded("ExchangeLapsed")
    assert len(lapsed) == 1 and lapsed[0]["actorId"] is None
    assert consume(sqs_batch(lapsed[0], lapsed[0])) == {"batchItemFailures": []}  # delivered twice: told once
    sent = recorder.sent("sendMessage")
    assert sorted(m["chat_id"] for m in sent) == sorted([str(ALICE.id), str(BOB.id)])
    assert all("exchange of Soup was closed" in m["text"] and "credit was given back" in m["text"] for m in sent)


def test_a_settled_completion_asks_both_sides_for_a_rating(recorder):
    exchange_id = claimed_soup(alice_private=True)
    telegram(message(BOB, chat.private_chat(BOB), "/start"))
    telegram(message(BOB, GROUP_CHAT, f"/confirm {exchange_id}"))  # Alice never confirms
    recorder.calls.clear()
    assert _settle_after_the_window()["completed"] == 1
    completed = recorded("ExchangeCompleted")
    assert len(completed) == 1 and completed[0]["data"]["settled"] is True
    assert consume(sqs_batch(*completed)) == {"batchItemFailures": []}
    sent = recorder.sent("sendMessage")
    assert sorted(m["chat_id"] for m in sent) == sorted([str(ALICE.id), str(BOB.id)])
    assert all("completed on one confirmation" in m["text"] and "How was it?" in m["text"] for m in sent)


def test_a_removal_by_the_moderators_is_not_told_to_the_group_chat(recorder, backbone):  # noqa: F811
    """Found by an audit: moderation concerns only the member (its notices go to private chats only), yet the
    cancellation of their open exchange, told through the group chat to whoever has no private chat with the bot,
    said there "the group's moderators removed one of you from it". The group chat now reads that it was
    cancelled; a private chat still says why."""
    from foodshare.data.models import ExchangeItem
    from foodshare.domain import exchanges, groups, moderation
    from tests.support import flows

    exchange_id = claimed_soup()  # Alice shared, Bob claimed; neither has a private chat with the bot
    group_id = groups.group_ids_of("tg:111111")[0]
    backbone.deliver()
    recorder.calls.clear()
    # the admin's action as POST /groups/{groupId}/moderation/actions takes it (a chat user has no API token)
    moderation.act(group_id, "tg:111111", moderation.ActionRequest(
        "remove_member", "Sold the soup on", member_handle=flows.handle("tg:222222", group_id)))
    backbone.deliver()
    assert ExchangeItem.get(*ExchangeItem.key(exchange_id)).status == "cancelled"
    in_group = [m["text"] for m in recorder.sent("sendMessage", chat_id=str(GROUP_CHAT["id"]))]
    assert any("exchange of Soup was cancelled" in t for t in in_group), in_group
    assert not any("moderator" in t or "removed" in t for t in in_group), in_group

    telegram(message(ALICE, chat.private_chat(ALICE), "/start"))  # with a private chat she is told why
    telegram(message(ALICE, GROUP_CHAT, "/share Bread | 2 | 2h | 52.37,4.89 Hall"))
    carol = TgUser(333333, "Carol")
    telegram(message(carol, GROUP_CHAT, "/start"))
    claimed = telegram(message(carol, GROUP_CHAT, f"/claim {shared_food_ids()[-1]}"))
    second = action(claimed.body, "confirm:").split(":")[1]
    exchanges.cancel(second, "tg:333333", cause=exchanges.REMOVED_FROM_GROUP)  # as a removal's wind-down does
    recorder.calls.clear()
    backbone.deliver()
    to_alice = [m["text"] for m in recorder.sent("sendMessage", chat_id=str(ALICE.id))]
    assert any("moderators removed one of you" in t for t in to_alice), to_alice



def _restricted_after_the_claim(bob_private: bool) -> str:
    """Alice shared, Bob claimed, then Alice restricted processing (/privacy) and confirmed the pickup."""
    exchange_id = claimed_soup()
    if bob_private:
        telegram(message(BOB, chat.private_chat(BOB), "/start"))
    telegram(message(ALICE, chat.private_chat(ALICE), "/privacy"))
    telegram(chat.button(ALICE, chat.private_chat(ALICE), "privacy:restricted:on"))
    telegram(message(ALICE, GROUP_CHAT, f"/confirm {exchange_id}"))
    return exchange_id


def test_a_sharer_who_restricted_processing_is_not_named_nor_their_post_once_the_exchange_closed(recorder):
    """Found by an audit: after the sharer restricted processing, the claimer was still told their group pseudonym
    ("<pseudonym> confirmed the pickup of Soup") and the post's title once the exchange had closed, when
    `GET /me/exchanges` answers them `food: null` (docs/privacy.md, restriction)."""
    exchange_id = _restricted_after_the_claim(bob_private=True)
    telegram(message(BOB, GROUP_CHAT, f"/confirm {exchange_id}"))  # completes it: Alice alone would hear of that
    details = recorded("PickupConfirmed") + recorded("ExchangeCompleted")
    assert consume(sqs_batch(*details)) == {"batchItemFailures": []}
    told, = recorder.sent("sendMessage")  # Alice restricted: nothing for her
    assert (told["chat_id"], told["text"]) == (str(BOB.id), "Someone confirmed the pickup of the food.")


def test_the_group_chat_reads_no_title_of_a_restricted_sharers_post(recorder):
    """Bob, with no private chat, is told in the group's chat: its members no longer see the post (Bob, with his
    open claim, does: in a private chat he reads its title)."""
    from foodshare.bots import rendering
    from foodshare.domain import groups

    _restricted_after_the_claim(bob_private=False)
    assert consume(sqs_batch(*recorded("PickupConfirmed"))) == {"batchItemFailures": []}
    told, = recorder.sent("sendMessage")
    bob = rendering.shown_name("tg:222222", groups.group_ids_of("tg:222222")[0])
    assert told["chat_id"] == str(GROUP_CHAT["id"])
    assert told["text"] == f"{bob}: Someone confirmed the pickup of the food. Please confirm too."
    telegram(message(BOB, chat.private_chat(BOB), "/start"))
    event = recorded("PickupConfirmed")[0] | {"eventId": "01ZZZZZZZZZZZZZZZZZZZZZZZZ"}  # as a new event: the
    # notice above was sent
    assert consume(sqs_batch(event)) == {"batchItemFailures": []}
    assert recorder.sent("sendMessage")[-1]["text"] == "Someone confirmed the pickup of Soup. Please confirm too."
