"""Slack webhook: signed slash-command form bodies and block_actions payloads, and Slack's retries of them."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from foodshare import clock
from foodshare.data.models import AppliedRequestItem, ExchangeItem, ExportItem, FoodItem
from foodshare.domain import groups
from foodshare.settings import get_settings
from tests.bots.chat import CHANNEL, block_action, retried, signed_headers, slack, slash
from tests.bots.events import deliver, recorded
from tests.bots.test_redelivery import crash_after_commit, in_progress_record_expires

ANNA, BEN = "U0ANNA", "U0BEN"
SHARE = "share Lentil curry | 2 | 90m | 52.52,13.40 Kiez café | #vegan"


def test_signature_must_match_the_raw_body_and_be_fresh():
    body = slash(ANNA, "start")
    assert slack(body, headers={"content-type": "application/x-www-form-urlencoded"}).status == 401
    assert slack(body, headers=signed_headers(body, secret="wrong")).status == 401
    assert slack(body + b"&x=1", headers=signed_headers(body)).status == 401
    stale = signed_headers(body, timestamp=int(clock.now().timestamp()) - 301)
    assert slack(body, headers=stale).status == 401
    assert groups.group_ids_of(f"slack:T0001:{ANNA}") == []
    # API Gateway may base64-encode the form body: the signature is over the bytes Slack sent.
    reply = slack(body, base64_body=True)
    assert reply.status == 200 and reply.body["response_type"] == "in_channel"
    assert groups.membership(groups.group_ids_of(f"slack:T0001:{ANNA}")[0], f"slack:T0001:{ANNA}").role == "admin"


def test_a_replayed_request_older_than_five_minutes_is_refused():
    body = slash(ANNA, "help")
    headers = signed_headers(body)
    assert slack(body, headers=headers).status == 200
    clock.advance(301)
    assert slack(body, headers=headers).status == 401


def test_unconfigured_app_answers_503(monkeypatch):
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    get_settings.cache_clear()
    body = slash(ANNA, "start")
    assert slack(body).status == 503
    assert slack(body, headers={"content-type": "application/x-www-form-urlencoded"}).status == 503


def test_help_unknown_subcommands_and_missing_fields():
    assert "/browse" in slack(slash(ANNA, "")).body["text"]
    unknown = slack(slash(ANNA, "lasagne please"))
    assert unknown.status == 200 and "I don't know /lasagne" in unknown.body["text"]
    assert unknown.body["response_type"] == "ephemeral"
    body = b"command=%2Ffood&text=help&team_id=T0001"
    reply = slack(body)
    assert reply.status == 400 and reply.body["error"]["fields"] == {"user_id": "required", "channel_id": "required"}
    no_group = slack(slash(ANNA, "share", channel={"id": "D0DM", "name": "directmessage"}))
    assert "not in a group yet" in no_group.body["text"]  # said before any form opens


def test_share_in_channel_then_claim_with_a_button_follows_up_through_response_url(recorder):
    slack(slash(ANNA, "start"))
    slack(slash(BEN, "start"))
    shared = slack(slash(ANNA, SHARE))
    assert shared.body["response_type"] == "ephemeral" and "Lentil curry is shared" in shared.body["text"]
    assert deliver("announcements", *recorded("FoodShared")) == {"batchItemFailures": []}
    announced, = recorder.sent("chat.postMessage")
    assert announced["channel"] == CHANNEL["id"] and "Lentil curry" in announced["text"]
    button = announced["blocks"][1]["elements"][0]
    assert button["type"] == "button" and button["value"].startswith("claim:")

    response_url = f"{recorder.url}/slack-response/1"
    pressed = slack(block_action(BEN, button["value"], response_url))
    assert pressed.status == 200 and pressed.body is None
    follow_up = [c for c in recorder.calls if c.path == "/slack-response/1"][-1].body
    assert "You claimed Lentil curry" in follow_up["text"] and follow_up["replace_original"] is False
    confirm = follow_up["blocks"][1]["elements"][0]["value"]
    exchange = ExchangeItem.get(*ExchangeItem.key(confirm.split(":")[1]))
    assert (exchange.claimer_id, exchange.status) == (f"slack:T0001:{BEN}", "claimed")

    slack(block_action(BEN, confirm, response_url))
    confirmed = [c for c in recorder.calls if c.path == "/slack-response/1"][-1].body
    assert confirmed["replace_original"] is True and "Waiting for" in confirmed["text"]
    done = slack(slash(ANNA, f"confirm {exchange.exchange_id}"))
    assert "Exchange complete" in done.body["text"] and len(done.body["blocks"][1]["elements"]) == 5
    credits = slack(slash(ANNA, "credits"))
    assert "Credits: 4" in credits.body["text"]


def test_direct_message_share_needs_a_group():
    reply = slack(slash(ANNA, SHARE, channel={"id": "D0DM", "name": "directmessage"}))
    assert "not in a group yet" in reply.body["text"]


def test_interaction_payloads_no_json_parser_accepts_are_400_never_500():
    """Signed, so only the payload decides: the JSON API's strict parser, not json.loads."""
    for payload in ('{"type": "block_actions", "actions": NaN}', '{"type": ' + "[" * 100_000 + "]" * 100_000 + "}",
                    '{"type": "block_actions", "n": 1' + "0" * 5000 + "}", "not json"):
        reply = slack(urlencode({"payload": payload}).encode())
        assert reply.status == 400, payload[:40]
        assert reply.body["error"]["fields"] == {"payload": "invalid JSON"}


# ---- Slack's retries: the same body again, when it got no 200 within 3 s --------------------


def posts_of(slack_user: str) -> list[FoodItem]:
    return [i for i in FoodItem.scan(FoodItem.sk == "META") if i.sharer_id == f"slack:T0001:{slack_user}"]


def test_a_retried_slash_command_share_is_applied_once_and_announced_once(recorder):
    slack(slash(ANNA, "start"))
    body = slash(ANNA, SHARE)
    first = slack(body)
    assert first.status == 200 and "Lentil curry is shared" in first.body["text"]
    for num in (1, 2, 3):  # Slack retries up to three times, each newly signed
        again = retried(body, num)
        assert again.status == 200 and again.body == first.body  # the first answer again
    assert len(posts_of(ANNA)) == 1 and len(recorded("FoodShared")) == 1
    assert deliver("announcements", *recorded("FoodShared")) == {"batchItemFailures": []}
    assert len(recorder.sent("chat.postMessage")) == 1


def test_a_retry_after_the_first_run_died_past_its_commit_gets_the_first_post(monkeypatch):
    """The share records its request key in its own transaction, as a Telegram update's does."""
    slack(slash(ANNA, "start"))
    body = slash(ANNA, SHARE)
    with monkeypatch.context() as patch:
        crash_after_commit(patch)
        assert slack(body).status == 500
    running = retried(body)
    assert running.status == 200 and running.body is None  # while the first still counts as running: a plain ack
    in_progress_record_expires("slack")
    again = retried(body, 2)
    assert again.status == 200 and "Lentil curry is shared" in again.body["text"]
    post, = posts_of(ANNA)
    assert len(recorded("FoodShared")) == 1
    trigger = dict(parse_qsl(body.decode()))["trigger_id"]
    assert AppliedRequestItem.get(*AppliedRequestItem.key(f"slack-trigger:{trigger}")).result_id == post.food_id


def test_a_retried_export_makes_one_export():
    body = slash(ANNA, "export")
    first = slack(body)
    assert "preparing an export" in first.body["text"]
    assert retried(body).body == first.body
    mine = list(ExportItem.query(f"USER#slack:T0001:{ANNA}", ExportItem.sk.startswith("EXPORT#")))
    assert len(mine) == 1 and len(recorded("ExportRequested")) == 1


def _announced_claim(recorder) -> str:
    """Anna and Ben in the channel's group, Anna's post announced there: its Claim button's value."""
    slack(slash(ANNA, "start"))
    slack(slash(BEN, "start"))
    slack(slash(ANNA, SHARE))
    deliver("announcements", *recorded("FoodShared"))
    return recorder.sent("chat.postMessage")[0]["blocks"][1]["elements"][0]["value"]


def test_a_retried_button_press_claims_once_and_follows_up_once(recorder):
    claim = _announced_claim(recorder)
    response_url = f"{recorder.url}/slack-response/2"
    press = block_action(BEN, claim, response_url)
    assert slack(press).status == 200
    again = retried(press)
    assert again.status == 200 and again.body is None  # acknowledged, nothing done again
    follow_ups = [c.body for c in recorder.calls if c.path == "/slack-response/2"]
    assert len(follow_ups) == 1 and "You claimed Lentil curry" in follow_ups[0]["text"]  # no "already claimed"
    assert len(recorded("FoodClaimed")) == 1
    assert [e.claimer_id for e in ExchangeItem.scan() if getattr(e, "claimer_id", None)] == [f"slack:T0001:{BEN}"]


def test_the_same_command_typed_twice_shares_twice():
    """Each is a new user action with its own trigger_id: not a retry."""
    slack(slash(ANNA, "start"))
    first, second = slash(ANNA, SHARE), slash(ANNA, SHARE)
    assert first != second
    assert "is shared" in slack(first).body["text"] and "is shared" in slack(second).body["text"]
    assert len(posts_of(ANNA)) == 2 and len(recorded("FoodShared")) == 2


def test_signed_payloads_of_another_shape_are_400s_naming_the_field_never_500s():
    """Slack's payloads are signed, but a field of another type (a string where an object belongs, a list of
    strings for actions, a response_url that is no URL) must be answered 400 naming it, not crash the handler."""
    import json

    base = {"type": "block_actions", "user": {"id": "U0ANNA", "team_id": "T0001"}, "team": {"id": "T0001"},
            "channel": CHANNEL, "response_url": "https://hooks.slack.invalid/x", "actions": [{"value": "claim:x"}],
            "trigger_id": "t-shape"}
    form = {"type": "view_submission", "view": {"callback_id": "share", "state": {"values": {}}}}
    for change, field in (({"actions": ["claim:x"]}, "payload.actions[0]"), ({"user": "U1"}, "payload.user"),
                          ({"channel": "C1"}, "payload.channel"), ({"response_url": "not a url"}, "payload.response_url"),
                          ({"team": "T1"}, "payload.team"), ({"user": {"id": 7}}, "payload.user.id"),
                          ({"actions": [{"value": ["claim:x"]}]}, "payload.actions[0].value"),
                          ({"type": "view_submission", "view": "x"}, "payload.view"),
                          (form | {"view": form["view"] | {"state": {"values": {"title": "x"}}}},
                           "payload.view.state.values.title"),
                          (form | {"view": form["view"] | {"state": {"values": {"title": {"value": {"value": 3}}}}}},
                           "payload.view.state.values.title.value.value"),
                          (form | {"view": form["view"] | {"private_metadata": {"channel": "C1"}}},
                           "payload.view.private_metadata")):
        reply = slack(urlencode({"payload": json.dumps(base | change | {"trigger_id": f"t-{field}"})}).encode())
        assert reply.status == 400, (change, reply.status, reply.body)
        assert field in reply.body["error"]["fields"], (change, reply.body)
    reply = slack(urlencode({"payload": json.dumps(["block_actions"])}).encode())
    assert reply.status == 400 and "payload" in reply.body["error"]["fields"], reply.body
    odd_form = {"type": "view_submission", "trigger_id": "t-form",  # our metadata of another shape: the DM
                "view": {"callback_id": "share", "private_metadata": "[1]", "state": {"values": {}}}}
    reply = slack(urlencode({"payload": json.dumps(base | odd_form)}).encode())
    assert reply.status == 200 and reply.body["response_action"] == "errors", reply.body


def test_a_timestamp_header_of_superscript_digits_is_401_not_500():
    body = slash("U0ANNA", "help")
    headers = signed_headers(body) | {"x-slack-request-timestamp": "¹⁷⁹⁶²⁷⁸⁵⁰⁰"}  # isdigit(), yet int() refuses it
    assert slack(body, headers=headers).status == 401


def test_a_timestamp_header_of_thousands_of_digits_is_401_not_500():
    """Found by an audit: unsigned, from anyone, a timestamp of ASCII digits longer than int()'s 4300-digit limit
    made int() raise: a 500 (an error logged with a traceback per request) before the signature was checked."""
    body = slash("U0ANNA", "help")
    for stamp in ("9" * 5000, "0" * 4299 + str(int(clock.now().timestamp()))):
        reply = slack(body, headers=signed_headers(body) | {"x-slack-request-timestamp": stamp})
        assert reply.status == 401 and reply.error_code == "unauthorized", reply.body


def test_before_the_snapshot_the_interaction_schema_is_compiled():
    """Its check runs on every button press and form: compiled before a SnapStart snapshot, not in the first one."""
    from foodshare.api import webhook_bodies
    from foodshare.bots import slack as slack_adapter

    webhook_bodies._validator.cache_clear()
    slack_adapter.prepare()
    assert webhook_bodies._validator.cache_info().currsize == 1


def test_food_mine_answers_the_person_alone_with_the_exchanges_buttons(recorder):
    """A Slack claim's reply is ephemeral: `/food mine` is the way back to the exchange's buttons."""
    claim = _announced_claim(recorder)
    slack(block_action(BEN, claim, f"{recorder.url}/slack-response/9"))
    mine = slack(slash(BEN, "mine"))
    assert mine.body["response_type"] == "ephemeral" and "Lentil curry: you claimed it" in mine.body["text"]
    values = [e["value"] for block in mine.body["blocks"][1:] for e in block["elements"]]
    assert [v.split(":")[0] for v in values] == ["confirm", "cancel"]


def test_a_body_over_a_mebibyte_is_413_before_its_signature_is_computed(monkeypatch):
    """Found by an audit: the webhooks took any body API Gateway lets through (10 MB): an unsigned one from anyone
    was base64-decoded and hashed whole before the 401 (0.15 s and tens of MB a request). A body over 1 MiB (no
    slash command or interaction comes near it) is now 413, before the signature is checked."""
    from foodshare.bots import slack as adapter

    def never(*_):
        raise AssertionError("the signature of a body that large was computed")

    body = slash(ANNA, "help") + b"&filler=" + b"x" * (1024 * 1024)
    monkeypatch.setattr(adapter, "verified", never)
    for base64_body in (False, True):
        reply = slack(body, base64_body=base64_body)
        assert reply.status == 413 and reply.error_code == "payload_too_large", reply.body
