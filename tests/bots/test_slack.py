"""Slack webhook: signed slash-command form bodies and block_actions payloads."""

from __future__ import annotations

from urllib.parse import urlencode

from foodshare import clock
from foodshare.data.models import ExchangeItem
from foodshare.domain import groups
from foodshare.settings import get_settings
from tests.bots.chat import CHANNEL, block_action, signed_headers, slack, slash
from tests.bots.events import deliver, recorded

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
