"""Slack without one-line forms: `/food share` alone opens a modal; its submission is checked field by field.

The modal share -> announcement -> claim flow runs on the deployed template: tests/stack/test_bots.py.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from foodshare.data.models import FoodItem
from tests.bots.events import recorded
from tests.bots.chat import CHANNEL, retried, slack, slash, view_submission

ANNA, BEN = "U0ANNA", "U0BEN"
GOOD = {"title": "Lentil curry", "quantity": "4", "window": "2h", "place": "52.52,13.40 Café Kreuzberg",
        "labels": "#vegan !mustard"}


def posts() -> list[FoodItem]:
    return list(FoodItem.scan(FoodItem.pk.startswith("FOOD#") & (FoodItem.sk == "META")))


def open_form(recorder, user: str = ANNA, channel: dict = CHANNEL) -> dict:
    command = slash(user, "share", channel=channel)
    opened = slack(command)
    assert opened.status == 200 and opened.body is None  # nothing in the channel: the modal is the answer
    call = recorder.sent("views.open")[-1]
    assert call["trigger_id"] == dict(parse_qsl(command.decode()))["trigger_id"]  # the command's own trigger
    return call["view"]


def test_each_wrong_field_gets_its_own_message_and_nothing_is_shared(recorder):
    slack(slash(ANNA, "start"))
    view = open_form(recorder)
    answers = GOOD | {"title": "", "quantity": "twelve", "window": "soon", "place": "the park", "labels": "vegan"}
    refused = slack(view_submission(ANNA, view, answers))
    assert refused.status == 200 and refused.body["response_action"] == "errors"
    errors = refused.body["errors"]
    assert set(errors) == {"title", "quantity", "window", "place", "labels"}
    assert "Required" in errors["title"] and "1 to 10" in errors["quantity"]
    assert "pickup window" in errors["window"] and "lat,lng" in errors["place"] and "#tag" in errors["labels"]
    assert posts() == []

    fixed = slack(view_submission(ANNA, view, GOOD | {"labels": ""}))  # labels are optional
    assert fixed.body is None and len(posts()) == 1


def test_from_a_direct_message_with_several_groups_the_form_asks_which(recorder):
    other = {"id": "C0BOOKS", "name": "book-club"}
    slack(slash(ANNA, "start"))
    slack(slash(ANNA, "start", channel=other))
    view = open_form(recorder, channel={"id": "D0DM", "name": "directmessage"})
    assert view["blocks"][0]["block_id"] == "group"
    options = {o["text"]["text"]: o["value"] for o in view["blocks"][0]["element"]["options"]}
    assert set(options) == {"#food-sharing", "#book-club"}
    missing = slack(view_submission(ANNA, view, GOOD))
    assert "group" in missing.body["errors"]
    assert slack(view_submission(ANNA, view, GOOD | {"group": options["#book-club"]})).body is None
    post, = posts()
    assert post.group_id == options["#book-club"]


def test_someone_not_in_the_channels_group_is_told_before_and_in_the_form(recorder):
    slack(slash(ANNA, "start"))
    told = slack(slash(BEN, "share"))
    assert "start" in told.body["text"] and recorder.sent("views.open") == []
    view = open_form(recorder)  # Anna's form, submitted by someone who is not a member (e.g. left meanwhile)
    refused = slack(view_submission(BEN, view, GOOD))
    assert "start" in refused.body["errors"]["title"]
    assert posts() == []


def test_if_the_modal_cannot_open_the_one_line_form_is_explained(recorder):
    slack(slash(ANNA, "start"))
    recorder.script("views.open", (200, {"ok": False, "error": "expired_trigger_id"}, {}))
    reply = slack(slash(ANNA, "share"))
    assert reply.status == 200 and "Share in one line" in reply.body["text"]


def test_a_retried_form_submission_shares_once_and_a_retried_command_opens_one_form(recorder):
    slack(slash(ANNA, "start"))
    command = slash(ANNA, "share")
    slack(command)
    view = recorder.sent("views.open")[-1]["view"]
    again = retried(command)
    assert again.status == 200 and again.body is None and len(recorder.sent("views.open")) == 1

    submitted = view_submission(ANNA, view, GOOD)
    assert slack(submitted).body is None
    again = retried(submitted)
    assert again.status == 200 and again.body is None  # an empty 200: the modal closes, as the first time
    assert len(posts()) == 1 and len(recorded("FoodShared")) == 1


def test_a_superscript_digit_as_portions_is_a_field_error_not_a_500(recorder):
    # "²".isdigit() is True but int("²") raises ValueError: the form reads numbers as the chats do
    slack(slash(ANNA, "start"))
    view = open_form(recorder)
    refused = slack(view_submission(ANNA, view, GOOD | {"quantity": "²"}))
    assert refused.status == 200, refused.body
    assert "1 to 10" in refused.body["errors"]["quantity"]
    assert posts() == []


def test_a_place_label_over_100_characters_is_an_error_under_the_place(recorder):
    slack(slash(ANNA, "start"))
    view = open_form(recorder)
    refused = slack(view_submission(ANNA, view, GOOD | {"place": "52.52,13.40 " + "Café Kreuzberg " * 7}))
    assert refused.body["response_action"] == "errors" and set(refused.body["errors"]) == {"place"}
    assert "at most 100 characters" in refused.body["errors"]["place"]
    assert posts() == []
