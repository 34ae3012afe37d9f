"""/privacy: a person who only uses the bots sees and changes their privacy choices, as GET and PUT /me/privacy do.

Found by an audit: restriction of processing, the objection to leaderboards and the precision of pickup places are
changed with `PUT /me/privacy`, which needs a token whose subject is the person's id, and no token may name a chat
user: a chat user could not exercise those rights at all.
"""

from __future__ import annotations

import pytest

from foodshare import clock
from foodshare.cache import ratelimit
from foodshare.domain import privacy_settings, subject_requests
from foodshare.domain.privacy_settings import PrivacySettings
from foodshare.settings import get_settings
from tests.bots import chat
from tests.bots.chat import GROUP_CHAT, TgUser, action, block_action, buttons, message, private_chat, slack, slash
from tests.bots.chat import telegram
from tests.bots.events import recorded
from tests.bots.test_redelivery import crash_after_commit, in_progress_record_expires
from tests.support.logs import captured_logs

XENIA = TgUser(777123456, "Xyzzyname")
ME = f"tg:{XENIA.id}"
DEFAULTS = PrivacySettings(restricted=False, leaderboard=True, location_precision="area")


def said(text: str, where: dict | None = None) -> dict:
    answer = telegram(message(XENIA, where or private_chat(XENIA), text))
    assert answer.status == 200, answer
    return answer.body


def pressed(data: str, where: dict | None = None) -> dict:
    answer = telegram(chat.button(XENIA, where or private_chat(XENIA), data, message_id=9))
    assert answer.status == 200, answer
    return answer.body


def requests_of(user_id: str) -> list[tuple[str, str]]:
    return [(r.type, r.detail) for r in subject_requests.page(user_id, 50, None)[0]]


def test_privacy_shows_the_choices_and_each_button_makes_one_as_put_me_privacy_does():
    said("/start")
    shown = said("/privacy")
    assert "not restricted" in shown["text"] and "leaderboards" in shown["text"] and "area" in shown["text"]
    assert sorted(b["callback_data"] for b in buttons(shown)) == [
        "privacy:leaderboard:off", "privacy:places:exact", "privacy:restricted:on"]
    assert privacy_settings.get(ME) == DEFAULTS and recorded("PrivacySettingsChanged") == []

    left = pressed(action(shown, "privacy:leaderboard:"))
    assert left["method"] == "editMessageText" and left["message_id"] == 9  # the choice replaces the message
    assert "left out of every leaderboard" in left["text"] and action(left, "privacy:leaderboard:") == \
        "privacy:leaderboard:on"
    exact = pressed(action(left, "privacy:places:"))
    assert "exact place" in exact["text"] and action(exact, "privacy:places:") == "privacy:places:area"
    frozen = pressed(action(exact, "privacy:restricted:"))
    assert "Restricted" in frozen["text"] and action(frozen, "privacy:restricted:") == "privacy:restricted:off"
    assert privacy_settings.get(ME) == PrivacySettings(restricted=True, leaderboard=False,
                                                       location_precision="exact")
    # what PUT /me/privacy records: the event (flags only) and the objection and restriction on the record of requests
    assert [(e["data"]["restricted"], e["data"]["leaderboard"], e["data"]["locationPrecision"])
            for e in recorded("PrivacySettingsChanged")] == [(False, False, "area"), (False, False, "exact"),
                                                             (True, False, "exact")]
    assert [t for t, _ in requests_of(ME)] == ["objection", "objection", "restriction"]

    lifted = said("/privacy restricted off")  # typed, as the text says
    assert "not restricted" in lifted["text"] and not privacy_settings.get(ME).restricted
    assert requests_of(ME)[-1] == ("restriction", "lifted")


def test_a_choice_the_api_does_not_offer_is_refused_naming_the_choices_and_nothing_is_written():
    said("/start")
    for typed in ("/privacy colour red", "/privacy places street", "/privacy leaderboard"):
        refused = said(typed)["text"]
        assert refused.startswith("⚠️") and "restricted on|off" in refused and "places exact|area" in refused, refused
    forged = pressed("privacy:restricted:maybe")
    assert "restricted on|off" in forged["text"]
    assert privacy_settings.get(ME) == DEFAULTS and recorded("PrivacySettingsChanged") == []


def test_in_a_group_chat_privacy_only_points_to_the_private_chat():
    said("/start", GROUP_CHAT)
    answer = said("/privacy", GROUP_CHAT)
    assert answer["text"] == "Ask me in our private chat: send /privacy to me there."
    assert "reply_markup" not in answer
    changed = said("/privacy restricted on", GROUP_CHAT)
    assert changed["text"] == answer["text"]
    forged = pressed("privacy:restricted:on", GROUP_CHAT)  # a button forged into (or forwarded to) a group chat
    assert forged["method"] == "sendMessage" and forged["text"] == answer["text"]
    assert privacy_settings.get(ME) == DEFAULTS and recorded("PrivacySettingsChanged") == []


def test_a_button_pressed_twice_or_redelivered_after_a_crash_applies_once(monkeypatch):
    said("/start")
    restrict = action(said("/privacy"), "privacy:restricted:")
    first = pressed(restrict)
    second = pressed(restrict)  # the old message's button, pressed again: a new update
    assert second["text"] == first["text"]
    assert len(recorded("PrivacySettingsChanged")) == 1 and requests_of(ME)[-1] == ("restriction", "restricted")

    update = chat.button(XENIA, private_chat(XENIA), "privacy:leaderboard:off", message_id=9)
    with monkeypatch.context() as patch:
        crash_after_commit(patch)  # the change committed; the function died before Powertools saved its answer
        assert telegram(update).status == 500
    in_progress_record_expires()
    again = telegram(update)  # Telegram's redelivery runs it again
    assert again.status == 200 and "left out of every leaderboard" in again.body["text"]
    assert telegram(update).body == again.body  # from now on Powertools replays it
    assert len(recorded("PrivacySettingsChanged")) == 2
    assert [t for t, _ in requests_of(ME)] == ["restriction", "objection"]


def test_an_account_being_erased_is_told_so_and_changes_nothing():
    said("/start")
    leave = action(said("/privacy"), "privacy:leaderboard:")
    pressed(action(said("/erase"), "erase:"))
    for answer in (said("/privacy"), pressed(leave), said("/privacy leaderboard off")):
        assert "being erased" in answer["text"] and "reply_markup" not in answer, answer
    assert privacy_settings.PrivacySettings.of(privacy_settings.users.find(ME)).leaderboard is True
    assert recorded("PrivacySettingsChanged") == []


@pytest.fixture
def two_a_minute(monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_DEFAULT", "2/60")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_showing_and_changing_spend_the_get_and_put_me_privacy_buckets(two_a_minute):
    said("/start")
    for _ in range(2):
        assert "lately" not in said("/privacy")["text"]
    assert "asked for a lot lately" in said("/privacy")["text"]
    assert not ratelimit.check(ME, "GET /me/privacy").allowed
    for choice in ("off", "on"):
        assert "lately" not in pressed(f"privacy:leaderboard:{choice}")["text"]
    refused = telegram(chat.button(XENIA, private_chat(XENIA), "privacy:leaderboard:off")).body
    assert refused["method"] == "sendMessage" and "lately" in refused["text"]
    assert privacy_settings.get(ME).leaderboard is True and len(recorded("PrivacySettingsChanged")) == 2
    clock.advance(61)
    assert "left out" in pressed("privacy:leaderboard:off")["text"]


def test_the_answers_log_none_of_the_choices():
    """What goes wrong around an answer is logged (a Slack follow-up that could not be delivered): never the answer."""
    said("/start")
    with captured_logs() as logs:
        pressed(action(said("/privacy"), "privacy:places:"))
        said("/privacy restricted on")
        said("/privacy places street")
        slack(slash("U0XYZZY", "start"))
        assert slack(block_action("U0XYZZY", "privacy:leaderboard:off", "http://127.0.0.1:9/gone")).status == 200
    logged = logs.getvalue().lower()
    assert "follow-up failed" in logged  # the undelivered answer held the choices
    assert privacy_settings.get(ME).restricted and not privacy_settings.get("slack:T0001:U0XYZZY").leaderboard
    for value in ("exact", "restricted", "leaderboard", "street", "xyzzy", "objection"):
        assert value not in logged, (value, logged)


def test_slack_privacy_answers_the_person_alone_and_its_buttons_change_through_response_url(recorder):
    anna, me = "U0ANNA", "slack:T0001:U0ANNA"
    assert slack(slash(anna, "start")).status == 200
    shown = slack(slash(anna, "privacy")).body  # in the channel: Slack shows the answer to her alone
    assert shown["response_type"] == "ephemeral" and "not restricted" in shown["text"]
    values = [e["value"] for block in shown["blocks"] if block["type"] == "actions" for e in block["elements"]]
    assert sorted(values) == ["privacy:leaderboard:off", "privacy:places:exact", "privacy:restricted:on"]

    for _ in range(2):  # pressed twice: two user actions, two trigger_ids
        assert slack(block_action(anna, "privacy:places:exact", f"{recorder.url}/privacy-answer")).status == 200
    first, second = recorder.sent("privacy-answer")
    assert first["replace_original"] is True and first["response_type"] == "ephemeral"
    assert "exact place" in first["text"] and second["text"] == first["text"]
    assert privacy_settings.get(me).location_precision == "exact"
    assert len(recorded("PrivacySettingsChanged")) == 1

    typed = slack(slash(anna, "privacy leaderboard off")).body
    assert typed["response_type"] == "ephemeral" and "left out of every leaderboard" in typed["text"]
    assert privacy_settings.get(me).leaderboard is False


def test_a_group_chat_is_not_told_that_someone_restricted_processing_when_they_cannot_be_rated():
    """Found by an audit: rating a restricted (or erasing) person is refused, and in a group chat the refusal, which
    says why, was posted for the whole group to read: their privacy choice (or erasure) told to everyone there."""
    from tests.bots.test_notifications import ALICE, BOB, claimed_soup

    exchange_id = claimed_soup()
    for person in (BOB, ALICE):
        telegram(message(person, GROUP_CHAT, f"/confirm {exchange_id}"))
    telegram(chat.button(ALICE, private_chat(ALICE), "privacy:restricted:on"))
    typed = telegram(message(BOB, GROUP_CHAT, f"/rate {exchange_id} 1")).body
    pressed = telegram(chat.button(BOB, GROUP_CHAT, f"rate:{exchange_id}:1", message_id=5)).body
    for answer in (typed, pressed):
        assert "restricted" not in str(answer) and "erased" not in str(answer), answer
    assert "restricted processing" in telegram(message(BOB, private_chat(BOB), f"/rate {exchange_id} 1")).body["text"]
