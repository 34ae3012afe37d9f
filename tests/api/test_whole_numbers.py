"""Whole-number body fields take JSON whole numbers only: `true` and `"5"` are 400 naming the field, on every route.

pydantic's lax mode took `true` as 1 and `"5"` as 5; `stars` was fixed first (API 5.1.1), this is every other whole
number the API reads from a body (`api/requests.py`). Query parameters (`limit`) are text by nature and are parsed
as numbers on purpose."""

from __future__ import annotations

import pytest

from tests.support import flows
from tests.support.api import call
from tests.support.request_fields import fields_of


def _food(value):
    c = flows.community()
    return call("POST", "/food", user="sam", json=flows.post_body(c["group"], quantity=value))


def _join(value):
    flows.user("sam")
    flows.user("eve")
    created = call("POST", "/groups", user="sam", json={"name": "Kiez Kitchen", "disclaimer": "Check before eating"})
    code = flows.invite("sam", created.body["groupId"])
    return call("POST", "/groups/join", user="eve", json={"inviteCode": code, "acceptedDisclaimerVersion": value})


def _partnership(value):
    flows.user("sam")
    flows.user("pia")
    own, other = flows.group("sam", "North"), flows.group("pia", "South")
    return call("POST", f"/groups/{own}/partnerships", user="sam",
                json={"targetGroupId": other, "terms": {"maxClaimsPerMemberPerWeek": value}})


def _quota(field):
    def put(value):
        c = flows.community()
        body = {"maxClaims": 3, "windowHours": 24, "liftHours": 2} | {field: value}
        return call("PUT", f"/groups/{c['group']}/claim-quota", user="sam", json=body)
    return put


def _restriction(value):
    c = flows.community()
    return call("POST", f"/groups/{c['group']}/moderation/actions", user="sam",
                json={"action": "restrict", "reason": "Three no-shows", "days": value,
                      "memberHandle": flows.handle("cleo", c["group"])})


def _invite(field):
    def create(value):
        c = flows.community()
        return call("POST", f"/groups/{c['group']}/invites", user="sam", json={field: value})
    return create


# (the field as a 400 names it, how to send a value for it through its route, a whole number it accepts)
FIELDS = [
    ("quantity", _food, 3),
    ("acceptedDisclaimerVersion", _join, 1),
    ("terms.maxClaimsPerMemberPerWeek", _partnership, 3),
    ("maxClaims", _quota("maxClaims"), 3),
    ("windowHours", _quota("windowHours"), 24),
    ("liftHours", _quota("liftHours"), 2),
    ("days", _restriction, 7),
    ("maxUses", _invite("maxUses"), 3),
    ("expiresInHours", _invite("expiresInHours"), 24),
]


@pytest.mark.parametrize(("field", "send", "whole"), FIELDS, ids=[f for f, _, _ in FIELDS])
@pytest.mark.parametrize("kind", ["true", "false", "text"])
def test_a_whole_number_sent_as_a_boolean_or_as_text_is_a_400_naming_the_field(field, send, whole, kind):
    value = {"true": True, "false": False, "text": str(whole)}[kind]
    reply = send(value)
    assert reply.status == 400 and reply.error_code == "validation_error", (field, value, reply.body)
    assert list(reply.body["error"]["fields"]) == [field], reply.body


@pytest.mark.parametrize(("field", "send", "whole"), FIELDS, ids=[f for f, _, _ in FIELDS])
@pytest.mark.parametrize("written", [int, float], ids=["3", "3.0"])
def test_the_same_field_takes_a_whole_number_also_written_with_a_zero_fraction(field, send, whole, written):
    reply = send(written(whole))
    assert 200 <= reply.status < 300, (field, reply.body)


def _whole_numbers() -> tuple[set[str], set[str]]:
    """(fields that are `WholeNumber`, fields that are a plain `int`) of every request body, by their wire name."""
    from foodshare.api import requests
    from pydantic import BeforeValidator

    return fields_of(int, lambda metadata: any(
        isinstance(m, BeforeValidator) and m.func is requests._number_not_flag_or_text for m in metadata))


def test_every_whole_number_of_a_body_is_a_whole_number_and_is_tested_above():
    whole, plain = _whole_numbers()
    assert plain == set()
    assert whole == {field.rsplit(".", 1)[-1] for field, _, _ in FIELDS} | {"stars"}
