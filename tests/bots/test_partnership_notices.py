"""Partnership notices: a proposal told to the invited group's admins (with Accept and Decline), its answer and an
end told to the other side's admins, in their private chats, once, naming groups and never a person.

Through the real path: the change commits (the API route, a button, or the domain call a chat user has no route
for), the relay puts its event on the bus, the catalog's rules route it to the notifications queue, the consumer
sends; the recorder stands for the Bot API and Slack."""

from __future__ import annotations

from foodshare.bots import rendering
from foodshare.data.models import PartnershipItem
from foodshare.domain import groups, partnerships
from tests.bots import chat
from tests.bots.chat import GROUP_CHAT, TEAM, TgUser, block_action, message, private_chat, slack, slash, telegram
from tests.bots.events import deliver, recorded
from tests.events.conftest import backbone  # noqa: F401  (the fixture: relay, bus rules, queues, consumers)
from tests.support import flows
from tests.support.api import call

ALICE = TgUser(111111, "Alice")  # admin of the Telegram group chat's group
BOB = TgUser(222222, "Bob")  # a member of it, with a private chat: never an admin's notice
ANNA = "U0ANNA"  # admin of the Slack channel's group
ANNA_ID = f"slack:{TEAM}:{ANNA}"
OAK_LANE = {"id": -1009876543210, "title": "Oak Lane", "type": "supergroup"}


def _status(partnership_id: str) -> str:
    return PartnershipItem.get(*PartnershipItem.key(partnership_id)).status


def elm_street(alice_private: bool = True) -> str:
    """The Telegram group chat's group, "Elm Street Neighbours": Alice its admin, Bob a member (both /start'ed the
    bot privately unless said otherwise)."""
    for person in (ALICE, BOB):
        assert telegram(message(person, GROUP_CHAT, "/start")).status == 200
    assert telegram(message(BOB, private_chat(BOB), "/start")).status == 200
    if alice_private:
        assert telegram(message(ALICE, private_chat(ALICE), "/start")).status == 200
    return groups.group_ids_of(f"tg:{ALICE.id}")[0]


def food_sharing() -> str:
    """The Slack channel's group, "#food-sharing", Anna its admin (Slack DMs need no /start)."""
    assert slack(slash(ANNA, "start")).status == 200
    return groups.group_ids_of(ANNA_ID)[0]


def told(recorder, since: int = 0) -> list[dict]:
    """Every message sent (Telegram sendMessage, Slack chat.postMessage) after the first `since` calls."""
    return [c.body for c in recorder.calls[since:] if c.method in ("sendMessage", "chat.postMessage")]


def test_the_invited_groups_admins_hear_of_a_proposal_once_with_buttons_to_answer_it(recorder, backbone):  # noqa: F811
    elm = elm_street()
    flows.user("pat", name="Patricia Jones")
    next_door = flows.group("pat", "Next Door")
    backbone.deliver()
    before = len(recorder.calls)
    proposed = call("POST", f"/groups/{next_door}/partnerships", user="pat",
                    json={"targetGroupId": elm, "terms": {"maxDistanceKm": 5, "minReputation": 60,
                                                          "maxClaimsPerMemberPerWeek": 2}})
    assert proposed.status == 201, proposed
    partnership_id = proposed.body["partnershipId"]
    backbone.deliver()

    notice, = told(recorder, before)  # Alice, the admin; not Bob, a member; not Pat, who proposed (no chat anyway)
    assert notice["chat_id"] == str(ALICE.id)
    text = notice["text"]
    assert "Next Door" in text and "Elm Street Neighbours" in text
    assert "5 km" in text and "60" in text and "2 claims" in text
    assert "Patricia" not in text and rendering.shown_name("pat", next_door) not in text  # groups, never a person
    accept, decline = (chat.action(notice, "accept:"), chat.action(notice, "decline:"))  # each within 64 bytes

    again = len(recorder.calls)  # the bus delivers the same event again: nobody is told twice
    assert deliver("notifications", *recorded("PartnershipProposed")) == {"batchItemFailures": []}
    assert told(recorder, again) == []

    assert _status(partnership_id) == "pending"
    pressed = telegram(chat.button(ALICE, private_chat(ALICE), accept)).body
    assert pressed["method"] == "editMessageText" and "accepted" in pressed["text"] and "Next Door" in pressed["text"]
    assert not chat.buttons(pressed)  # the answer replaces the notice, its buttons gone
    assert _status(partnership_id) == "active"
    listed = call("GET", f"/groups/{next_door}/partnerships", user="pat").body["partnerships"]
    assert [(p["partnerGroupName"], p["status"]) for p in listed] == [("Elm Street Neighbours", "active")]

    answered = len(recorder.calls)
    backbone.deliver()  # PartnershipAccepted: Pat, an API user, has no chat to be told in
    assert told(recorder, answered) == []
    late = telegram(chat.button(ALICE, private_chat(ALICE), decline)).body  # the other button, pressed after
    assert "active" in late["text"] and _status(partnership_id) == "active"


def test_the_proposing_admins_hear_the_answer_and_each_side_hears_of_an_end(recorder, backbone):  # noqa: F811
    elm, channel = elm_street(), food_sharing()
    backbone.deliver()

    def proposal() -> tuple[str, dict]:
        """Anna proposes, as POST /groups/{groupId}/partnerships does (a chat user has no API token); Alice's
        notice."""
        at = len(recorder.calls)
        partnership_id = partnerships.propose(channel, ANNA_ID, elm, partnerships.Terms()).partnership_id
        backbone.deliver()
        notice, = told(recorder, at)
        assert notice["chat_id"] == str(ALICE.id) and "#food-sharing" in notice["text"]
        return partnership_id, notice

    def to_anna(change) -> str:
        at = len(recorder.calls)
        change()
        backbone.deliver()
        message_, = told(recorder, at)
        assert message_["channel"] == ANNA  # a DM from the app
        return message_["text"]

    first, notice = proposal()
    said = to_anna(lambda: telegram(chat.button(ALICE, private_chat(ALICE), chat.action(notice, "decline:"))))
    assert _status(first) == "declined"
    assert "Elm Street Neighbours declined" in said and "#food-sharing" in said and "Alice" not in said

    second, notice = proposal()
    said = to_anna(lambda: telegram(chat.button(ALICE, private_chat(ALICE), chat.action(notice, "accept:"))))
    assert _status(second) == "active"
    assert "Elm Street Neighbours accepted" in said and "#food-sharing" in said

    at = len(recorder.calls)
    partnerships.end(second, ANNA_ID)  # as DELETE /partnerships/{id}
    backbone.deliver()
    ended, = told(recorder, at)
    assert ended["chat_id"] == str(ALICE.id)
    assert "#food-sharing ended its partnership with your group Elm Street Neighbours" in ended["text"]

    third, _ = proposal()
    at = len(recorder.calls)
    partnerships.end(third, ANNA_ID)  # the proposer withdraws it before an answer
    backbone.deliver()
    withdrawn, = told(recorder, at)
    assert withdrawn["chat_id"] == str(ALICE.id) and "#food-sharing withdrew its partnership proposal" in \
        withdrawn["text"]

    fourth, notice = proposal()
    telegram(chat.button(ALICE, private_chat(ALICE), chat.action(notice, "accept:")))
    backbone.deliver()
    said = to_anna(lambda: partnerships.end(fourth, f"tg:{ALICE.id}"))  # the invited side ends it this time
    assert "Elm Street Neighbours ended its partnership with your group #food-sharing" in said


def test_only_the_invited_groups_admins_may_answer_through_the_buttons(recorder, backbone):  # noqa: F811
    elm, channel = elm_street(), food_sharing()
    partnership_id = partnerships.propose(channel, ANNA_ID, elm, partnerships.Terms()).partnership_id
    backbone.deliver()
    notice, = [m for m in told(recorder) if any(b["callback_data"].startswith("accept:") for b in chat.buttons(m))]
    accept = chat.action(notice, "accept:")

    in_group = telegram(chat.button(ALICE, GROUP_CHAT, accept)).body  # forwarded or forged into the group chat
    assert in_group["text"] == "Answer partnership proposals in our private chat with me."
    assert _status(partnership_id) == "pending"
    refused = telegram(chat.button(BOB, private_chat(BOB), accept)).body  # a member, with a forged press
    assert "⚠️" in refused["text"] and _status(partnership_id) == "pending"
    assert slack(block_action(ANNA, accept, f"{recorder.url}/answer")).status == 200  # the proposer's own press
    answer, = recorder.sent("answer")
    assert "⚠️" in answer["text"] and _status(partnership_id) == "pending"
    assert recorded("PartnershipAccepted") == []


def test_nobody_is_told_in_a_group_chat_nor_while_restricted_nor_of_their_own_act_nor_a_stale_proposal(
        recorder, backbone):  # noqa: F811
    elm = elm_street(alice_private=False)  # Alice has no private chat with the bot
    channel = food_sharing()
    backbone.deliver()
    at = len(recorder.calls)
    partnerships.propose(channel, ANNA_ID, elm, partnerships.Terms())
    backbone.deliver()
    assert told(recorder, at) == []  # a proposal is the admins' business: never said in the group chat

    telegram(message(ALICE, private_chat(ALICE), "/start"))
    telegram(message(ALICE, private_chat(ALICE), "/privacy"))
    telegram(chat.button(ALICE, private_chat(ALICE), "privacy:restricted:on"))
    flows.user("pat")
    other = flows.group("pat", "Next Door")
    at = len(recorder.calls)
    assert call("POST", f"/groups/{other}/partnerships", user="pat", json={"targetGroupId": elm}).status == 201
    backbone.deliver()
    assert told(recorder, at) == []  # restricted processing: no notifications

    telegram(chat.button(ALICE, private_chat(ALICE), "privacy:restricted:off"))
    telegram(message(ALICE, OAK_LANE, "/start"))  # Alice is admin of Oak Lane too
    oak = next(g for g in groups.group_ids_of(f"tg:{ALICE.id}") if g != elm)
    at = len(recorder.calls)
    partnerships.propose(oak, f"tg:{ALICE.id}", elm, partnerships.Terms())  # to a group she is admin of herself
    backbone.deliver()
    assert told(recorder, at) == []  # whoever acted is not told

    third = flows.group("pat", "Third Street")
    with_answer = call("POST", f"/groups/{third}/partnerships", user="pat", json={"targetGroupId": elm}).body
    partnerships.decline(with_answer["partnershipId"], f"tg:{ALICE.id}")  # answered before the notice went out
    at = len(recorder.calls)
    backbone.deliver()
    assert told(recorder, at) == []  # no proposal to answer any more; Pat has no chat to hear the decline in
