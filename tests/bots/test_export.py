"""/export in the bots: asked in a private chat, the link comes back there; never in a group chat."""

from __future__ import annotations

import json
import re

from foodshare.domain import exports

from tests.bots.chat import GROUP_CHAT, TgUser, message, private_chat, telegram
from tests.events.conftest import backbone  # noqa: F401  (the fixture)
from tests.support import flows
from tests.support.api import call

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


def test_a_telegram_users_export_holds_nothing_of_an_api_user_whose_id_is_their_number(backbone):  # noqa: F811
    """The export finds a person's items by the erasure's markers: a Telegram user's private chat (their number)
    is named by its chat key, so an API user whose subject is those digits is not exported to them."""
    digits = str(ALICE.id)
    group = call("POST", "/groups", user=digits, json={"name": "Numbers club"})
    assert call("POST", "/food", user=digits, json=flows.post_body(group.body["groupId"], title="Numbered bread")
                ).status == 201
    telegram(message(ALICE, private_chat(ALICE), "/start"))
    asked = telegram(message(ALICE, private_chat(ALICE), "/export"))
    export_id = re.search(r"/export (\S+)", asked.body["text"]).group(1)
    backbone.deliver()

    stored = exports._s3().get_object(Bucket=exports._bucket(), Key=exports.object_key(export_id))
    document = json.loads(stored["Body"].read())
    assert document["userId"] == f"tg:{digits}" and document["profile"] is not None
    assert "Numbers club" not in json.dumps(document) and "Numbered bread" not in json.dumps(document)
