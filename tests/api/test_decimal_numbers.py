"""Decimal body fields take JSON numbers only: `true`, `false` and `"52.3"` are 400 naming the field, on every route,
and nothing is written.

pydantic's lax mode took `true` as 1.0 and `"52.3"` as 52.3: a home or pickup place of `{"lat": true}` was stored as
latitude 1.0. This is every decimal the API reads from a body (`api/requests.py`), as test_whole_numbers.py is for the
whole numbers. JSON has no NaN or Infinity and no number as large as 1e999: such a body is refused as it is parsed
(`strict_json`), and the 400 names the field that held it. Query parameters are text by nature and are parsed as
numbers on purpose (the last tests)."""

from __future__ import annotations

import json

import pytest

from tests.support import flows
from tests.support.api import call
from tests.support.request_fields import fields_of

_READS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})
_MARK = 0.123456789  # stands for a literal `json.dumps` cannot write, replaced in the body's text


def _sent(method, path, user, body, literal, aws_operations):
    """The reply to the request under test, and the AWS writes it made (`literal`: sent in place of _MARK)."""
    before = len(aws_operations)
    if literal is None:
        reply = call(method, path, user=user, json=body)
    else:
        reply = call(method, path, user=user, raw_body=json.dumps(body).replace(repr(_MARK), literal).encode())
    return reply, [op for op in aws_operations[before:] if op not in _READS]


def _me(field):
    def put(value, literal=None, aws_operations=()):
        flows.user("sam")
        body = {"displayName": "Sam", "location": {**flows.POTSDAM, field: value}}
        return _sent("PUT", "/me", "sam", body, literal, aws_operations or [])
    return put


def _food(field):
    def post(value, literal=None, aws_operations=()):
        c = flows.community()
        body = flows.post_body(c["group"], pickupLocation={**flows.POTSDAM, field: value, "label": "Door"})
        return _sent("POST", "/food", "sam", body, literal, aws_operations or [])
    return post


def _terms(field):
    def propose(value, literal=None, aws_operations=()):
        flows.user("sam")
        flows.user("pia")
        own, other = flows.group("sam", "North"), flows.group("pia", "South")
        body = {"targetGroupId": other, "terms": {field: value}}
        return _sent("POST", f"/groups/{own}/partnerships", "sam", body, literal, aws_operations or [])
    return propose


# (the field as a 400 names it, how to send a value for it through its route, a decimal it accepts)
FIELDS = [
    ("location.lat", _me("lat"), 52.39),
    ("location.lng", _me("lng"), 13.065),
    ("pickupLocation.lat", _food("lat"), 52.39),
    ("pickupLocation.lng", _food("lng"), 13.065),
    ("terms.maxDistanceKm", _terms("maxDistanceKm"), 12.5),
    ("terms.minReputation", _terms("minReputation"), 62.5),
]
IDS = [field for field, _, _ in FIELDS]


@pytest.mark.parametrize(("field", "send", "decimal"), FIELDS, ids=IDS)
@pytest.mark.parametrize("kind", ["true", "false", "text", "whole text"])
def test_a_decimal_sent_as_a_boolean_or_as_text_is_a_400_naming_the_field(field, send, decimal, kind, aws_operations):
    value = {"true": True, "false": False, "text": str(decimal), "whole text": str(int(decimal))}[kind]
    reply, writes = send(value, aws_operations=aws_operations)
    assert reply.status == 400 and reply.error_code == "validation_error", (field, value, reply.body)
    assert list(reply.body["error"]["fields"]) == [field], reply.body
    assert writes == [], writes


@pytest.mark.parametrize(("field", "send", "decimal"), FIELDS, ids=IDS)
@pytest.mark.parametrize("written", ["decimal", "whole"])
def test_the_same_field_takes_a_decimal_and_a_whole_number(field, send, decimal, written):
    reply, _ = send(decimal if written == "decimal" else int(decimal))
    assert 200 <= reply.status < 300, (field, reply.body)


@pytest.mark.parametrize(("field", "send", "decimal"), FIELDS, ids=IDS)
@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "9" * 40])
def test_a_number_json_cannot_hold_is_a_400_naming_the_field_and_nothing_is_written(field, send, decimal, literal,
                                                                                 aws_operations):
    reply, writes = send(_MARK, literal=literal, aws_operations=aws_operations)
    assert reply.status == 400 and reply.error_code == "validation_error", (field, literal, reply.body)
    assert list(reply.body["error"]["fields"]) == [field], reply.body
    assert writes == [], writes


def _decimals() -> tuple[set[str], set[str]]:
    """(fields that are `DecimalNumber`, fields that are a plain `float`) of every request body, by their wire name."""
    from pydantic import Strict

    return fields_of(float, lambda metadata: any(isinstance(m, Strict) and m.strict for m in metadata))


def test_every_decimal_of_a_body_is_a_decimal_number_and_is_tested_above():
    decimal, plain = _decimals()
    assert plain == set()
    assert decimal == {field.rsplit(".", 1)[-1] for field, _, _ in FIELDS}


@pytest.mark.parametrize(("name", "value"), [
    ("lat", "true"), ("lat", "nan"), ("lng", "-inf"), ("lat", "1e999"), ("lat", "52,5"), ("lat", ""),
    ("radiusKm", "true"), ("radiusKm", "Infinity"), ("radiusKm", "0"),
    ("minReputation", "false"), ("minReputation", "NaN"),
])
def test_a_query_decimal_that_is_not_a_finite_number_in_range_is_a_400_naming_it(name, value):
    """A query string is text: `lat=52.5` is read as a number on purpose, and `true`, `nan` or `inf` are not one."""
    c = flows.community()
    flows.share("sam", c["group"])
    query = {"lat": "52.5", "lng": "13.4", name: value}
    reply = call("GET", "/food", user="cleo", query=query)
    assert reply.status == 400 and reply.error_code == "validation_error", (query, reply.body)
    assert list(reply.body["error"]["fields"]) == [name], reply.body


def test_query_decimals_written_as_text_are_read_as_numbers():
    c = flows.community()
    flows.share("sam", c["group"])
    reply = call("GET", "/food", user="cleo", query={"lat": "52.52", "lng": "13.405", "radiusKm": "5", "minReputation": "0"})
    assert reply.status == 200 and len(reply.body["items"]) == 1, reply.body
