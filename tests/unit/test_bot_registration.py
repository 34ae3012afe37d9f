"""`make telegram-webhook` and `make slack-manifest` against a deployed stack on moto and a recording Bot API."""

from __future__ import annotations

import json

import pytest
import yaml

from scripts import bots
from tests.bots.recorder import Recorder

TOKEN = "123456:REAL-token"
WEBHOOK_SECRET = "Generated-by-Secrets-Manager_0123456789"
API = "https://abc123.execute-api.eu-west-1.amazonaws.com"


@pytest.fixture
def recorder():
    server = Recorder().start()
    yield server
    server.stop()


@pytest.fixture
def deployed():
    """A `Foodshare-prod` stack whose outputs are those the CDK stack declares, and its secrets."""
    import boto3

    secrets = boto3.client("secretsmanager", region_name="eu-west-1")
    outputs = {
        "ApiUrl": API,
        "TelegramWebhookUrl": f"{API}/webhooks/telegram",
        "SlackWebhookUrl": f"{API}/webhooks/slack",
        "TelegramBotTokenArn": secrets.create_secret(Name="foodshare/prod/telegram-bot-token",
                                                     SecretString=TOKEN)["ARN"],
        "TelegramWebhookSecretArn": secrets.create_secret(Name="foodshare/prod/telegram-webhook-secret",
                                                          SecretString=WEBHOOK_SECRET)["ARN"],
    }
    template = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    boto3.client("cloudformation", region_name="eu-west-1").create_stack(
        StackName="Foodshare-prod", TemplateBody=json.dumps(template)
    )
    return outputs


def test_stack_outputs_are_read_from_the_deployed_stack(deployed):
    assert bots.stack_outputs("prod") == deployed


def test_telegram_webhook_registers_url_secret_and_update_types_then_prints_the_info(deployed, recorder, monkeypatch,
                                                                                  capsys):
    monkeypatch.setenv("TELEGRAM_API_BASE", recorder.url)
    info = {"url": deployed["TelegramWebhookUrl"], "has_custom_certificate": False, "pending_update_count": 0,
            "allowed_updates": list(bots.ALLOWED_UPDATES)}
    recorder.script("getWebhookInfo", (200, {"ok": True, "result": info}, {}))

    assert bots.main(["telegram-webhook", "--stage", "prod"]) == 0

    (call, info_call) = recorder.calls
    assert call.path == f"/bot{TOKEN}/setWebhook" and info_call.path == f"/bot{TOKEN}/getWebhookInfo"
    assert call.body == {
        "url": f"{API}/webhooks/telegram",
        "secret_token": WEBHOOK_SECRET,
        "allowed_updates": ["message", "callback_query", "my_chat_member"],
    }
    printed = capsys.readouterr().out
    assert json.loads(printed.split("getWebhookInfo:\n", 1)[1]) == info
    assert TOKEN not in printed and WEBHOOK_SECRET not in printed


def test_a_refused_registration_says_why_and_fails(deployed, recorder, monkeypatch):
    monkeypatch.setenv("TELEGRAM_API_BASE", recorder.url)
    recorder.script("setWebhook", (401, {"ok": False, "error_code": 401, "description": "Unauthorized"}, {}))
    with pytest.raises(SystemExit, match="setWebhook refused: Unauthorized"):
        bots.main(["telegram-webhook", "--stage", "prod"])
    assert [c.method for c in recorder.calls] == ["setWebhook"]


def test_a_stack_without_the_bot_outputs_is_named(recorder, monkeypatch):
    import boto3

    template = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}, "Outputs": {"ApiUrl": {"Value": API}}}
    boto3.client("cloudformation", region_name="eu-west-1").create_stack(
        StackName="Foodshare-dev", TemplateBody=json.dumps(template)
    )
    with pytest.raises(SystemExit, match="Foodshare-dev has no output TelegramWebhookUrl"):
        bots.main(["telegram-webhook", "--stage", "dev"])
    assert recorder.calls == []


def test_slack_manifest_declares_the_command_interactivity_and_scopes(deployed, tmp_path):
    out = tmp_path / "slack" / "manifest.yml"
    assert bots.main(["slack-manifest", "--stage", "prod", "--out", str(out)]) == 0
    manifest = yaml.safe_load(out.read_text())
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/food" and command["url"] == f"{API}/webhooks/slack"
    assert manifest["settings"]["interactivity"] == {"is_enabled": True, "request_url": f"{API}/webhooks/slack"}
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {"commands", "chat:write", "chat:write.public"}
    assert manifest["display_information"]["name"] == "Foodshare"
