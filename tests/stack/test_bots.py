"""The chat bots on the deployed template: signed webhooks in, the platforms' APIs out (a recorder).

The bots' secrets are `AWS::SecretsManager::Secret` resources tagged `foodshare:setting=<NAME>`;
local/stack.py fills them from the environment the session stack was started with
(tests/support/stack.py BOT_SECRETS) and passes the platforms' API bases, pointed at the session's
recorder (tests/bots/recorder.py) running in this process. Everything between is the template's:
API Gateway to the webhook functions, their reads of the secrets, the relay to EventBridge, the
rules to the notifications and announcements queues, their event source mappings and consumers.
A template without those secrets deploys too, and its webhooks answer 503: then the flows are
skipped, and that 503 is what is checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import pytest
import yaml

from local.serve import ROOT

from tests.bots.chat import TgUser, action, block_action, bot_status, button, buttons, message, private_chat, service
from tests.bots.chat import signed_headers, slash, view_submission
from tests.bots.events import bus_event
from tests.support.stack import BOT_SECRETS, eventually

CONSUMER_TIMEOUT = 90  # seconds for a change to reach a chat through the bus and a consumer's queue


def _seen(calls):
    """What the recorder got, once `calls` finds it (the consumers work asynchronously)."""
    return eventually(calls, CONSUMER_TIMEOUT, every=0.25)


def _configured(stack, setting: str) -> bool:
    return setting in stack.served.info.get("secrets", {})


def _telegram(stack, update: dict, secret: str | None = BOT_SECRETS["TELEGRAM_WEBHOOK_SECRET"]):
    headers = {"x-telegram-bot-api-secret-token": secret} if secret else {}
    return stack.call("POST", "/webhooks/telegram", body=json.dumps(update).encode(), headers=headers)


def _slack(stack, body: bytes, secret: str = BOT_SECRETS["SLACK_SIGNING_SECRET"]):
    headers = signed_headers(body, secret=secret, timestamp=int(time.time()))
    return stack.call("POST", "/webhooks/slack", body=body, headers=headers)


def _ok(reply):
    assert reply.status == 200, reply
    return reply.body


def _one(found: list, what: str):
    assert len(found) == 1, f"{what}: {found}"
    return found[0]


def _linked_group(stack, chat_key: str) -> str:
    """The group a chat's /start created. No HTTP route lists a person's groups, so this one read goes
    to the stack's table (the chat link, CHAT#<chatKey> / GROUP)."""
    item = stack.client("dynamodb").get_item(TableName=stack.outputs["TableName"], ConsistentRead=True,
                                             Key={"pk": {"S": f"CHAT#{chat_key}"}, "sk": {"S": "GROUP"}})
    return item["Item"]["group_id"]["S"]


def _item(stack, pk: str, sk: str) -> dict:
    """One item of the stack's table. Chat users have no API token (the API refuses their ids as a subject), so what
    the API would answer them is read here."""
    return stack.client("dynamodb").get_item(TableName=stack.outputs["TableName"], ConsistentRead=True,
                                             Key={"pk": {"S": pk}, "sk": {"S": sk}})["Item"]


def _post_status(stack, food_id: str) -> str:
    return _item(stack, f"FOOD#{food_id}", "META")["status"]["S"]


def _reputation(stack, user: str) -> dict:
    """The person's score and ratings, and the credits their claims hold (their profile)."""
    profile = _item(stack, f"USER#{user}", "PROFILE")
    return {name: profile[name]["N"] for name in ("score", "ratings_received", "rating_stars_total", "credits_held")}


def _rated(stack, user: str) -> dict | None:
    """`user`'s reputation once a rating reached it (the reputation consumer), else None."""
    reputation = _reputation(stack, user)
    return reputation if reputation["ratings_received"] != "0" else None


def _telegram_id() -> int:
    return 10**9 + uuid.uuid4().int % 10**9


def test_telegram_start_in_a_group_through_the_deployed_webhook(served_stack):
    chat = {"id": -1000000000000 - uuid.uuid4().int % 10**9, "title": "Stack Street", "type": "supergroup"}
    update = message(TgUser(_telegram_id(), "Ada"), chat, "/start")
    if not _configured(served_stack, "TELEGRAM_WEBHOOK_SECRET"):
        assert _telegram(served_stack, update, "anything").status == 503
        pytest.skip("the template has no Telegram secrets (the bots issue adds them)")
    assert _telegram(served_stack, update, "wrong").status == 401
    reply = _telegram(served_stack, update)
    assert reply.status == 200, reply
    assert "now a Foodshare group" in reply.body["text"]


def test_slack_slash_command_through_the_deployed_webhook(served_stack):
    body = slash(f"U{uuid.uuid4().hex[:8].upper()}", "help")
    if not _configured(served_stack, "SLACK_SIGNING_SECRET"):
        assert served_stack.call("POST", "/webhooks/slack", body=body, headers=signed_headers(body)).status == 503
        pytest.skip("the template has no Slack secrets (the bots issue adds them)")
    assert _slack(served_stack, body, secret="not-the-secret").status == 401
    reply = _slack(served_stack, body)
    assert reply.status == 200, reply
    assert "/browse" in reply.body["text"]


def _queue(stack, name: str) -> str:
    sqs = stack.client("sqs")
    return next(u for u in sqs.list_queues()["QueueUrls"] if name in u.lower() and "dlq" not in u.lower())


def _drained(stack, queue: str) -> bool:
    attributes = stack.client("sqs").get_queue_attributes(
        QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
    return not any(int(v) for v in attributes["Attributes"].values())


def _recorded_events(stack, food_id: str, exchange_id: str) -> list[dict]:
    """The post's and its exchange's domain events as the stack's event store holds them (the envelopes
    the relay published)."""
    pages = stack.client("dynamodb").get_paginator("scan").paginate(
        TableName=stack.outputs["TableName"],
        FilterExpression="begins_with(pk, :log) AND (contains(detail, :food) OR contains(detail, :exchange))",
        ExpressionAttributeValues={":log": {"S": "EVENTLOG#"}, ":food": {"S": food_id},
                                   ":exchange": {"S": exchange_id}})
    return [json.loads(item["detail"]["S"]) for page in pages for item in page["Items"]]


def test_telegram_group_flow_announce_claim_edit_confirm_rate_migrate(served_stack):
    """Bot added to a group -> /start -> food shared in the chat is announced there ->
    a member presses Claim on it -> the announcement is edited -> both confirm -> rate; then
    redeliveries (the same updates, the same bus events) change nothing, and after the group becomes
    a supergroup its next post is announced in the new chat."""
    stack, recorder = served_stack, served_stack.recorder
    if not _configured(stack, "TELEGRAM_WEBHOOK_SECRET"):
        pytest.skip("the template has no Telegram secrets (the bots issue adds them)")
    alice, bob = TgUser(_telegram_id(), "Alice"), TgUser(_telegram_id(), "Bob")
    sharer, claimer = f"tg:{alice.id}", f"tg:{bob.id}"
    group_chat = {"id": -(uuid.uuid4().int % 10**9 + 1), "title": "Stack Street", "type": "group"}
    chat_id = str(group_chat["id"])

    added = _ok(_telegram(stack, bot_status(alice, group_chat, "left", "member")))
    assert added["method"] == "sendMessage" and "/start" in added["text"]
    assert "now a Foodshare group" in _ok(_telegram(stack, message(alice, group_chat, "/start")))["text"]
    assert "Welcome to the group" in _ok(_telegram(stack, message(bob, group_chat, "/start")))["text"]
    _ok(_telegram(stack, message(alice, private_chat(alice), "/start")))  # Alice's notices go to her private chat
    group_id = _linked_group(stack, f"tg:{chat_id}")

    shared = _ok(_telegram(stack, message(alice, group_chat, "/share Sourdough loaves | 3 | 2h | 52.52,13.405 "
                                                             "Bakery door | #vegetarian !gluten")))
    assert "Sourdough loaves is shared" in shared["text"] and "Bakery door" not in shared["text"]
    announced = _seen(lambda: [m for m in recorder.sent("sendMessage", chat_id=chat_id) if buttons(m)])
    announcement = _one(announced, "one announcement")
    for shown in ("Sourdough loaves: 3 portions", "Pickup ", "#vegetarian", "contains gluten",
                  "Shared by "):  # title, window, labels, the sharer's pseudonym
        assert shown in announcement["text"], announcement
    # A group chat never sees the place: neither its label nor coordinates (only the active claimer does).
    assert "Bakery door" not in announcement["text"] and "52.52" not in announcement["text"]
    sent_with = next(c.path for c in recorder.calls if c.body is announcement)
    assert sent_with == f"/bot{BOT_SECRETS['TELEGRAM_BOT_TOKEN']}/sendMessage"  # the token from the secret
    food_id = action(announcement, "claim:").removeprefix("claim:")
    message_id = recorder.answered("sendMessage", chat_id=chat_id)[0]["result"]["message_id"]

    press = button(bob, group_chat, action(announcement, "claim:"), message_id=message_id)
    claimed = _ok(_telegram(stack, press))
    assert claimed["method"] == "sendMessage" and "You claimed Sourdough loaves" in claimed["text"]
    assert _one(recorder.sent("answerCallbackQuery", callback_query_id=press["callback_query"]["id"]),
                "the button's answer")["text"] == "Claimed!"
    assert _post_status(stack, food_id) == "claimed"
    edited = _seen(lambda: recorder.sent("editMessageText", chat_id=chat_id))
    assert _one(edited, "the claim's edit")["message_id"] == message_id and "Claimed" in edited[0]["text"]
    notice = _one(_seen(lambda: recorder.sent("sendMessage", chat_id=str(alice.id))),
                  "the sharer's notice")
    assert "claimed your Sourdough loaves" in notice["text"]

    confirmed = _ok(_telegram(stack, button(bob, group_chat, action(claimed, "confirm:"), message_id=message_id + 1)))
    assert confirmed["method"] == "editMessageText" and "Waiting for" in confirmed["text"]
    done = _ok(_telegram(stack, button(alice, private_chat(alice), action(notice, "confirm:"), message_id=77)))
    assert "Exchange complete" in done["text"]
    five_stars = next(b["callback_data"] for b in buttons(done) if b["callback_data"].endswith(":5"))
    rate = button(alice, private_chat(alice), five_stars, message_id=78)
    rated = _ok(_telegram(stack, rate))
    assert "You rated" in rated["text"]
    assert _post_status(stack, food_id) == "completed"
    assert _reputation(stack, claimer)["credits_held"] == "0"
    # The announcement shows the pickup; Bob (no private chat) hears of Alice's confirmation and the
    # completion in the group chat, Alice of Bob's confirmation in hers.
    edits = _seen(lambda: (e := recorder.sent("editMessageText", chat_id=chat_id))[1:] and e)
    assert [e["message_id"] for e in edits] == [message_id, message_id] and "Picked up" in edits[1]["text"]
    in_group = _seen(lambda: (m := recorder.sent("sendMessage", chat_id=chat_id))[2:] and m)
    to_bob = [m["text"] for m in in_group[1:]]  # in either order: two events, each delivered on its own
    assert len(to_bob) == 2 and {"confirmed the pickup", "is complete"} == {
        phrase for phrase in ("confirmed the pickup", "is complete") for text in to_bob if phrase in text}, in_group
    to_alice = _seen(lambda: (m := recorder.sent("sendMessage", chat_id=str(alice.id)))[1:] and m)
    assert "confirmed the pickup" in to_alice[1]["text"]
    # the reputation consumer
    reputation = eventually(lambda: _rated(stack, claimer), CONSUMER_TIMEOUT)
    assert reputation and (reputation["ratings_received"], reputation["rating_stars_total"]) == ("1", "5"), reputation

    # Redeliveries: Telegram sends updates again; the queues deliver every event of the post again.
    queues = [_queue(stack, name) for name in ("announcements", "notifications", "reputation")]
    assert eventually(lambda: all(_drained(stack, q) for q in queues), CONSUMER_TIMEOUT), "deliveries left over"
    before, reputations = len(recorder.calls), [_reputation(stack, who) for who in (claimer, sharer)]
    assert _ok(_telegram(stack, press)) == claimed and _ok(_telegram(stack, rate)) == rated
    events = _recorded_events(stack, food_id, exchange_id=action(claimed, "confirm:").split(":", 1)[1])
    assert {e["eventType"] for e in events} >= {"FoodShared", "FoodClaimed", "PickupConfirmed", "ExchangeCompleted",
                                                  "RatingSubmitted"}
    for queue in queues:
        for event in events:
            stack.client("sqs").send_message(QueueUrl=queue, MessageBody=json.dumps(bus_event(event)))
    assert eventually(lambda: all(_drained(stack, q) for q in queues), CONSUMER_TIMEOUT), "redeliveries left over"
    assert recorder.calls[before:] == []
    assert [_reputation(stack, who) for who in (claimer, sharer)] == reputations

    # The group becomes a supergroup (a new chat id): Telegram says so in both chats; the link follows.
    supergroup = {"id": -1000000000000 - uuid.uuid4().int % 10**9, "title": "Stack Street", "type": "supergroup"}
    assert _ok(_telegram(stack, service(alice, group_chat, migrate_to_chat_id=supergroup["id"]))) == {}
    assert _ok(_telegram(stack, service(alice, supergroup, migrate_from_chat_id=group_chat["id"]))) == {}
    assert _linked_group(stack, f"tg:{supergroup['id']}") == group_id
    # Its announcement meets Telegram's flood control once: the consumer waits `retry_after`, then sends.
    flood = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
             "parameters": {"retry_after": 1}}
    recorder.script("sendMessage", (429, flood, {}))
    again = _ok(_telegram(stack, message(alice, supergroup, "/share Apples | 2 | 2h | 52.52,13.405 Bakery door")))
    assert "Apples is shared" in again["text"]

    def sent_there() -> list:
        return [c for c in recorder.calls if c.method == "sendMessage" and c.body["chat_id"] == str(supergroup["id"])]

    to_supergroup = _seen(lambda: [c for c in sent_there() if c.answer.get("ok")])
    attempts = sent_there()
    assert [c.answer["ok"] for c in attempts] == [False, True] and attempts[0].body == attempts[1].body, attempts
    assert attempts[1].at - attempts[0].at >= 1  # it waited out retry_after
    assert "Apples" in _one(to_supergroup, "the announcement in the supergroup").body["text"]
    announcements = [m for m in recorder.sent("sendMessage", chat_id=chat_id)
                     if any(b["callback_data"].startswith("claim:") for b in buttons(m))]
    assert announcements == [announcement]  # nothing more in the old chat
    assert "already a member" in _ok(_telegram(stack, message(bob, supergroup, "/start")))["text"]


def test_slack_modal_share_announcement_claim(served_stack):
    """`/food share` opens the modal (views.open), its submission shares, the channel gets the
    announcement (chat.postMessage), a member's Claim press answers on response_url and the
    announcement is updated in place (chat.update)."""
    stack, recorder = served_stack, served_stack.recorder
    if not _configured(stack, "SLACK_SIGNING_SECRET"):
        pytest.skip("the template has no Slack secrets (the bots issue adds them)")
    run = uuid.uuid4().hex[:8].upper()
    anna, ben = f"U{run}A", f"U{run}B"
    channel = {"id": f"C{run}", "name": f"food-{run.lower()}"}
    assert "now a Foodshare group" in _ok(_slack(stack, slash(anna, "start", channel=channel)))["text"]
    assert "Welcome to the group" in _ok(_slack(stack, slash(ben, "start", channel=channel)))["text"]

    assert _ok(_slack(stack, slash(anna, "share", channel=channel))) is None  # the modal is the answer
    opened = [c for c in recorder.calls if c.method == "views.open"
              and json.loads(c.body["view"]["private_metadata"])["channel"] == channel["id"]]
    call = _one(opened, "the share modal")
    assert call.headers["authorization"] == f"Bearer {BOT_SECRETS['SLACK_BOT_TOKEN']}"  # read from the secret
    view = call.body["view"]
    assert [b["block_id"] for b in view["blocks"]] == ["title", "quantity", "window", "place", "labels"]
    answers = {"title": "Lentil curry", "quantity": "4", "window": "2h", "place": "52.52,13.40 Café Kreuzberg",
               "labels": "#vegan !mustard"}
    refused = _ok(_slack(stack, view_submission(anna, view, answers | {"quantity": "twelve"})))
    assert refused["response_action"] == "errors" and set(refused["errors"]) == {"quantity"}
    assert _ok(_slack(stack, view_submission(anna, view, answers))) is None  # an empty 200 closes the modal

    posted = _seen(lambda: recorder.sent("chat.postMessage", channel=channel["id"]))
    announcement = _one(posted, "one announcement")
    assert "Lentil curry: 4 portions" in announcement["text"] and "contains mustard" in announcement["text"]
    ts = recorder.answered("chat.postMessage", channel=channel["id"])[0]["ts"]
    claim = next(b["value"] for block in announcement["blocks"] if block["type"] == "actions"
                 for b in block["elements"] if b["value"].startswith("claim:"))
    food_id = claim.split(":", 1)[1]
    post = _item(stack, f"FOOD#{food_id}", "META")
    assert (post["title"]["S"], post["quantity"]["N"], post["dietary_tags"], post["allergens"],
            post["pickup_label"]["S"]) == ("Lentil curry", "4", {"L": [{"S": "vegan"}]}, {"L": [{"S": "mustard"}]},
                                           "Café Kreuzberg")

    follow_up = f"response-{run}"
    assert _ok(_slack(stack, block_action(ben, claim, f"{recorder.url}/{follow_up}", channel=channel))) is None
    answer = _one(recorder.sent(follow_up), "the response_url follow-up")
    assert "You claimed Lentil curry" in answer["text"] and any(
        b["value"].startswith("confirm:") for block in answer.get("blocks", []) if block["type"] == "actions"
        for b in block["elements"])
    assert _post_status(stack, food_id) == "claimed"
    updated = _seen(lambda: recorder.sent("chat.update", channel=channel["id"]))
    assert _one(updated, "the claim's update")["ts"] == ts and "Claimed" in updated[0]["text"]
    notice = _seen(lambda: recorder.sent("chat.postMessage", channel=anna))
    assert "claimed your Lentil curry" in _one(notice, "the sharer's notice")["text"]
    assert len(recorder.sent("chat.postMessage", channel=channel["id"])) == 1  # edited, never a second message


def test_the_registration_commands_read_the_deployed_stack(served_stack, tmp_path):
    """`make telegram-webhook` and `make slack-manifest` pointed at the emulator: the webhook URLs from the
    deployed stack's outputs, the token and webhook secret from its secret store, setWebhook on the recorder."""
    stack, recorder = served_stack, served_stack.recorder
    if not _configured(stack, "TELEGRAM_WEBHOOK_SECRET"):
        pytest.skip("the template has no Telegram secrets (the bots issue adds them)")
    env = {**os.environ, **stack.served.client_environment(), "TELEGRAM_API_BASE": recorder.url}

    def command(*args: str) -> str:  # as the Makefile runs it, with ENDPOINT_URL set
        done = subprocess.run([sys.executable, "-m", "scripts.bots", *args, "--stage", "dev",
                               "--endpoint-url", stack.aws_endpoint], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    printed = command("telegram-webhook")
    registered = [c for c in recorder.calls if c.method == "setWebhook"][-1]
    assert registered.path == f"/bot{BOT_SECRETS['TELEGRAM_BOT_TOKEN']}/setWebhook"
    assert registered.body == {"url": stack.outputs["TelegramWebhookUrl"],
                               "secret_token": BOT_SECRETS["TELEGRAM_WEBHOOK_SECRET"],
                               "allowed_updates": ["message", "callback_query", "my_chat_member"]}
    assert stack.outputs["TelegramWebhookUrl"].endswith("/webhooks/telegram") and "getWebhookInfo" in printed
    assert not any(secret in printed for secret in BOT_SECRETS.values())  # nothing secret printed

    command("slack-manifest", "--out", str(tmp_path / "manifest.yml"))
    manifest = yaml.safe_load((tmp_path / "manifest.yml").read_text())
    url = stack.outputs["SlackWebhookUrl"]
    assert url.endswith("/webhooks/slack")
    assert manifest["features"]["slash_commands"][0]["url"] == url
    assert manifest["settings"]["interactivity"]["request_url"] == url
    assert {"commands", "chat:write"} <= set(manifest["oauth_config"]["scopes"]["bot"])


def test_no_bot_secret_reaches_the_functions_logs(served_stack):
    """What the bot functions logged on the emulator (CloudWatch Logs, /aws/lambda/…) holds no secret value."""
    stack = served_stack
    if not _configured(stack, "TELEGRAM_WEBHOOK_SECRET"):
        pytest.skip("the template has no Telegram secrets (the bots issue adds them)")
    _ok(_telegram(stack, message(TgUser(_telegram_id(), "Ada"), {"id": _telegram_id(), "type": "private"}, "/start")))
    _ok(_slack(stack, slash(f"U{uuid.uuid4().hex[:8].upper()}", "help")))
    logs = stack.client("logs")
    groups = [g["logGroupName"] for page in logs.get_paginator("describe_log_groups").paginate(
        logGroupNamePrefix="/aws/lambda/") for g in page["logGroups"]]
    bots = [g for g in groups if any(name in g for name in ("telegram", "slack", "notifications", "announcements"))]
    messages = [e["message"] for g in bots for page in logs.get_paginator("filter_log_events").paginate(logGroupName=g)
                for e in page["events"]]
    assert messages, groups
    for setting, value in BOT_SECRETS.items():
        assert not [m for m in messages if value in m], f"{setting} in the logs"
