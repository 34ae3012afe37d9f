"""`make telegram-webhook STAGE=…` and `make slack-manifest STAGE=…`: connect the deployed bots to their platforms.

Both read the stack's outputs (CloudFormation DescribeStacks on `Foodshare-<stage>`):
the webhook URLs and the ARNs of the bot secrets (cdk/bots.py). `telegram-webhook`
reads the bot token and webhook secret from Secrets Manager, calls `setWebhook` with
the URL, the secret token and the update types the bot handles, then prints
`getWebhookInfo`. `slack-manifest` writes the Slack app manifest (slash command
`/food`, interactivity URL, bot scopes) to paste into "Create New App → From a manifest".

`--endpoint-url` (or AWS_ENDPOINT_URL, which boto3 reads itself) points the AWS calls
at an emulator; TELEGRAM_API_BASE points the Bot API calls elsewhere (a recorder).
No secret is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TELEGRAM_API_BASE = "https://api.telegram.org"
# Update types the webhook acts on: messages (commands, answers, members leaving, group
# migration), inline-button presses, and the bot's own membership (added to / removed
# from a group). Telegram sends only these; others are not even delivered.
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
SLACK_COMMAND = "/food"
# chat:write posts and edits the bot's messages (notifications, announcements);
# chat:write.public lets it announce in channels it was not invited to; commands gives /food.
SLACK_BOT_SCOPES = ("commands", "chat:write", "chat:write.public")


def stack_name(stage: str) -> str:
    return f"Foodshare-{stage}"  # cdk/app.py


def stack_outputs(stage: str, endpoint_url: str | None = None, cloudformation: Any = None) -> dict[str, str]:
    """OutputKey -> OutputValue of the stage's deployed stack."""
    import boto3

    client = cloudformation or boto3.client("cloudformation", endpoint_url=endpoint_url)
    (stack,) = client.describe_stacks(StackName=stack_name(stage))["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def _output(outputs: dict[str, str], key: str, stage: str) -> str:
    if key not in outputs:
        raise SystemExit(f"stack {stack_name(stage)} has no output {key}: deploy this version first (make deploy)")
    return outputs[key]


def secret_value(arn: str, endpoint_url: str | None = None, secretsmanager: Any = None) -> str:
    import boto3

    client = secretsmanager or boto3.client("secretsmanager", endpoint_url=endpoint_url)
    return client.get_secret_value(SecretId=arn)["SecretString"]


def bot_api(base: str, token: str, method: str, payload: dict | None = None) -> dict:
    """One Bot API call; Telegram's answer ({"ok", "result" | "description"})."""
    request = urllib.request.Request(
        f"{base.rstrip('/')}/bot{token}/{method}",
        data=json.dumps(payload or {}).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:  # Telegram explains refusals in the body
        return json.loads(exc.read() or b"{}") or {"ok": False, "description": f"HTTP {exc.code}"}


def register_telegram(stage: str, endpoint_url: str | None = None, api_base: str | None = None) -> dict:
    """setWebhook for the stage's deployed URL; returns getWebhookInfo's result."""
    outputs = stack_outputs(stage, endpoint_url)
    url = _output(outputs, "TelegramWebhookUrl", stage)
    token = secret_value(_output(outputs, "TelegramBotTokenArn", stage), endpoint_url)
    secret = secret_value(_output(outputs, "TelegramWebhookSecretArn", stage), endpoint_url)
    base = api_base or os.environ.get("TELEGRAM_API_BASE") or TELEGRAM_API_BASE
    answer = bot_api(base, token, "setWebhook",
                     {"url": url, "secret_token": secret, "allowed_updates": list(ALLOWED_UPDATES)})
    if not answer.get("ok"):
        raise SystemExit(f"setWebhook refused: {answer.get('description', answer)} "
                         "(is the bot token in the secret? docs/bots.md)")
    info = bot_api(base, token, "getWebhookInfo")
    if not info.get("ok"):
        raise SystemExit(f"getWebhookInfo refused: {info.get('description', info)}")
    return info["result"]


def slack_manifest(stage: str, endpoint_url: str | None = None, name: str = "Foodshare") -> dict:
    """The Slack app manifest for the stage's deployed webhook."""
    url = _output(stack_outputs(stage, endpoint_url), "SlackWebhookUrl", stage)
    display = name if stage == "prod" else f"{name} ({stage})"
    return {
        "display_information": {"name": display, "description": "Share and claim food in your neighbourhood"},
        "features": {
            "bot_user": {"display_name": display, "always_online": True},
            "slash_commands": [{
                "command": SLACK_COMMAND,
                "url": url,
                "description": "Share, find and claim food",
                "usage_hint": "share | browse | help",
                "should_escape": False,
            }],
        },
        "oauth_config": {"scopes": {"bot": list(SLACK_BOT_SCOPES)}},
        "settings": {
            "interactivity": {"is_enabled": True, "request_url": url},
            "org_deploy_enabled": False,
            "socket_mode_enabled": False,
            "token_rotation_enabled": False,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("telegram-webhook", "slack-manifest"))
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--endpoint-url", default=None, help="AWS endpoint (an emulator); default AWS_ENDPOINT_URL")
    parser.add_argument("--out", default=str(ROOT / "slack" / "manifest.yml"), help="slack-manifest: where to write")
    args = parser.parse_args(argv)
    if args.command == "telegram-webhook":
        info = register_telegram(args.stage, args.endpoint_url)
        print(f"Telegram webhook of {stack_name(args.stage)} registered. getWebhookInfo:")
        print(json.dumps(info, indent=2, sort_keys=True))
        return 0
    import yaml

    manifest = slack_manifest(args.stage, args.endpoint_url)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(f"# Slack app manifest for {stack_name(args.stage)}: make slack-manifest STAGE={args.stage}\n"
                   + yaml.safe_dump(manifest, sort_keys=False))
    print(f"wrote {out}: create the app from it at https://api.slack.com/apps (docs/bots.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
