"""A Telegram update redelivered after its write committed but before its idempotency record was saved.

Powertools Idempotency replays the first answer once its record says COMPLETED; a
Lambda that dies between the domain commit and that record leaves only an
in-progress record, which expires, and Telegram's redelivery runs the update again.
The share itself is idempotent on the update (the update id is written in the same
transaction as the post), so that second run finds the first post instead of making one.
"""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.idempotency.persistence.dynamodb import DynamoDBPersistenceLayer

from foodshare.data.models import AppliedRequestItem, FoodItem, Item
from tests.bots import chat
from tests.bots.chat import GROUP_CHAT, TgUser, message, telegram
from tests.bots.events import deliver, recorded

ALICE = TgUser(111111, "Alice")
SOUP = "/share Soup | 2 | 2h | 52.37,4.89 Hall"


def crash_after_commit(monkeypatch) -> None:
    """The function dies after its work committed, before Powertools saves the COMPLETED record."""

    def die(self, data, result):
        raise RuntimeError("Lambda timed out")

    monkeypatch.setattr(DynamoDBPersistenceLayer, "save_success", die)


def in_progress_record_expires(platform: str = "telegram") -> None:
    """What the in-progress record's expiry (the dead invocation's remaining time) would do."""
    for record in Item.query(f"IDEMPOTENCY#{platform}"):
        record.delete()


def posts() -> list[FoodItem]:
    return list(FoodItem.scan(FoodItem.pk.startswith("FOOD#") & (FoodItem.sk == "META")))


@pytest.mark.parametrize("flow", ["one line", "guided"])
def test_a_redelivered_share_after_a_crash_posts_once_and_is_announced_once(monkeypatch, recorder, flow):
    telegram(message(ALICE, GROUP_CHAT, "/start"))
    if flow == "one line":
        update = message(ALICE, GROUP_CHAT, SOUP)
    else:
        for answer in ("/share", "Soup", "2", "2h", "52.37,4.89 Hall"):
            telegram(message(ALICE, GROUP_CHAT, answer))
        update = message(ALICE, GROUP_CHAT, "none")

    with monkeypatch.context() as patch:
        crash_after_commit(patch)
        assert telegram(update).status == 500
    assert len(posts()) == 1  # the share committed

    assert telegram(update).status == 409  # while the dead invocation's record is in progress
    in_progress_record_expires()
    again = telegram(update)
    assert again.status == 200 and "Soup is shared" in again.body["text"]
    post, = posts()
    assert len(recorded("FoodShared")) == 1
    applied = AppliedRequestItem.get(*AppliedRequestItem.key(f"telegram-update:{update['update_id']}"))
    assert applied.result_id == post.food_id

    assert deliver("announcements", *recorded("FoodShared")) == {"batchItemFailures": []}
    assert len(recorder.sent("sendMessage")) == 1
    assert telegram(update).body == again.body  # from now on Powertools replays the stored answer
    assert len(posts()) == 1 and chat.buttons(recorder.sent("sendMessage")[0])


def test_the_same_words_in_a_new_update_share_again():
    telegram(message(ALICE, GROUP_CHAT, "/start"))
    telegram(message(ALICE, GROUP_CHAT, SOUP))
    telegram(message(ALICE, GROUP_CHAT, SOUP))
    assert len(posts()) == 2
