"""Running a group created in a chat from the chat: invites and joining with one.

Found by an audit: the first `/start` in a group chat (or a Slack channel) makes that person the group's admin, but a
chat user has no API token (the API answers 401 to a `tg:`/`slack:` subject), and the bots had no command for any
admin route. Nobody outside a chat-created group's chat could be invited into it, and an invite code made for a chat
user had no way in either (no `/join`). The commands below call the domain functions the API's routes call
(`groups.invite_by`, `groups.join`), never a copy of their rules.
"""

from __future__ import annotations

from datetime import timedelta

from foodshare import clock
from foodshare.domain import groups, identities, moderation

from tests.bots import chat
from tests.bots.chat import (
    GROUP_CHAT,
    TgUser,
    action,
    buttons,
    message,
    private_chat,
    slack,
    slash,
    telegram,
)
from tests.bots.events import recorded, shared_food_ids
from tests.support.api import call

ALICE, BOB, CAROL, DAVE = TgUser(111111, "Alice"), TgUser(222222, "Bob"), TgUser(333333, "Carol"), TgUser(444444, "Dave")
SOUP = "/share Vegetable soup | 3 | 2h | 52.37,4.89 Community hall"


def said(person: TgUser, text: str, where: dict | None = None) -> dict:
    answer = telegram(message(person, where or private_chat(person), text))
    assert answer.status == 200, answer
    return answer.body


def pressed(person: TgUser, data: str, where: dict | None = None, message_id: int = 9) -> dict:
    answer = telegram(chat.button(person, where or private_chat(person), data, message_id=message_id))
    assert answer.status == 200, answer
    return answer.body


def chat_group(*members: TgUser) -> str:
    """The group chat made a group by the first member's /start (its admin); the others join; all /start privately."""
    for person in members:
        said(person, "/start", GROUP_CHAT)
        said(person, "/start")
    return groups.group_ids_of(f"tg:{members[0].id}")[0]


# ---- what was true before: a chat-made group's admin could not administer it -----------------------------------


def test_the_admin_of_a_chat_made_group_has_no_api_token_so_the_bots_are_the_only_way():
    group_id = chat_group(ALICE, BOB)
    assert groups.membership(group_id, "tg:111111").role == groups.ADMIN
    for method, path, body in (("POST", f"/groups/{group_id}/invites", {}),
                               ("GET", f"/groups/{group_id}/moderation", None),
                               ("POST", f"/groups/{group_id}/moderation/actions", {"action": "warn", "reason": "x!x"})):
        assert call(method, path, user="tg:111111", json=body).status == 401, path


# ---- invites ------------------------------------------------------------------------------------------------------


def test_an_admin_makes_an_invite_in_the_private_chat_and_its_link_and_code_let_people_join():
    group_id = chat_group(ALICE, BOB)
    pointed = said(ALICE, "/invite", GROUP_CHAT)
    assert "private chat" in pointed["text"] and "/invite" in pointed["text"]
    assert recorded("InviteCreated") == []  # nothing made where the chat reads

    made = said(ALICE, "/invite")
    [invite] = [i for i, _ in groups.invites(group_id, "tg:111111", 10, None)[0]]
    assert invite.created_by == "tg:111111" and invite.max_uses is None
    assert invite.code in made["text"] and "Elm Street Neighbours" in made["text"]
    assert f"https://t.me/{chat.BOT_NAME}?start={invite.code}" in made["text"]
    assert f"/food join {invite.code}" in made["text"]
    assert len(recorded("InviteCreated")) == 1

    # The link opens a private chat with the bot, which sends `/start <code>`: Carol joins with it.
    joined = said(CAROL, f"/start {invite.code}")
    assert "Welcome to Elm Street Neighbours" in joined["text"], joined
    assert groups.membership(group_id, "tg:333333").role == groups.MEMBER
    # Typed, on Slack, and by an API user: the same invite
    assert "Welcome to Elm Street Neighbours" in slack(slash("U0DAN", f"join {invite.code.lower()}",
                                                             channel={"id": "D0DM", "name": "directmessage"})
                                                       ).body["text"]
    assert call("POST", "/groups/join", user="erin", json={"inviteCode": invite.code}).status == 200
    assert {e["data"]["userId"] for e in recorded("MemberJoined")} >= {"tg:333333", "slack:T0001:U0DAN", "erin"}
    again = said(CAROL, f"/join {invite.code}")
    assert "already a member" in again["text"]


def test_invite_options_are_the_api_rules_and_bad_ones_are_answered_never_raised():
    group_id = chat_group(ALICE)
    limited = said(ALICE, "/invite 5 48h")
    [invite] = [i for i, _ in groups.invites(group_id, "tg:111111", 10, None)[0]]
    assert int(invite.max_uses) == 5 and "5 joins" in limited["text"]
    assert clock.parse_iso(invite.expires_at) - clock.parse_iso(invite.created_at) == timedelta(hours=48)
    for typed, says in (("/invite 0", "1 and 1000"), ("/invite 1001", "1 and 1000"), ("/invite 500h", "168 hours"),
                        ("/invite 0h", "168 hours"), ("/invite soon", "/invite [uses] [hours"),
                        ("/invite 3 4 5", "/invite [uses] [hours"), ("/invite ²", "/invite [uses] [hours"),
                        ("/invite 99999999999999999999h", "168 hours")):
        answer = said(ALICE, typed)
        assert answer["text"].startswith("⚠️") and says in answer["text"], (typed, answer["text"])
    assert len(recorded("InviteCreated")) == 1


def test_only_admins_make_invites_and_a_member_is_told_so():
    group_id = chat_group(ALICE, BOB)
    refused = said(BOB, "/invite")
    assert refused["text"].startswith("⚠️") and "admin" in refused["text"]
    assert said(DAVE, "/invite")["text"].startswith("⚠️")  # in no group at all
    forged = pressed(BOB, f"invite:{group_id}:")  # a button Bob was never shown
    assert "Only a group admin" in forged["text"]
    assert recorded("InviteCreated") == []


def test_an_admin_of_several_groups_chooses_the_group_with_a_button():
    first = chat_group(ALICE)
    second_chat = {"id": -1009999, "title": "Oak Lane", "type": "supergroup"}
    said(ALICE, "/start", second_chat)
    second = next(g for g in groups.group_ids_of("tg:111111") if g != first)
    longest = said(ALICE, "/invite 1000 0099999999999h")
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons(longest))  # buttons() checks it too
    assert "168 hours" in pressed(ALICE, action(longest, f"invite:{second}:"))["text"]
    choice = said(ALICE, "/invite 2")
    assert "Which group" in choice["text"]
    assert sorted(b["callback_data"] for b in buttons(choice)) == sorted(f"invite:{g}:2" for g in (first, second))
    made = pressed(ALICE, f"invite:{second}:2")
    assert made["method"] == "editMessageText" and "Oak Lane" in made["text"]
    [invite] = [i for i, _ in groups.invites(second, "tg:111111", 10, None)[0]]
    assert invite.code in made["text"] and int(invite.max_uses) == 2


def test_join_answers_bad_codes_and_is_private():
    chat_group(ALICE, BOB)
    assert "Which invite" in said(CAROL, "/join")["text"]
    assert "Invite code not found" in said(CAROL, "/join NOPE-NOPE")["text"]
    assert "Invite code not found" in said(CAROL, "/join " + "X" * 5000)["text"]
    assert "private chat" in said(CAROL, "/join ABCDEFGH", GROUP_CHAT)["text"]
    assert [e["data"]["userId"] for e in recorded("MemberJoined")] == ["tg:111111", "tg:222222"]


def test_a_banned_member_cannot_come_back_with_an_invite():
    group_id = chat_group(ALICE, BOB)
    code = groups.create_invite(group_id, "tg:111111").code
    bob = identities.handle_in("tg:222222", group_id)
    moderation.act(group_id, "tg:111111", moderation.ActionRequest("ban", "Harassment", member_handle=bob))
    refused = said(BOB, f"/join {code}")
    assert "banned" in refused["text"] and groups.membership(group_id, "tg:222222") is None


def test_joining_a_group_with_a_disclaimer_asks_to_accept_it():
    call("PUT", "/me", user="gina", json={"displayName": "Gina"})
    made = call("POST", "/groups", user="gina", json={"name": "Garden", "disclaimer": "Food is shared as is."})
    group_id = made.body["groupId"]
    code = call("POST", f"/groups/{group_id}/invites", user="gina").body["inviteCode"]
    said(CAROL, "/start")
    asked = said(CAROL, f"/join {code}")
    assert "Food is shared as is." in asked["text"] and f"/join {code} 1" in asked["text"]
    assert groups.membership(group_id, "tg:333333") is None
    joined = pressed(CAROL, action(asked, "join:"))
    assert "Welcome to Garden" in joined["text"] and groups.membership(group_id, "tg:333333") is not None


# ---- Slack --------------------------------------------------------------------------------------------------------


def test_slack_admin_invites_from_the_channel_with_the_answer_to_them_alone():
    slack(slash("U0ANNA", "start"))
    slack(slash("U0BEN", "start"))
    group_id = groups.group_ids_of("slack:T0001:U0ANNA")[0]
    made = slack(slash("U0ANNA", "invite 3"))
    assert made.body["response_type"] == "ephemeral"
    [invite] = [i for i, _ in groups.invites(group_id, "slack:T0001:U0ANNA", 10, None)[0]]
    assert f"/food join {invite.code}" in made.body["text"] and int(invite.max_uses) == 3
    refused = slack(slash("U0BEN", "invite"))
    assert refused.body["text"].startswith("⚠️") and "admin" in refused.body["text"]


def test_help_lists_the_admin_commands():
    text = said(ALICE, "/help")["text"]
    for command in ("/invite", "/join"):
        assert command in text
