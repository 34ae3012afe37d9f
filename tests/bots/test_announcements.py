"""Group chats see new food: the announcements consumer sends one message per post per linked chat and edits it.

Events go in as SQS batches through the consumer's Lambda handler; the recorder
stands in for the Bot API and Slack's Web API and shows every outbound call.
"""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from foodshare import clock
from foodshare.bots import rendering, telegram as telegram_adapter
from foodshare.domain import expiry, food, groups, partnerships, users
from tests.bots import chat
from tests.bots.chat import GROUP_CHAT, TgUser, action, message, telegram
from tests.bots.events import deliver, recorded, shared_food_ids
from tests.support.api import call
from tests.support.flows import post_body, user

ALICE = TgUser(111111, "Alice")
BOB = TgUser(222222, "Bob")
CAROL = TgUser(333333, "Carol")
OTHER_CHAT = {"id": -1009876543210, "title": "Oak Lane", "type": "supergroup"}
SOUP = "/share Vegetable soup | 3 | 2h | 52.37,4.89 Community hall | #vegan !celery"
FOOD_EVENTS = ("FoodShared", "FoodClaimed", "ExchangeCancelled", "ExchangeCompleted", "FoodWithdrawn", "FoodExpired",
               "PrivacySettingsChanged")


def announce() -> dict:
    """Deliver every food event recorded so far to the announcements consumer (oldest first)."""
    details = sorted((d for kind in FOOD_EVENTS for d in recorded(kind)), key=lambda d: d["eventId"])
    return deliver("announcements", *details)


def chat_group(*members: TgUser, where: dict = GROUP_CHAT) -> str:
    for member in members:
        telegram(message(member, where, "/start"))
    return groups.group_ids_of(f"tg:{members[0].id}")[-1]


def test_food_shared_through_the_api_is_announced_once_and_the_same_message_is_edited_when_claimed(recorder):
    group_id = chat_group(ALICE, BOB)
    # Sam uses the HTTP API and joined the chat's group with an invite its admin made (the domain's call: Alice, a
    # chat user, has no API token and the bots make no invites)
    user("sam")
    invite = groups.create_invite(group_id, "tg:111111")
    assert call("POST", "/groups/join", user="sam", json={"inviteCode": invite.code}).status == 200
    shared = call("POST", "/food", user="sam", json=post_body(group_id))
    assert shared.status == 201
    assert announce() == {"batchItemFailures": []}

    announced, = recorder.sent("sendMessage")
    assert announced["chat_id"] == str(GROUP_CHAT["id"])
    text = announced["text"]
    for part in ("Sourdough loaves: 3 portions", "#vegetarian", "contains gluten",
                 f"Shared by {rendering.shown_name('sam', group_id)}"):
        assert part in text, part
    assert "52.52" not in text and "13.40" not in text and "Bakery door" not in text  # no place: claimers learn it
    assert users.get("sam").pseudonym not in text  # the group's pseudonym, not the account's
    assert "Sam" not in text
    claim = action(announced, "claim:")
    message_id = next(i + 1 for i, c in enumerate(recorder.calls) if c.method == "sendMessage")

    pressed = telegram(chat.button(BOB, GROUP_CHAT, claim, message_id=message_id))
    assert "You claimed Sourdough loaves" in pressed.body["text"]
    assert announce() == {"batchItemFailures": []}
    edit, = recorder.sent("editMessageText")
    assert (edit["chat_id"], edit["message_id"]) == (str(GROUP_CHAT["id"]), message_id)
    assert "Claimed" in edit["text"] and edit["reply_markup"] == {"inline_keyboard": []}

    # Redelivering every event changes nothing: still one message, one edit.
    assert announce() == {"batchItemFailures": []}
    assert len(recorder.sent("sendMessage")) == 1 and len(recorder.sent("editMessageText")) == 1


def test_events_delivered_together_show_only_the_latest_state(recorder):
    chat_group(ALICE, BOB)
    telegram(message(ALICE, GROUP_CHAT, SOUP))
    claimed = telegram(chat.button(BOB, GROUP_CHAT, f"claim:{shared_food_ids()[0]}"))
    telegram(chat.button(BOB, GROUP_CHAT, action(claimed.body, "cancel:")))
    assert announce() == {"batchItemFailures": []}  # FoodShared, FoodClaimed, ExchangeCancelled in one batch
    assert len(recorder.sent("sendMessage")) == 1 and recorder.sent("editMessageText") == []


def test_a_cancelled_claim_puts_the_claim_button_back_and_withdrawal_and_expiry_are_shown(recorder):
    chat_group(ALICE, BOB)
    telegram(message(ALICE, GROUP_CHAT, SOUP))
    telegram(message(ALICE, GROUP_CHAT, "/share Bread | 2 | 1h | 52.37,4.89 Bakery"))
    announce()
    soup_id, bread_id = shared_food_ids()
    claimed = telegram(chat.button(BOB, GROUP_CHAT, f"claim:{soup_id}"))
    announce()
    telegram(chat.button(BOB, GROUP_CHAT, action(claimed.body, "cancel:")))
    announce()
    edits = recorder.sent("editMessageText")
    assert ["Claimed" in e["text"] for e in edits] == [True, False]
    assert action(edits[1], "claim:") == f"claim:{soup_id}"  # available again, with its button

    food.withdraw(soup_id, "tg:111111")  # as DELETE /food/{foodId} does (a chat user has no API token)
    clock.advance(3 * 3600)
    assert expiry.expire_due() == 1  # the bread
    announce()
    edits = recorder.sent("editMessageText")
    assert "Withdrawn" in edits[2]["text"] and "Expired" in edits[3]["text"] and "Bread" in edits[3]["text"]
    assert len(recorder.sent("sendMessage")) == 2 and len(edits) == 4
    assert all(e["reply_markup"] == {"inline_keyboard": []} for e in edits[2:])


def test_a_sharer_restricting_processing_takes_their_posts_out_of_the_chat_and_lifting_it_brings_them_back(recorder):
    """Found by an audit: the chat kept showing a restricted sharer's post (title, group pseudonym, Claim button) to
    the whole group, went on editing it ("Withdrawn: <title> shared by <pseudonym>") and announced new ones, while
    every other view of others hides them (docs/privacy.md, restriction)."""
    group_id = chat_group(ALICE, BOB)
    telegram(message(ALICE, GROUP_CHAT, SOUP))
    announce()
    soup_id, = shared_food_ids()
    alice = rendering.shown_name("tg:111111", group_id)
    telegram(message(ALICE, chat.private_chat(ALICE), "/privacy"))
    telegram(chat.button(ALICE, chat.private_chat(ALICE), "privacy:restricted:on"))
    assert announce() == {"batchItemFailures": []}
    hidden, = recorder.sent("editMessageText")
    assert hidden["text"] == "This post is no longer available." and hidden["reply_markup"] == {"inline_keyboard": []}

    telegram(message(ALICE, GROUP_CHAT, "/share Bread | 2 | 1h | 52.37,4.89 Bakery"))  # shared while restricted
    food.withdraw(soup_id, "tg:111111")
    assert announce() == {"batchItemFailures": []}
    assert len(recorder.sent("sendMessage")) == 1 and len(recorder.sent("editMessageText")) == 1  # nothing more
    assert alice in recorder.sent("sendMessage")[0]["text"]  # (as it was before the restriction)

    telegram(chat.button(ALICE, chat.private_chat(ALICE), "privacy:restricted:off"))
    telegram(message(ALICE, GROUP_CHAT, "/share Pie | 1 | 1h | 52.37,4.89 Bakery"))
    assert announce() == {"batchItemFailures": []}
    back = recorder.sent("editMessageText")[-1]  # the withdrawn soup shows as such again; the bread is not late
    assert "Withdrawn" in back["text"] and "Vegetable soup" in back["text"]
    assert [("Pie" in m["text"], "Bread" in m["text"]) for m in recorder.sent("sendMessage")] == [
        (False, False), (True, False)]


def test_an_erasures_freeze_takes_the_persons_posts_out_of_the_chat_before_its_queue_runs(recorder):
    """The freeze restricts processing: a picked-up post's message ("Picked up: <title> (… shared by <pseudonym>)")
    stayed in the chat, as the erasure's wind-down only ends what is open. `ErasureStarted` edits it at once."""
    from foodshare.domain import erasure

    chat_group(ALICE, BOB)
    telegram(message(ALICE, GROUP_CHAT, SOUP))
    announce()
    soup_id, = shared_food_ids()
    claimed = telegram(chat.button(BOB, GROUP_CHAT, f"claim:{soup_id}"))
    exchange_id = action(claimed.body, "confirm:").split(":")[1]
    for person in (BOB, ALICE):
        telegram(message(person, GROUP_CHAT, f"/confirm {exchange_id}"))
    announce()
    assert "Picked up" in recorder.sent("editMessageText")[-1]["text"]
    code, _ = erasure.request("tg:111111")
    erasure.start("tg:111111", code)  # as the bots' /erase confirmation (and DELETE /me) starts it
    assert deliver("announcements", *recorded("ErasureStarted")) == {"batchItemFailures": []}
    edits = recorder.sent("editMessageText")
    assert len(edits) == 2 and edits[-1]["text"] == "This post is no longer available."


def test_partner_groups_posts_are_not_announced_in_other_groups_chats(recorder):
    home = chat_group(ALICE, BOB)
    partner = chat_group(CAROL, where=OTHER_CHAT)
    # the admins' partnership as the API's routes make it (chat users have no API token; the bots make none)
    proposal = partnerships.propose(home, "tg:111111", partner, partnerships.Terms())
    partnerships.accept(proposal.partnership_id, "tg:333333")
    telegram(message(ALICE, GROUP_CHAT, SOUP))
    assert announce() == {"batchItemFailures": []}
    assert [m["chat_id"] for m in recorder.sent("sendMessage")] == [str(GROUP_CHAT["id"])]


def test_a_claim_overtaking_its_announcement_is_not_lost_and_makes_no_second_message(recorder, monkeypatch):
    """FoodClaimed is delivered while another worker is still sending the announcement."""
    chat_group(ALICE, BOB)
    telegram(message(ALICE, GROUP_CHAT, SOUP))
    food_id = shared_food_ids()[0]
    send = telegram_adapter.send
    overtaken: list[dict] = []

    def slow_send(chat_id, reply):
        message_id = send(chat_id, reply)  # the message is out, its id not stored yet...
        telegram(chat.button(BOB, GROUP_CHAT, f"claim:{food_id}"))  # ...when the claim commits
        overtaken.append(deliver("announcements", recorded("FoodClaimed")[0]))  # and is delivered
        return message_id

    monkeypatch.setattr(telegram_adapter, "send", slow_send)
    assert deliver("announcements", recorded("FoodShared")[0]) == {"batchItemFailures": []}
    # The concurrent delivery found no message yet and food nobody can claim: it sent nothing...
    assert overtaken == [{"batchItemFailures": []}]
    # ...and the sender, re-reading the post after storing its message id, edited it already.
    sent, edits = recorder.sent("sendMessage"), recorder.sent("editMessageText")
    assert len(sent) == 1 and len(edits) == 1 and "Claimed" in edits[0]["text"]
    assert deliver("announcements", *recorded("FoodClaimed"), *recorded("FoodShared")) == {"batchItemFailures": []}
    assert len(recorder.sent("sendMessage")) == 1 and len(recorder.sent("editMessageText")) == 1


def test_an_event_arriving_during_an_edit_is_caught_up_by_the_editor(recorder, monkeypatch):
    chat_group(ALICE, BOB)
    telegram(message(ALICE, GROUP_CHAT, SOUP))
    announce()
    claimed = telegram(chat.button(BOB, GROUP_CHAT, f"claim:{shared_food_ids()[0]}"))
    edit = telegram_adapter.edit
    during: list[dict] = []

    def slow_edit(chat_id, message_id, reply):
        edit(chat_id, message_id, reply)
        if not during:  # while the "claimed" edit is under way, the claim is cancelled and delivered
            telegram(chat.button(BOB, GROUP_CHAT, action(claimed.body, "cancel:")))
            during.append(deliver("announcements", recorded("ExchangeCancelled")[0]))

    monkeypatch.setattr(telegram_adapter, "edit", slow_edit)
    assert deliver("announcements", recorded("FoodClaimed")[0]) == {"batchItemFailures": []}
    # It saw the message still recorded as "available" and left it: the editor re-reads the post
    # after recording its edit, so it puts the Claim button back itself.
    assert during == [{"batchItemFailures": []}]
    edits = recorder.sent("editMessageText")
    assert ["Claimed" in e["text"] for e in edits] == [True, False] and action(edits[1], "claim:")
    assert announce() == {"batchItemFailures": []}
    assert len(recorder.sent("editMessageText")) == 2 and len(recorder.sent("sendMessage")) == 1


def test_a_delivery_finding_another_worker_calling_the_chat_is_retried_by_the_queue(recorder):
    from foodshare.bots import store

    chat_group(ALICE, BOB)
    telegram(message(ALICE, GROUP_CHAT, SOUP))
    announce()
    food_id = shared_food_ids()[0]
    telegram(chat.button(BOB, GROUP_CHAT, f"claim:{food_id}"))
    link, = store.group_chat_refs(groups.group_ids_of("tg:111111")[0])
    assert store.lease_announcement(food_id, link, "another-worker", 30_000) is not None
    event = recorded("FoodClaimed")[0]
    with pytest.raises(BatchProcessingError):  # the whole batch failed: SQS delivers it again later
        deliver("announcements", event)
    assert recorder.sent("editMessageText") == []
    clock.advance(31)  # the other worker died: its lease runs out
    assert deliver("announcements", event) == {"batchItemFailures": []}
    assert len(recorder.sent("editMessageText")) == 1


def test_a_post_claimed_before_its_announcement_is_never_announced(recorder):
    chat_group(ALICE, BOB)
    telegram(message(ALICE, GROUP_CHAT, SOUP))
    telegram(chat.button(BOB, GROUP_CHAT, f"claim:{shared_food_ids()[0]}"))
    assert deliver("announcements", recorded("FoodClaimed")[0]) == {"batchItemFailures": []}
    assert deliver("announcements", recorded("FoodShared")[0]) == {"batchItemFailures": []}
    assert recorder.sent("sendMessage") == [] and recorder.sent("editMessageText") == []


def test_slack_channel_announcement_is_updated_in_place_when_claimed(recorder):
    from tests.bots.chat import CHANNEL, block_action, slack, slash

    slack(slash("U0ANNA", "start"))
    slack(slash("U0BEN", "start"))
    slack(slash("U0ANNA", "share Curry | 2 | 2h | 52.52,13.40 Café | #halal"))
    recorder.script("chat.postMessage", (200, {"ok": True, "channel": CHANNEL["id"], "ts": "1700000000.000100"}, {}))
    announce()
    posted, = recorder.sent("chat.postMessage")
    assert posted["channel"] == CHANNEL["id"] and "Curry" in posted["text"]
    assert "Café" not in posted["text"] and "52.52" not in posted["text"]  # no place in the channel
    slack(block_action("U0BEN", posted["blocks"][1]["elements"][0]["value"], f"{recorder.url}/r"))
    announce()
    update, = recorder.sent("chat.update")
    assert (update["channel"], update["ts"]) == (CHANNEL["id"], "1700000000.000100")
    assert "Claimed" in update["text"] and [b["type"] for b in update["blocks"]] == ["section"]
    assert len(recorder.sent("chat.postMessage")) == 1


def test_a_group_without_a_chat_costs_one_query_and_writes_nothing(recorder, aws_operations):
    from foodshare.data.models import ConsumedItem

    from tests.support import flows

    c = flows.community()
    assert call("POST", "/food", user=c["sharer"], json=post_body(c["group"])).status == 201
    consumed = list(ConsumedItem.scan(ConsumedItem.consumer == "announcements"))
    details = recorded("FoodShared")
    aws_operations.clear()
    assert deliver("announcements", *details, *details) == {"batchItemFailures": []}  # and a redelivery
    assert aws_operations == ["Query", "Query"]
    assert recorder.sent("sendMessage") == []
    assert list(ConsumedItem.scan(ConsumedItem.consumer == "announcements")) == consumed  # no marker to remember
