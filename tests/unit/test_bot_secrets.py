"""Bot secrets as deployed: `<NAME>_SECRET_ARN` read from Secrets Manager through Powertools, cached per container."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities import parameters
from foodshare.bots import secrets
from foodshare.settings import get_settings

from tests.infra.aws_calls import invoking, recording


@pytest.fixture(autouse=True)
def fresh_caches():
    parameters.clear_caches()
    get_settings.cache_clear()
    yield
    parameters.clear_caches()
    get_settings.cache_clear()


def _secret(value: str) -> str:
    import boto3

    return boto3.client("secretsmanager", region_name="eu-west-1").create_secret(
        Name="foodshare/test/telegram-bot-token", SecretString=value
    )["ARN"]


def test_a_secret_arn_is_read_once_then_served_from_the_cache(monkeypatch):
    arn = _secret("123456:from-secrets-manager")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN_SECRET_ARN", arn)
    ref = get_settings().telegram_bot_token
    assert ref.configured and ref.value is None
    with recording() as calls, invoking("telegram_webhook"):
        assert secrets.resolve(ref) == "123456:from-secrets-manager"
        assert secrets.resolve(ref) == "123456:from-secrets-manager"
    assert [(c.action, c.resource) for c in calls] == [("secretsmanager:GetSecretValue", arn)]


def test_a_rotated_secret_is_picked_up_once_the_cache_expires(monkeypatch):
    import boto3

    arn = _secret("old")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN_SECRET_ARN", arn)
    ref = get_settings().telegram_bot_token
    assert secrets.resolve(ref) == "old"
    boto3.client("secretsmanager", region_name="eu-west-1").put_secret_value(SecretId=arn, SecretString="new")
    assert secrets.resolve(ref) == "old"  # within SECRET_MAX_AGE_SECONDS
    parameters.clear_caches()  # what expiry does after SECRET_MAX_AGE_SECONDS (300 s)
    assert secrets.resolve(ref) == "new"


def test_without_value_or_arn_the_secret_is_not_configured(monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN_SECRET_ARN", raising=False)
    ref = get_settings().telegram_bot_token
    assert not ref.configured and secrets.resolve(ref) is None


def test_a_blank_secret_is_not_configured():
    """Secrets Manager cannot hold "", so a blank secret is how a bot is switched off (503)."""
    from foodshare.bots import secrets
    from foodshare.settings import SecretRef

    assert secrets.resolve(SecretRef(value=" ", secret_arn=None, parameter=None)) is None
    assert secrets.resolve(SecretRef(value="tok", secret_arn=None, parameter=None)) == "tok"
