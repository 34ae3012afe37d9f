"""Test fixtures: moto for AWS (in-process), the real Redis when it answers, API Gateway v2 events."""

from __future__ import annotations

import os

# Settings are read from the environment once per process: set them before any import.
os.environ.update(
    {
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "TABLE_NAME": "foodshare-test",
        "EVENT_BUS_NAME": "foodshare-test",
        "EXPORT_BUCKET": "foodshare-test-exports",
        "STAGE": "test",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Foodshare",
        "POWERTOOLS_SERVICE_NAME": "foodshare",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        # Tests not about rate limits must not meet them; tests/cache sets its own limits.
        "RATE_LIMIT_POSTING": "100000/60",
        "RATE_LIMIT_CLAIMS": "100000/60",
        "RATE_LIMIT_DISCOVERY": "100000/60",
        "RATE_LIMIT_DEFAULT": "100000/60",
        "RATE_LIMIT_REPORTS": "100000/60",
        # Likewise the fairness rules' per-trust-level limits; tests/safety sets the real ones.
        "CLAIM_LIMITS": "1000/1000/1000/1000/1000",
        "DAILY_CREDIT_LIMITS": "1000/1000/1000/1000/1000",
    }
)

import pytest  # noqa: E402

from tests.support.aws import aws_environment  # noqa: E402
from tests.support.redis_server import redis_url_for_tests  # noqa: E402
from tests.support.stack import served_stack  # noqa: E402,F401  (one served stack per session: tests/stack, tests/contract)

REDIS_URL = redis_url_for_tests()
os.environ["REDIS_URL"] = REDIS_URL


def pytest_report_header(config):
    return f"redis: {REDIS_URL}"


@pytest.fixture(autouse=True)
def aws():
    """A fresh moto account per test with the table created."""
    with aws_environment():
        yield


@pytest.fixture(autouse=True)
def clean_redis():
    from foodshare.redis_client import get_client

    client = get_client()
    if client is not None:
        client.flushdb()
    yield client


@pytest.fixture(autouse=True)
def reset_clock():
    from foodshare import clock

    clock.reset()
    yield
    clock.reset()


def _record_aws(monkeypatch, keep) -> list:
    from botocore.client import BaseClient

    found: list = []
    real = BaseClient._make_api_call

    def recorded(client, operation, params):
        answer: dict = {}
        try:
            answer = real(client, operation, params)
            return answer
        finally:  # a refused call (a failed condition) was sent too
            found.append(keep(operation, answer))

    monkeypatch.setattr(BaseClient, "_make_api_call", recorded)
    return found


@pytest.fixture
def aws_operations(monkeypatch) -> list[str]:
    """The names of the AWS operations sent while the test runs, in order (any service, any thread)."""
    return _record_aws(monkeypatch, lambda operation, answer: operation)


@pytest.fixture
def aws_answers(monkeypatch) -> list[tuple[str, dict]]:
    """(operation, answer) of each AWS call sent while the test runs, in order (a refused call's answer: {})."""
    return _record_aws(monkeypatch, lambda operation, answer: (operation, answer))
