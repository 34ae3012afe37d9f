"""Bot secrets and settings wired by the stack: from the synthesized template alone (issue 13's acceptance)."""

from __future__ import annotations

import json

import pytest
from foodshare.catalog import BOT_SECRETS

from cdk.bots import PARAMETERS, SETTING_TAG, secret_name
from tests.infra.cfn import actions_of, catalog_entries, function, of_type, props, role_statements


def _secrets(synth) -> dict[str, str]:
    """setting -> logical id, found by the tag the local stack and the scripts use."""
    found = {}
    for lid, secret in of_type(synth, "AWS::SecretsManager::Secret").items():
        tags = {t["Key"]: t["Value"] for t in props(secret).get("Tags", [])}
        if SETTING_TAG in tags:  # the identity key (cdk/privacy.py) is no bot setting: test_iam.py
            found[tags[SETTING_TAG]] = lid
    return found


def test_one_secret_per_bot_setting_named_and_tagged_by_stage(synth):
    secrets = _secrets(synth)
    assert set(secrets) == set(BOT_SECRETS)
    for setting, lid in secrets.items():
        p = props(synth.resources[lid])
        assert p["Name"] == secret_name(synth.config.name, setting)
        assert "SecretString" not in p, "no value in the template"
        assert p["GenerateSecretString"] == {"ExcludePunctuation": True, "PasswordLength": 64}


def test_nothing_secret_in_the_template(prod):
    text = json.dumps(prod.template.to_json())
    assert '"SecretString"' not in text and '"SecretStringTemplate"' not in text and "xoxb-" not in text
    for name in BOT_SECRETS:
        assert f'"{name}":' not in text, f"{name} given as a plain environment value"


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_each_function_gets_the_arns_and_read_grant_of_exactly_its_secrets(request, stage):
    synth = request.getfixturevalue(stage)
    secrets = _secrets(synth)
    (identity_key,) = set(of_type(synth, "AWS::SecretsManager::Secret")) - set(secrets.values())
    for name, entry in catalog_entries(synth).items():
        variables = function(synth, name)["Environment"]["Variables"]
        given = {k.removesuffix("_SECRET_ARN"): v for k, v in variables.items() if k.endswith("_SECRET_ARN")
                 and k != "IDENTITY_KEY_SECRET_ARN"}
        assert given == {s: {"Ref": secrets[s]} for s in entry.secrets}, name
        reads = [s for s in role_statements(synth, name) if any(a.startswith("secretsmanager:") for a in actions_of(s))
                 and s["Resource"] != {"Ref": identity_key}]
        if entry.secrets:
            (statement,) = reads
            assert actions_of(statement) == ["secretsmanager:GetSecretValue"], name
            resources = statement["Resource"]
            resources = resources if isinstance(resources, list) else [resources]
            assert sorted(r["Ref"] for r in resources) == sorted(secrets[s] for s in entry.secrets), name
        else:
            assert not reads, name
    bots = {n for n, e in catalog_entries(synth).items() if e.secrets}
    assert {"telegram_webhook", "slack_webhook", "notifications"} <= bots


def test_platform_settings_are_parameters_with_defaults_passed_to_the_platforms_callers(prod):
    parameters = prod.template.to_json()["Parameters"]
    for platform, entries in PARAMETERS.items():
        for name, variable, default, _ in entries:
            assert parameters[name]["Type"] == "String" and parameters[name]["Default"] == default
            for fn_name, entry in catalog_entries(prod).items():
                variables = function(prod, fn_name)["Environment"]["Variables"]
                if platform in entry.chats:
                    assert variables[variable] == {"Ref": name}, (fn_name, variable)
                else:
                    assert variable not in variables, (fn_name, variable)
    assert parameters["TelegramApiBase"]["Default"] == "https://api.telegram.org"
    assert parameters["SlackApiBase"]["Default"] == "https://slack.com/api"
    assert parameters["TelegramBotUsername"]["Default"] == ""


def test_outputs_name_the_webhook_urls_and_secret_arns(prod):
    outputs = prod.template.to_json()["Outputs"]
    assert {"ApiUrl", "TelegramWebhookUrl", "SlackWebhookUrl"} <= set(outputs)
    assert outputs["TelegramWebhookUrl"]["Value"]["Fn::Join"][1][-1] == "/webhooks/telegram"
    secrets = _secrets(prod)
    for setting in BOT_SECRETS:
        assert outputs[f"{setting.title().replace('_', '')}Arn"]["Value"] == {"Ref": secrets[setting]}
