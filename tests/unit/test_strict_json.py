"""strict_json names where a number JSON cannot hold was (the 400's field), wherever in the text it is."""

from __future__ import annotations

import json

import pytest

from foodshare.strict_json import NumberNotJson, strict_json


@pytest.mark.parametrize(("text", "field", "message"), [
    ('{"location": {"lat": NaN, "lng": 1}}', "location.lat", "NaN is not a JSON number"),
    ('{"a": 1, "tags": [1, -Infinity]}', "tags", "-Infinity is not a JSON number"),
    ('{"a": 1e999, "b": NaN}', "a", "number out of range"),  # the first in the text
    ("[1, 2, " + "9" * 40 + "]", "body", "integer out of range"),
    ("NaN", "body", "NaN is not a JSON number"),
    ('{"a": NaN, "a": 1}', "body", "NaN is not a JSON number"),  # a later duplicate key dropped it: still refused
])
def test_a_number_json_cannot_hold_is_refused_naming_where_it_was(text, field, message):
    with pytest.raises(NumberNotJson) as refused:
        strict_json(text)
    assert (refused.value.field, refused.value.msg) == (field, message)


def test_a_refused_number_nested_as_deep_as_the_parser_allows_is_refused_not_a_crash():
    """Looking for its path walks as deep as the parser went: every depth up to the parser's limit is a refusal."""
    for depth in range(900, 1100, 7):
        with pytest.raises(json.JSONDecodeError):
            strict_json("[" * depth + '{"a": NaN}' + "]" * depth)
