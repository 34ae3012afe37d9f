"""/export in the bots: asked in a private chat, the link comes back there; never in a group chat."""

from __future__ import annotations

import re

from tests.bots.chat import GROUP_CHAT, TgUser, message, private_chat, telegram
from tests.events.conftest import backbone  # noqa: F401  (the fixture)

ALICE = TgUser(111111, "Alice")


def test_export_from_a_private_chat_and_not_in_a_group_chat(backbone):  # noqa: F811
    telegram(message(ALICE, GROUP_CHAT, "/start"))
    refused = telegram(message(ALICE, GROUP_CHAT, "/export"))
    assert "private chat" in refused.body["text"] and "http" not in refused.body["text"]
    asked = telegram(message(ALICE, private_chat(ALICE), "/export"))
    export_id = re.search(r"/export (\S+)", asked.body["text"]).group(1)
    backbone.deliver()
    link = telegram(message(ALICE, private_chat(ALICE), f"/export {export_id}"))
    assert "X-Amz-Signature" in link.body["text"] and "5 minutes" in link.body["text"]
