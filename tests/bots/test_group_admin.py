"""Running a group created in a chat from the chat: invites and joining with one, the moderation queue and its actions.

Found by an audit: the first `/start` in a group chat (or a Slack channel) makes that person the group's admin, but a
chat user has no API token (the API answers 401 to a `tg:`/`slack:` subject), and the bots had no command for any
admin route. A chat-created group could not be moderated at all (its reports piled up in a queue nobody could read,
a harasser could be neither removed nor banned), and nobody outside the chat could be invited; an invite code made
for a chat user had no way in either (no `/join`). The commands below call the domain functions the API's routes call
(`groups.invite_by`, `groups.join`, `moderation.queue`, `moderation.act`), never a copy of their rules.
"""

from __future__ import annotations

from datetime import timedelta

from foodshare import clock
from foodshare.cache import ratelimit
from foodshare.data.models import BanItem, RestrictionItem
from foodshare.domain import groups, identities, moderation, reports
from foodshare.settings import get_settings

from tests.bots import chat
from tests.bots.chat import (
    GROUP_CHAT,
    TgUser,
    action,
    block_action,
    buttons,
    message,
    private_chat,
    slack,
    slash,
    telegram,
)
from tests.bots.events import deliver, recorded, shared_food_ids
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


def reported_soup(group_id: str) -> tuple[str, str]:
    """Bob shares soup in the group chat and Carol reports it as unsafe from its announcement: (food id, report id)."""
    said(BOB, SOUP, GROUP_CHAT)
    food_id = shared_food_ids()[-1]
    filed = pressed(CAROL, f"report:food:{food_id}:unsafe_food")
    assert "went to its group's moderators" in filed["text"], filed
    [report] = recorded("ReportFiled")
    return food_id, report["data"]["reportId"]


def pseudonym(person: TgUser, group_id: str) -> str:
    return identities.in_group(f"tg:{person.id}", group_id).pseudonym


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


# ---- moderation ---------------------------------------------------------------------------------------------------


def test_the_queue_shows_reports_privately_and_never_names_the_reporter():
    group_id = chat_group(ALICE, BOB, CAROL)
    _food_id, report_id = reported_soup(group_id)
    sent_before = said(ALICE, "/mod", GROUP_CHAT)
    assert "private chat" in sent_before["text"] and "Unsafe" not in sent_before["text"]

    queue = said(ALICE, "/mod")
    text = queue["text"]
    assert "Elm Street Neighbours" in text and "Unsafe food" in text
    assert pseudonym(BOB, group_id) in text and identities.handle_in("tg:222222", group_id) in text
    assert pseudonym(CAROL, group_id) not in text and identities.handle_in("tg:333333", group_id) not in text
    assert "upheld" not in text and "dismissed" not in text  # nor the reporter's record
    actions = {b["callback_data"] for b in buttons(queue)}
    assert {f"mod:{group_id}:{report_id}:{code}" for code in "dwrpxb"} == actions


def test_banning_from_the_queue_asks_first_then_bans_as_the_api_does_and_the_member_is_told(recorder):
    group_id = chat_group(ALICE, BOB, CAROL)
    _food_id, report_id = reported_soup(group_id)
    queue = said(ALICE, "/mod")
    ask = pressed(ALICE, action(queue, f"mod:{group_id}:{report_id}:b"))
    assert ask["method"] == "editMessageText" and f"Ban {pseudonym(BOB, group_id)}" in ask["text"]
    assert recorded("ModerationActionTaken") == []
    bob = pseudonym(BOB, group_id)

    confirmed = chat.button(ALICE, private_chat(ALICE), action(ask, f"mod:{group_id}:{report_id}:B"), message_id=9)
    done = telegram(confirmed).body
    assert done["method"] == "editMessageText" and f"{bob} is banned from Elm Street Neighbours" in done["text"]
    assert telegram(confirmed).body == done  # Telegram redelivers it: the first answer, nothing done twice
    assert action(done, "modq:") == f"modq:{group_id}"
    [taken] = recorded("ModerationActionTaken")
    assert (taken["data"]["action"], taken["data"]["reportId"], taken["actorId"]) == ("ban", report_id, "tg:111111")
    assert BanItem.get(*BanItem.key(group_id, "tg:222222")) is not None
    assert groups.membership(group_id, "tg:222222") is None
    assert reports.get(report_id).status == reports.UPHELD
    assert taken["data"]["penalty"] == "safety_violation"

    assert deliver("notifications", taken) == {"batchItemFailures": []}
    told = recorder.sent("sendMessage", chat_id=str(BOB.id))[-1]["text"]
    assert "banned you from the group" in told and "unsafe food" in told
    said(BOB, "/start", GROUP_CHAT)  # not back through the chat either (answered to Bob alone)
    assert "banned" in recorder.sent("sendMessage", chat_id=str(BOB.id))[-1]["text"]
    assert groups.membership(group_id, "tg:222222") is None
    again = pressed(ALICE, action(ask, f"mod:{group_id}:{report_id}:B"), message_id=10)  # a second, new press
    assert again["text"].startswith("⚠️") and len(recorded("ModerationActionTaken")) == 1
    assert "No open reports" in said(ALICE, "/mod")["text"]


def test_the_other_queue_buttons_dismiss_warn_restrict_and_remove_the_post():
    group_id = chat_group(ALICE, BOB, CAROL)
    food_id, report_id = reported_soup(group_id)
    assert "Report dismissed" in pressed(ALICE, f"mod:{group_id}:{report_id}:d")["text"]
    assert reports.get(report_id).status == reports.DISMISSED
    _, second = _another_report(group_id, "spam")
    assert "removed" in pressed(ALICE, f"mod:{group_id}:{second}:p")["text"]
    assert recorded("FoodWithdrawn")[-1]["data"]["foodId"] == food_id
    said(BOB, "/share Bread | 2 | 2h | 52.37,4.89 Hall", GROUP_CHAT)
    _, third = _another_report(group_id, "late", food_id=shared_food_ids()[-1])
    restricted = pressed(ALICE, f"mod:{group_id}:{third}:r")
    assert "may not post or claim" in restricted["text"]
    assert RestrictionItem.get(*RestrictionItem.key(group_id, "tg:222222")) is not None
    kinds = [e["data"]["action"] for e in recorded("ModerationActionTaken")]
    assert kinds == ["dismiss", "remove_post", "restrict"]


def _another_report(group_id: str, reason: str, food_id: str | None = None) -> tuple[str, str]:
    food_id = food_id or shared_food_ids()[-1]
    reports.file("tg:333333", "food", food_id, reason, None)
    return food_id, recorded("ReportFiled")[-1]["data"]["reportId"]


def test_typed_actions_name_a_report_or_a_member_by_handle_and_bad_ones_are_answered():
    group_id = chat_group(ALICE, BOB, CAROL)
    _food_id, report_id = reported_soup(group_id)
    bob = identities.handle_in("tg:222222", group_id)
    for typed, says in (("/mod frobnicate x", "dismiss, warn"), ("/mod ban", "/mod ban <reportId|handle>"),
                        (f"/mod restrict {bob}", "number of days"), (f"/mod restrict {bob} 999 Late", "365"), (f"/mod warn {bob}", "Say why"),
                        (f"/mod warn {bob} x", "at least 3"), (f"/mod warn {bob} " + "x" * 501, "500"),
                        ("/mod warn h-aaaaaaaaaaaaaaaaaaaa Rude", "not found"),
                        ("/mod dismiss 01ZZZZZZZZZZZZZZZZZZZZZZZZ", "not found"),
                        ("/mod warn " + "y" * 300 + " Rude", "not found"),
                        (f"/mod warn {identities.handle_in('tg:111111', group_id)} Myself", "may not")):
        answer = said(ALICE, typed)
        assert answer["text"].startswith("⚠️") and says in answer["text"], (typed, answer["text"])
    assert recorded("ModerationActionTaken") == []

    warned = said(ALICE, f"/mod warn {bob} Please be on time")
    assert f"{pseudonym(BOB, group_id)} is warned" in warned["text"]
    restricted = said(ALICE, f"/mod restrict {report_id} 3 Unsafe soup")
    assert "may not post or claim" in restricted["text"]
    until = RestrictionItem.get(*RestrictionItem.key(group_id, "tg:222222")).until
    assert clock.parse_iso(until) - clock.now() > timedelta(days=2, hours=23)
    name = pseudonym(BOB, group_id)
    removed = said(ALICE, f"/mod remove {bob} Repeated no-shows")
    assert f"{name} is removed from Elm Street Neighbours" in removed["text"]
    assert groups.membership(group_id, "tg:222222") is None
    actions = [(e["data"]["action"], e["data"]["reportId"]) for e in recorded("ModerationActionTaken")]
    assert actions == [("warn", None), ("restrict", report_id), ("remove_member", None)]
    reasons = [a.reason for a in moderation.actions_about("tg:222222")]
    assert sorted(reasons) == sorted(["Please be on time", "Unsafe soup", "Repeated no-shows"])


def test_members_cannot_see_the_queue_or_act_and_are_told_so():
    group_id = chat_group(ALICE, BOB, CAROL)
    _food_id, report_id = reported_soup(group_id)
    refused = said(BOB, "/mod")
    assert refused["text"].startswith("⚠️") and "moderator" in refused["text"] and "Unsafe" not in refused["text"]
    for code in "dbB":
        forged = pressed(CAROL, f"mod:{group_id}:{report_id}:{code}")
        assert "Only the group's admins and moderators" in forged["text"], forged
    assert "Only the group's admins and moderators" in pressed(CAROL, f"modq:{group_id}")["text"]
    assert "Only the group's admins and moderators" in said(CAROL, f"/mod ban {report_id} Spite")["text"]
    assert "no longer valid" in pressed(ALICE, f"mod:{group_id}:{report_id}:q")["text"]
    assert "no longer valid" in pressed(ALICE, "mod:x")["text"]
    assert recorded("ModerationActionTaken") == [] and reports.get(report_id).status == reports.OPEN
    assert groups.membership(group_id, "tg:222222") is not None


def test_moderation_and_invites_spend_the_api_routes_allowance(monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_DEFAULT", "1/60")
    get_settings.cache_clear()
    chat_group(ALICE)
    assert "No open reports" in said(ALICE, "/mod")["text"]
    assert "lately" in said(ALICE, "/mod")["text"]
    assert not ratelimit.check("tg:111111", "GET /groups/{groupId}/moderation").allowed
    assert not ratelimit.check("tg:111111", "GET /me/groups").allowed  # which group: GET /me/groups' read
    clock.advance(61)
    assert "Invite to" in said(ALICE, "/invite")["text"]
    assert "lately" in said(ALICE, "/invite")["text"] and len(recorded("InviteCreated")) == 1
    assert not ratelimit.check("tg:111111", "POST /groups/{groupId}/invites").allowed


# ---- Slack --------------------------------------------------------------------------------------------------------


def test_slack_admin_invites_and_bans_from_the_channel_with_answers_to_them_alone(recorder):
    slack(slash("U0ANNA", "start"))
    slack(slash("U0BEN", "start"))
    group_id = groups.group_ids_of("slack:T0001:U0ANNA")[0]
    made = slack(slash("U0ANNA", "invite 3"))
    assert made.body["response_type"] == "ephemeral"
    [invite] = [i for i, _ in groups.invites(group_id, "slack:T0001:U0ANNA", 10, None)[0]]
    assert f"/food join {invite.code}" in made.body["text"] and int(invite.max_uses) == 3

    reports.file_about_member("slack:T0001:U0ANNA", identities.handle_in("slack:T0001:U0BEN", group_id),
                              "harassment", None)
    report_id = recorded("ReportFiled")[-1]["data"]["reportId"]
    queue = slack(slash("U0ANNA", "mod"))
    assert queue.body["response_type"] == "ephemeral" and "Harassment" in queue.body["text"]
    values = [e["value"] for block in queue.body["blocks"][1:] for e in block["elements"]]
    assert f"mod:{group_id}:{report_id}:b" in values

    url = f"{recorder.url}/slack-response/ban"
    slack(block_action("U0ANNA", f"mod:{group_id}:{report_id}:b", url))
    asked = [c for c in recorder.calls if c.path == "/slack-response/ban"][-1].body
    assert asked["replace_original"] is True and "Ban " in asked["text"]
    slack(block_action("U0ANNA", f"mod:{group_id}:{report_id}:B", url))
    done = [c for c in recorder.calls if c.path == "/slack-response/ban"][-1].body
    assert "is banned from" in done["text"]
    assert BanItem.get(*BanItem.key(group_id, "slack:T0001:U0BEN")) is not None
    refused = slack(slash("U0BEN", "mod"))
    assert refused.body["text"].startswith("⚠️")


def test_help_lists_the_admin_commands():
    text = said(ALICE, "/help")["text"]
    for command in ("/invite", "/join", "/mod"):
        assert command in text
