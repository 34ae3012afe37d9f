"""The chat bots through the deployed webhooks, with the secrets the deploy step put in the stack.

The bots' secrets are `AWS::SecretsManager::Secret` resources tagged `foodshare:setting=<NAME>`
(the bots issue adds them to the template); local/stack.py fills them from the environment the
session stack was started with (tests/support/stack.py BOT_SECRETS) and passes the platforms' API
bases, pointed at a recorder. A template without those secrets deploys too, and its webhooks
answer 503: then these flows are skipped, and that 503 is what is checked.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.bots.chat import TgUser, message, signed_headers, slash
from tests.support.stack import BOT_SECRETS


def _configured(stack, setting: str) -> bool:
    return setting in stack.served.info.get("secrets", {})


def _telegram(stack, update: dict, secret: str | None):
    headers = {"x-telegram-bot-api-secret-token": secret} if secret else {}
    return stack.call("POST", "/webhooks/telegram", body=json.dumps(update).encode(), headers=headers)


def test_telegram_start_in_a_group_through_the_deployed_webhook(served_stack):
    chat = {"id": -1000000000000 - uuid.uuid4().int % 10**9, "title": "Stack Street", "type": "supergroup"}
    update = message(TgUser(uuid.uuid4().int % 10**9, "Ada"), chat, "/start")
    if not _configured(served_stack, "TELEGRAM_WEBHOOK_SECRET"):
        assert _telegram(served_stack, update, "anything").status == 503
        pytest.skip("the template has no Telegram secrets (the bots issue adds them)")
    assert _telegram(served_stack, update, "wrong").status == 401
    reply = _telegram(served_stack, update, BOT_SECRETS["TELEGRAM_WEBHOOK_SECRET"])
    assert reply.status == 200, reply
    assert "now a Foodshare group" in reply.body["text"]


def test_slack_slash_command_through_the_deployed_webhook(served_stack):
    body = slash(f"U{uuid.uuid4().hex[:8].upper()}", "help")
    if not _configured(served_stack, "SLACK_SIGNING_SECRET"):
        assert served_stack.call("POST", "/webhooks/slack", body=body, headers=signed_headers(body)).status == 503
        pytest.skip("the template has no Slack secrets (the bots issue adds them)")
    stamp = int(time.time())
    unsigned = signed_headers(body, secret="not-the-secret", timestamp=stamp)
    assert served_stack.call("POST", "/webhooks/slack", body=body, headers=unsigned).status == 401
    headers = signed_headers(body, secret=BOT_SECRETS["SLACK_SIGNING_SECRET"], timestamp=stamp)
    reply = served_stack.call("POST", "/webhooks/slack", body=body, headers=headers)
    assert reply.status == 200, reply
    assert "/browse" in reply.body["text"]
