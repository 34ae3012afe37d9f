"""The webhooks log a validation error without the values it refused (tests/api/test_validation_logs.py: the API)."""

from __future__ import annotations

from foodshare.api import models
from foodshare.bots import commands
from tests.bots.chat import GROUP_CHAT, TgUser, message, telegram
from tests.support.logs import captured_logs

SECRET = "Xyzzy Quux-Lane 7"


def test_a_validation_error_in_a_webhook_is_logged_without_the_values(monkeypatch):
    def refused(turn, command):  # a model refusing what the person typed, outside the commands' own handling
        return models.Profile.model_validate({"displayName": command.args})

    monkeypatch.setattr(commands, "on_command", refused)
    with captured_logs() as logs:
        answer = telegram(message(TgUser(111111, "Alice"), GROUP_CHAT, f"/help {SECRET}"))
    logged = logs.getvalue()

    assert answer.status == 500
    assert "webhook failed" in logged and "ValidationError" in logged and "pseudonym" in logged
    assert "Xyzzy" not in logged and "input_value" not in logged, logged
