"""/erase: a person who only uses the bots erases their account, as DELETE /me does for an API user.

Found by an audit: DELETE /me needs a token whose subject is the person's id, and no token may name a chat user
(the API refuses `tg:…` and `slack:…` subjects), so a chat user had no way to have their account erased.
"""

from __future__ import annotations

import json
import re

from foodshare import clock
from foodshare.domain import erasure, subject_requests, users
from tests.bots import chat
from tests.bots.chat import GROUP_CHAT, TgUser, action, block_action, message, private_chat, slack, slash, telegram
from tests.bots.events import recorded
from tests.bots.test_redelivery import crash_after_commit, in_progress_record_expires
from tests.events.conftest import backbone  # noqa: F401  (the fixture: the erasure consumer sweeps)
from tests.privacy.test_erasure import _redis_dump, _table_dump

XENIA = TgUser(777123456, "Xyzzyname")
BOB = TgUser(222222, "Bob")
YURI = TgUser(555000111, "Yuri")  # never met the bot: what a first contact leaves
PERSONAL = re.compile(r"777123456|xyzzy", re.IGNORECASE)
ME = f"tg:{XENIA.id}"


def asked(user: TgUser = XENIA) -> dict:
    """/erase in the private chat: the explanation and the confirmation button."""
    answer = telegram(message(user, private_chat(user), "/erase"))
    assert answer.status == 200, answer
    return answer.body


def test_erase_explains_then_the_button_starts_the_erasure_delete_me_starts(backbone, recorder):  # noqa: F811
    telegram(message(XENIA, private_chat(XENIA), "/start"))
    telegram(message(XENIA, GROUP_CHAT, "/start"))
    telegram(message(BOB, GROUP_CHAT, "/start"))
    telegram(message(XENIA, GROUP_CHAT, "/share Xyzzy soup | 2 | 2h | 52.37,4.89 xyzzy hall"))

    explained = asked()
    text = explained["text"]
    for said in ("cannot be undone", "frozen", "open exchanges are cancelled", "anonymous id", "/export",
                 "within 3 hours"):
        assert said in text, said
    confirm = action(explained, "erase:")
    code = confirm.removeprefix("erase:")
    assert f"/erase {code}" in text
    # what POST /me/erasure does: a pending erasure request on record, a code, nothing frozen yet
    assert [(r.type, r.outcome) for r in subject_requests.page(ME, 10, None)[0]] == [("erasure", "pending")]
    assert len(recorded("ErasureRequested")) == 1 and not users.get(ME).erasing

    pressed = telegram(chat.button(XENIA, private_chat(XENIA), confirm, message_id=9))
    assert pressed.body["method"] == "editMessageText" and pressed.body["message_id"] == 9
    assert "being erased" in pressed.body["text"] and "reply_markup" not in pressed.body  # the button is gone
    assert users.find(ME).erasing and len(recorded("ErasureStarted")) == 1
    refused = telegram(message(XENIA, private_chat(XENIA), "/share Bread | 2 | 2h | 52.37,4.89 Hall"))
    assert "being erased" in refused.body["text"] and "DELETE /me" not in refused.body["text"]

    backbone.deliver()
    assert [t for t in _table_dump() if PERSONAL.search(t)] == []
    assert [t for t in _redis_dump() if PERSONAL.search(t)] == []
    assert users.find(ME) is None


def test_a_typed_code_confirms_too_and_a_wrong_or_old_one_is_refused(backbone):  # noqa: F811
    telegram(message(XENIA, private_chat(XENIA), "/start"))
    early = telegram(message(XENIA, private_chat(XENIA), "/erase ABCD1234")).body["text"]
    assert "Send /erase first" in early
    code = action(asked(), "erase:").removeprefix("erase:")
    wrong = telegram(message(XENIA, private_chat(XENIA), "/erase ABCD1234")).body["text"]
    assert "not the confirmation code" in wrong and not users.get(ME).erasing
    clock.advance(3 * 3600 + 1)
    late = telegram(message(XENIA, private_chat(XENIA), f"/erase {code}")).body["text"]
    assert "expired" in late and "/erase" in late and not users.get(ME).erasing

    code = action(asked(), "erase:").removeprefix("erase:")
    typed = telegram(message(XENIA, private_chat(XENIA), f"/erase {code.lower()}")).body
    assert typed["method"] == "sendMessage" and "being erased" in typed["text"]
    assert users.find(ME).erasing
    again = telegram(message(XENIA, private_chat(XENIA), "/erase")).body["text"]
    assert "already being erased" in again and len(recorded("ErasureRequested")) == 2


def test_in_a_group_chat_erase_only_says_to_ask_privately():
    telegram(message(XENIA, GROUP_CHAT, "/start"))
    answer = telegram(message(XENIA, GROUP_CHAT, "/erase")).body
    assert answer["text"] == "Ask me in our private chat: send /erase to me there."
    assert "reply_markup" not in answer
    pressed = telegram(chat.button(XENIA, GROUP_CHAT, "erase:ABCD1234")).body  # a button forged into a group chat
    assert pressed["method"] == "sendMessage" and "private chat" in pressed["text"]
    assert recorded("ErasureRequested") == [] and not _code_issued(ME)
    assert not users.get(ME).erasing


def test_erase_from_someone_without_an_account_registers_none():
    answer = telegram(message(YURI, private_chat(YURI), "/erase")).body
    assert "no account to erase" in answer["text"]
    assert users.find(f"tg:{YURI.id}") is None and not _code_issued(f"tg:{YURI.id}")


def test_a_redelivered_confirmation_starts_the_erasure_once(monkeypatch, backbone):  # noqa: F811
    telegram(message(XENIA, private_chat(XENIA), "/start"))
    confirm = chat.button(XENIA, private_chat(XENIA), action(asked(), "erase:"), message_id=9)
    with monkeypatch.context() as patch:
        crash_after_commit(patch)  # the erasure started; the function died before Powertools saved its answer
        assert telegram(confirm).status == 500
    assert users.find(ME).erasing and len(recorded("ErasureStarted")) == 1

    assert telegram(confirm).status == 409  # the dead invocation's record is still in progress
    in_progress_record_expires()
    again = telegram(confirm)  # Telegram's redelivery runs it again
    assert again.status == 200 and "being erased" in again.body["text"]
    assert telegram(confirm).body == again.body  # from now on Powertools replays it
    pressed_twice = telegram(chat.button(XENIA, private_chat(XENIA), confirm["callback_query"]["data"]))
    assert "being erased" in pressed_twice.body["text"]
    assert len(recorded("ErasureStarted")) == 1
    assert backbone.deliver() > 0
    assert len(recorded("AccountErased")) == 1


def _code_issued(user_id: str) -> bool:
    try:
        erasure.ErasureRequestItem.get(*erasure.ErasureRequestItem.key(user_id))
    except erasure.ErasureRequestItem.DoesNotExist:
        return False
    return True


def _kinds_naming(pattern: re.Pattern) -> list[str]:
    """The kind of every table item naming someone (its keys' first parts: `IDEMPOTENCY/update`), sorted."""
    items = [json.loads(text) for text in _table_dump() if pattern.search(text)]
    return sorted(f"{i['pk']['S'].split('#')[0]}/{i['sk']['S'].split('#')[0]}" for i in items)


def test_after_the_erasure_the_bot_keeps_no_more_about_them_than_about_a_stranger(backbone):  # noqa: F811
    """What the person sends after their erasure leaves what the same messages from someone the bot never met leave:
    a command's replayable answer (a day) and, once they register again, a fresh account."""
    telegram(message(XENIA, private_chat(XENIA), "/start"))
    telegram(message(XENIA, GROUP_CHAT, "/start"))
    old = users.get(ME)
    telegram(chat.button(XENIA, private_chat(XENIA), action(asked(), "erase:")))
    backbone.deliver()
    assert [t for t in _table_dump() if PERSONAL.search(t)] == []

    for person in (XENIA, YURI):
        for text in ("/help", "hello?", "/erase", "/browse"):
            telegram(message(person, private_chat(person), text))
    # the answers to /help, /erase and /browse, kept a day for Telegram's redeliveries (they hold the chat's id)
    assert _kinds_naming(PERSONAL) == _kinds_naming(re.compile(str(YURI.id))) == ["IDEMPOTENCY/update"] * 3
    assert users.find(ME) is None  # nothing above registers anyone

    telegram(message(XENIA, private_chat(XENIA), "/start"))
    again = users.get(ME)
    assert again.pseudonym != old.pseudonym and int(again.credit_balance) == int(old.credit_balance) == 3
    assert telegram(message(XENIA, private_chat(XENIA), "/credits")).body["text"].count("welcome") == 1
    assert "Xyzzy" not in str(telegram(message(XENIA, private_chat(XENIA), "/mine")).body)


def test_slack_erase_is_ephemeral_and_its_button_confirms_through_response_url(backbone, recorder):  # noqa: F811
    anna = "U0XYZZY"
    assert slack(slash(anna, "start")).status == 200
    explained = slack(slash(anna, "erase")).body
    assert explained["response_type"] == "ephemeral" and "cannot be undone" in explained["text"]
    value = next(e["value"] for block in explained["blocks"] if block["type"] == "actions" for e in block["elements"])
    assert value.startswith("erase:")
    assert slack(block_action(anna, value, f"{recorder.url}/erase-answer")).status == 200
    answered, = recorder.sent("erase-answer")
    assert "being erased" in answered["text"] and answered["replace_original"] is True
    backbone.deliver()
    assert [t for t in _table_dump() if anna in t] == []
