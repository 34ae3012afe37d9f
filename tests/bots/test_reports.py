"""Reporting from the chat bots: a Report button on a post's announcement and on exchange notices opens a
reason choice for the presser alone; the chosen reason files the report through the domain as that person."""

from __future__ import annotations

from foodshare.cache import ratelimit
from foodshare.domain import groups, reports
from foodshare.settings import get_settings

from tests.bots import chat
from tests.bots.chat import CHANNEL, GROUP_CHAT, TgUser, action, block_action, message, slack, slash, telegram
from tests.bots.events import deliver, recorded, shared_food_ids

ALICE = TgUser(111111, "Alice")
BOB = TgUser(222222, "Bob")
SOUP = "/share Vegetable soup | 3 | 2h | 52.37,4.89 Community hall"


def announced_soup(recorder) -> tuple[str, dict]:
    """Alice and Bob in the group chat (Bob also privately); Alice's soup announced: (group id, announcement)."""
    for person in (ALICE, BOB):
        telegram(message(person, GROUP_CHAT, "/start"))
    telegram(message(BOB, chat.private_chat(BOB), "/start"))
    telegram(message(ALICE, GROUP_CHAT, SOUP))
    assert deliver("announcements", *recorded("FoodShared")) == {"batchItemFailures": []}
    announcement = recorder.sent("sendMessage", chat_id=str(GROUP_CHAT["id"]))[-1]
    return groups.group_ids_of("tg:111111")[0], announcement


def moderation_reports(group_id: str) -> list[dict]:
    """The group's open reports as its admin (Alice) is shown them: GET /groups/{groupId}/moderation's read and view
    (what the API shows; the bots' `/mod` shows them without their reporter: tests/bots/test_group_admin.py)."""
    from foodshare.api import views
    from foodshare.domain import moderation

    queue = views.moderation_queue(group_id, moderation.queue(group_id, "tg:111111"), "tg:111111")
    return queue.model_dump(by_alias=True, mode="json")["reports"]


def test_report_a_post_from_its_announcement_files_once_as_the_presser(recorder):
    group_id, announcement = announced_soup(recorder)
    food_id = shared_food_ids()[-1]
    report = action(announcement, "report:")
    assert report == f"report:food:{food_id}"

    pressed = telegram(chat.button(BOB, GROUP_CHAT, report, message_id=5))
    assert pressed.status == 200 and pressed.body == {}  # the group sees nothing
    assert recorder.sent("answerCallbackQuery")[-1]["text"] == "I sent you the choice in our private chat."
    choice = recorder.sent("sendMessage", chat_id=str(BOB.id))[-1]
    assert "Why are you reporting this post?" in choice["text"]
    reasons = [b["callback_data"] for b in chat.buttons(choice)]
    assert [r.rsplit(":", 1)[1] for r in reasons] == list(reports.REASONS)
    assert all(len(r.encode()) <= 64 for r in reasons)

    update = chat.button(BOB, chat.private_chat(BOB), f"{report}:unsafe_food", message_id=6)
    filed = telegram(update)
    assert filed.body["method"] == "editMessageText" and filed.body["message_id"] == 6
    assert "your report about this post (unsafe food)" in filed.body["text"]
    assert recorder.sent("answerCallbackQuery")[-1]["text"] == "Reported"
    answers = len(recorder.sent("answerCallbackQuery"))

    again = telegram(update)  # Telegram redelivers the same update
    assert again.status == 200 and again.body == filed.body
    assert len(recorder.sent("answerCallbackQuery")) == answers  # replayed, not run again
    [open_report] = moderation_reports(group_id)
    assert (open_report["subjectType"], open_report["subjectId"], open_report["reason"]) == ("food", food_id,
                                                                                           "unsafe_food")
    [filed_event] = recorded("ReportFiled")
    assert filed_event["actorId"] == "tg:222222"

    twice = telegram(chat.button(BOB, chat.private_chat(BOB), f"{report}:spam", message_id=6))  # a new press
    assert "already have an open report" in twice.body["text"]
    assert "already have an open report" in recorder.sent("answerCallbackQuery")[-1]["text"]
    assert len(moderation_reports(group_id)) == 1


def test_without_a_private_chat_the_presser_is_told_how_and_the_group_sees_nothing(recorder):
    for person in (ALICE, BOB):
        telegram(message(person, GROUP_CHAT, "/start"))
    telegram(message(ALICE, GROUP_CHAT, SOUP))
    pressed = telegram(chat.button(BOB, GROUP_CHAT, f"report:food:{shared_food_ids()[-1]}"))
    assert pressed.body == {}
    assert "Send /start to me in a private chat first" in recorder.sent("answerCallbackQuery")[-1]["text"]
    assert recorder.sent("sendMessage") == []  # (announcements were not delivered here)
    # Reporting one's own post, or a bad reason, is refused in the toast alone.
    own = telegram(chat.button(ALICE, GROUP_CHAT, f"report:food:{shared_food_ids()[-1]}:spam"))
    assert own.body == {} and "your own post" in recorder.sent("answerCallbackQuery")[-1]["text"]
    bad = telegram(chat.button(BOB, GROUP_CHAT, f"report:food:{shared_food_ids()[-1]}:ugly"))
    assert bad.body == {} and "no longer valid" in recorder.sent("answerCallbackQuery")[-1]["text"]
    assert recorded("ReportFiled") == []


def test_report_an_exchange_from_the_claim_notice_and_the_reports_allowance_is_shared(recorder, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_REPORTS", "1/3600")
    get_settings.cache_clear()
    group_id, announcement = announced_soup(recorder)
    claimed = telegram(chat.button(BOB, GROUP_CHAT, action(announcement, "claim:")))
    exchange_id = action(claimed.body, "confirm:").split(":")[1]
    telegram(message(ALICE, chat.private_chat(ALICE), "/start"))
    assert deliver("notifications", *recorded("FoodClaimed")) == {"batchItemFailures": []}
    notice = recorder.sent("sendMessage", chat_id=str(ALICE.id))[-1]
    assert "claimed your Vegetable soup" in notice["text"]
    report = action(notice, "report:")
    assert report == f"report:exchange:{exchange_id}"

    choice = telegram(chat.button(ALICE, chat.private_chat(ALICE), report))  # in the private chat: shown there
    assert choice.body["method"] == "sendMessage" and "reporting this exchange" in choice.body["text"]
    longest = action(choice.body, f"{report}:cancellation")
    assert len(longest.encode()) <= 64
    filed = telegram(chat.button(ALICE, chat.private_chat(ALICE), f"{report}:no_show"))
    assert "your report about this exchange (no-show)" in filed.body["text"]
    [open_report] = moderation_reports(group_id)
    assert (open_report["subjectType"], open_report["reason"]) == ("exchange", "no_show")

    # Alice's allowance (1 an hour, the same bucket as POST /reports) is spent: politely refused.
    over = telegram(chat.button(ALICE, chat.private_chat(ALICE), f"report:food:{shared_food_ids()[-1]}:spam"))
    assert "many reports lately" in over.body["text"]
    assert not ratelimit.check("tg:111111", "POST /reports").allowed  # the bucket POST /reports spends
    assert len(recorded("ReportFiled")) == 1


def test_slack_report_button_on_the_announcement_answers_ephemerally_and_files(recorder):
    anna, ben = "U0ANNA", "U0BEN"
    slack(slash(anna, "start"))
    slack(slash(ben, "start"))
    slack(slash(anna, "share Lentil curry | 2 | 90m | 52.52,13.40 Kiez café"))
    assert deliver("announcements", *recorded("FoodShared")) == {"batchItemFailures": []}
    announced, = recorder.sent("chat.postMessage")
    assert announced["channel"] == CHANNEL["id"]
    report = next(e["value"] for e in announced["blocks"][1]["elements"] if e["value"].startswith("report:"))

    response_url = f"{recorder.url}/slack-response/7"
    assert slack(block_action(ben, report, response_url)).status == 200
    choice = [c for c in recorder.calls if c.path == "/slack-response/7"][-1].body
    assert choice["response_type"] == "ephemeral" and "Why are you reporting this post?" in choice["text"]
    harassment = next(e["value"] for block in choice["blocks"][1:] for e in block["elements"]
                      if e["value"].endswith(":harassment"))
    slack(block_action(ben, harassment, response_url))
    done = [c for c in recorder.calls if c.path == "/slack-response/7"][-1].body
    assert done["response_type"] == "ephemeral" and done["replace_original"] is True
    assert "went to its group's moderators" in done["text"]
    [event] = recorded("ReportFiled")
    assert (event["actorId"], event["data"]["subjectType"], event["data"]["reason"]) == (
        f"slack:T0001:{ben}", "food", "harassment")
