"""A chat user's id as a JWT subject: the HTTP API refuses it, so no token issuer can act as a chat user.

Chat users are `tg:<telegramUserId>` and `slack:<teamId>:<slackUserId>`; only the webhooks, which check the
platform's secret token or signature, act as them. An external JWT issuer (cdk.json `auth.issuer`) whose subjects
look like that — by mistake, or because anyone may pick their own subject there — was that person on every route.
"""

from __future__ import annotations

import pytest

from foodshare.domain import users
from tests.bots.chat import GROUP_CHAT, TgUser, message, slack, slash, telegram
from tests.support.api import call

ALICE = TgUser(111111, "Alice")


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/me", None),
    ("GET", "/me/credits", None),
    ("PUT", "/me", {"displayName": "Mallory"}),
    ("POST", "/me/erasure", None),
    ("GET", "/food", None),
])
def test_a_token_whose_subject_is_a_telegram_users_id_is_refused(method, path, body):
    assert telegram(message(ALICE, GROUP_CHAT, "/start")).status == 200
    alice = users.get("tg:111111")

    answer = call(method, path, user="tg:111111", json=body)

    assert answer.status == 401 and answer.error_code == "unauthorized", answer
    assert "chat" in answer.body["error"]["message"]
    assert alice.pseudonym not in str(answer.body)
    after = users.get("tg:111111")
    assert (after.display_name, int(after.credit_balance)) == (None, int(alice.credit_balance))


def test_a_token_whose_subject_is_a_slack_users_id_is_refused():
    assert slack(slash("U0ANNA", "start")).status == 200
    assert call("GET", "/me", user="slack:T0001:U0ANNA").status == 401
    assert call("GET", "/me/requests", user="slack:T0001:U0ANNA").status == 401


@pytest.mark.parametrize("subject", [
    "tg:5",  # no such chat user yet: the API must not register one either
    "slack:T0001:U0NEW",
    "anon-01HZZZZZZZZZZZZZZZZZZZZZZZ",  # an erased person's anonymous id (their statistics and credits live there)
    "sam#CREDIT",  # the table's key separator: a partition no erasure's sweep would recognise as theirs
])
def test_no_account_is_registered_under_a_refused_subject(subject):
    for method, path, body in (("GET", "/me", None), ("PUT", "/me", {"displayName": "X"}),
                               ("POST", "/groups", {"name": "Mine"}), ("POST", "/me/exports", None)):
        assert call(method, path, user=subject, json=body).status == 401, (method, path)
    assert users.find(subject) is None


def test_other_subjects_still_sign_in():
    for subject in ("sam", "0f9c1e2a-7b1d-4c59-9a39-2f1b8c2b0e11", "auth0|5f7c8ec7c33c6c004bbafe82", "TG-fan"):
        assert call("GET", "/me", user=subject).status == 200, subject
