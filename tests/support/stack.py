"""The served stack for tests: the synthesized `dev` template deployed on the emulator, once per session.

    def test_something(served_stack):             # session-scoped, started on first use
        reply = served_stack.call("GET", "/food", user="sam", query={"lat": 52.5, "lng": 13.4})
        assert reply.status == 200
        served_stack.api_url                       # http://127.0.0.1:<port>
        served_stack.aws_endpoint                  # http://127.0.0.1:<port>: boto3 / aws --endpoint-url
        served_stack.token("sam")                  # a bearer token its JWT authorizer accepts
        served_stack.client("sqs")                 # a boto3 client on the emulator
        served_stack.outputs["TableName"]          # the stack's outputs

`start_stack(template=..., env=...)` serves another template for one test module (e.g. a
modified copy of the dev template): a context manager, stopped at the end.

Ports are free ones picked at start (STACK_PORT / STACK_EMULATOR_PORT pin them: see _port); Redis is the
tests' (REDIS_URL). The test process's own moto mock (tests/conftest.py) only intercepts AWS
hostnames, not the emulator's endpoint.
"""

from __future__ import annotations

import json as jsonlib
import os
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from local.jwt_keys import issue_token
from local.serve import ROOT, ServedStack, free_port
from tests.support.api import Reply


# Tests that talk to the served stack import these two into their conftest: they replace the
# suite's autouse fixtures of the same names (tests/conftest.py).
@pytest.fixture(autouse=True)
def aws():
    """No in-process moto: these tests talk to the served stack over HTTP."""
    yield


@pytest.fixture(autouse=True)
def clean_redis():
    """No per-test flush: the served stack's cache and rate limits live on."""
    yield None


class StackHandle:
    """What a test needs of a running stack."""

    def __init__(self, served: ServedStack):
        self.served = served
        self.api_url = served.api_url
        self.aws_endpoint = served.aws_endpoint
        self.region = served.info["region"]
        self.outputs: dict[str, str] = served.info["outputs"]
        self._tokens: dict[str, str] = {}

    def token(self, user: str) -> str:
        if user not in self._tokens:
            self._tokens[user] = issue_token(user)
        return self._tokens[user]

    def client(self, service: str):
        import boto3

        return boto3.client(service, endpoint_url=self.aws_endpoint, region_name=self.region,
                            aws_access_key_id="test", aws_secret_access_key="test")

    def call(self, method: str, path: str, *, user: str | None = None, json: Any = None, query: dict | None = None,
             headers: dict | None = None, body: bytes | None = None, timeout: float = 60) -> Reply:
        data = body if body is not None else (jsonlib.dumps(json).encode() if json is not None else None)
        url = self.api_url + path + (f"?{urlencode(query)}" if query else "")
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("content-type", "application/json")
        if user:
            request.add_header("authorization", f"Bearer {self.token(user)}")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, raw, reply_headers = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as error:
            status, raw, reply_headers = error.code, error.read(), dict(error.headers)
        try:
            parsed = jsonlib.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return Reply(status, parsed, {k.lower(): v for k, v in reply_headers.items()})


def eventually(check, timeout: float, every: float = 1.0):
    """Call `check` until it returns something truthy or `timeout` seconds passed; its last value.

    For what the stack does asynchronously (the relay, the bus, the consumers' queues, schedules)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def _port(pinned: str) -> int:
    """A free port: the one `pinned` names when it is free, else the next free one 2, 4, ... above it
    (a shared machine's range: the session stack holds the pinned pair while a module starts its own),
    or any free port when nothing is pinned."""
    import socket

    if not os.environ.get(pinned):
        return free_port()
    for port in range(int(os.environ[pinned]), int(os.environ[pinned]) + 40, 2):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError(f"no free port within 40 above {pinned}={os.environ[pinned]}")


@contextmanager
def start_stack(template: Path | None = None, env: dict[str, str] | None = None, log_name: str = "stack"):
    """A stack on free ports for the duration of the block; its log in .local/test-<log_name>.log."""
    served = ServedStack(port=_port("STACK_PORT"), emulator_port=_port("STACK_EMULATOR_PORT"),
                         template=template, redis_url=os.environ["REDIS_URL"], env=env or {},
                         log=ROOT / ".local" / f"test-{log_name}.log")
    try:
        served.start(timeout=300)
        yield StackHandle(served)
    finally:
        served.stop()


# The bots' settings the session stack is deployed with: the platforms' API bases point at a
# local recorder (tests/bots/recorder.py); the secrets go into the template's tagged secrets
# when it has them (local/stack.py), else the webhooks answer 503.
BOT_SECRETS = {"TELEGRAM_BOT_TOKEN": "123456:stack-test", "TELEGRAM_WEBHOOK_SECRET": "stack-webhook-secret",
               "SLACK_SIGNING_SECRET": "stack-signing-secret", "SLACK_BOT_TOKEN": "xoxb-stack-test"}


@pytest.fixture(scope="session")
def served_stack():
    """The dev template deployed once for the whole session (see the module docstring)."""
    from tests.bots.recorder import Recorder

    recorder = Recorder().start()
    env = {"TELEGRAM_API_BASE": recorder.url, "SLACK_API_BASE": recorder.url, "TELEGRAM_BOT_USERNAME": "FoodshareTestBot",
           **BOT_SECRETS}
    try:
        with start_stack(env=env, log_name="session") as stack:
            stack.recorder = recorder
            yield stack
    finally:
        recorder.stop()
