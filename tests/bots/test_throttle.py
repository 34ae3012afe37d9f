"""The outbound limiter: Telegram's limits shared through Redis, short waits slept, long ones back to the queue."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from foodshare import clock
from foodshare.bots import outbound, throttle
from tests.bots import chat
from tests.bots.chat import GROUP_CHAT, TgUser, message, telegram
from tests.bots.events import deliver, recorded

ALICE = TgUser(111111, "Alice")


def test_which_limits_a_message_counts_against():
    assert throttle.limits("telegram", True) == (throttle.PER_CHAT, throttle.PER_GROUP, throttle.TELEGRAM_OVERALL)
    assert throttle.limits("telegram", False) == (throttle.PER_CHAT, throttle.TELEGRAM_OVERALL)
    assert throttle.limits("slack", True) == (throttle.PER_CHAT,)


def test_one_message_a_second_per_chat_and_about_twenty_a_minute_per_group(throttle_waits_on_the_clock):
    waits = throttle_waits_on_the_clock
    throttle.admit("telegram", "-100", True)
    throttle.admit("telegram", "-200", True)  # another chat: no wait
    assert waits == []
    throttle.admit("telegram", "-100", True)
    assert len(waits) == 1 and 0.9 <= waits[0] <= 1.0  # the second message in a second waits for its slot

    started, sent, requeued = clock.now(), 2, 0
    while (clock.now() - started).total_seconds() < 60:
        try:
            throttle.admit("telegram", "-100", True)
            sent += 1
        except outbound.RetryLater:  # a wait too long to sleep through: back to the queue
            requeued += 1
            clock.advance(1)
    assert 18 <= sent <= 24 and requeued > 0
    assert max(waits) <= throttle.MAX_SLEEP_MS / 1000


def test_the_counts_are_shared_through_redis(clean_redis):
    throttle.admit("telegram", "-100", True)
    assert clean_redis.get("botrl:telegram:chat:-100") is not None
    throttle._local = throttle._LocalCounts()  # another container: its own memory, the same Redis
    with pytest.raises(outbound.RetryLater):
        for _ in range(30):
            throttle.admit("telegram", "-100", True)


def test_without_redis_each_container_still_keeps_to_the_limits(monkeypatch, throttle_waits_on_the_clock):
    import foodshare.cache.ratelimit as ratelimit

    monkeypatch.setattr(ratelimit, "take", lambda *args, **kwargs: None)  # Redis cannot answer
    throttle.admit("telegram", "-100", True)
    throttle.admit("telegram", "-100", True)
    assert len(throttle_waits_on_the_clock) == 1


def test_a_429_holds_the_chat_and_the_record_goes_back_to_the_queue(recorder):
    telegram(message(ALICE, GROUP_CHAT, "/start"))
    telegram(message(ALICE, GROUP_CHAT, "/share Soup | 2 | 2h | 52.37,4.89 Hall"))
    recorder.script("sendMessage", (429, {"ok": False, "error_code": 429, "description": "Too Many Requests",
                                          "parameters": {"retry_after": 30}}, {}))
    event = recorded("FoodShared")[0]
    with pytest.raises(BatchProcessingError):  # not slept through: the queue redelivers it
        deliver("announcements", event)
    with pytest.raises(BatchProcessingError):  # an early redelivery does not even call Telegram
        deliver("announcements", event)
    assert len(recorder.sent("sendMessage")) == 1
    clock.advance(31)
    assert deliver("announcements", event) == {"batchItemFailures": []}
    sent = recorder.sent("sendMessage")
    assert len(sent) == 2 and chat.buttons(sent[1])
