"""No input gets a 5xx: each class of bad input, through the real handler, gets a 4xx envelope."""

from __future__ import annotations

import base64
import json

import pytest

from foodshare.api.http import MAX_BODY_BYTES
from tests.support.apigw import build_event, match_route
from tests.support import flows
from tests.support.api import call, invoke

BODY_ROUTES = [
    ("POST", "/food"),
    ("POST", "/groups/join"),
    ("POST", "/groups/g1/partnerships"),
    ("POST", "/exchanges/x1/ratings"),
    ("PUT", "/me"),
    ("POST", "/groups"),
]


def _raw(method: str, path: str, body: bytes | str | None, *, headers: dict | None = None,
         base64_body: bool = False, user: str | None = "sam") -> tuple[int, dict]:
    matched = match_route(method, path)
    event = build_event(matched, path, headers={"content-type": "application/json", **(headers or {})},
                        claims={"sub": user} if user else None)
    if body is not None:
        raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
        if base64_body:
            event.update(body=base64.b64encode(raw).decode(), isBase64Encoded=True)
        else:
            event["body"] = raw.decode("utf-8", "surrogatepass")
    response = invoke(event, matched.function)
    return response["statusCode"], json.loads(response.get("body") or "null")


def _assert_envelope(status: int, body: dict, expected_status: int, code: str) -> None:
    assert status == expected_status, body
    assert body["error"]["code"] == code and body["error"]["message"], body


@pytest.mark.parametrize("method,path", BODY_ROUTES)
def test_a_body_that_is_not_utf8_is_a_400(method, path):
    status, body = _raw(method, path, b"\xff\xfe{\"a\":1}\x80", base64_body=True)
    _assert_envelope(status, body, 400, "validation_error")
    assert body["error"]["fields"] == {"body": "not UTF-8 JSON"}


@pytest.mark.parametrize("method,path", BODY_ROUTES)
def test_base64_bodies_that_are_utf8_json_still_work_as_before(method, path):
    status, body = _raw(method, path, b'{"unknown": 1}', base64_body=True)
    _assert_envelope(status, body, 400, "validation_error")


@pytest.mark.parametrize("text", ["{", "not json", "[1,2", '{"a": NaN}', '{"a": Infinity}', '{"a": -Infinity}',
                                  '{"displayName": 1e400}', '{"displayName": ' + "9" * 5000 + "}",
                                  "[" * 5000 + "]" * 5000, '{"a":' * 3000 + "1" + "}" * 3000],
                         ids=lambda text: text[:20])
def test_bodies_that_are_not_json_numbers_out_of_range_or_nested_too_deeply_are_400s(text):
    status, body = _raw("PUT", "/me", text)
    _assert_envelope(status, body, 400, "validation_error")


def test_a_body_too_large_is_a_413_before_anything_parses_it():
    big = json.dumps({"displayName": "x" * MAX_BODY_BYTES})
    _assert_envelope(*_raw("PUT", "/me", big), 413, "payload_too_large")
    _assert_envelope(*_raw("PUT", "/me", big.encode(), base64_body=True), 413, "payload_too_large")


@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data", "multipart/form-data; boundary=x",
                                          "application/x-www-form-urlencoded", "Application/JSON-ish", "\x00\xff"])
def test_bodies_not_sent_as_json_are_415s(content_type):
    status, body = _raw("POST", "/groups", '{"name": "x"}', headers={"content-type": content_type})
    _assert_envelope(status, body, 415, "unsupported_media_type")


def test_json_content_type_is_case_insensitive_and_may_carry_a_charset():
    status, body = _raw("POST", "/groups", '{"name": "Kiez"}', headers={"content-type": "Application/JSON; charset=utf-8"})
    assert status == 201, body


@pytest.mark.parametrize("payload", [
    {"displayName": "x", "extra": 1},
    {"displayName": ["x"]},
    {"displayName": "\ud800"},
    {"displayName": "x", "location": {"lat": 10 ** 30, "lng": 1}},
    {"displayName": "x", "location": {"lat": "52", "lng": None}},
    [],
    "a string",
    None,
])
def test_unknown_fields_wrong_types_and_lone_surrogates_are_400s_naming_the_field(payload):
    text = json.dumps(payload)
    status, body = _raw("PUT", "/me", text)
    _assert_envelope(status, body, 400, "validation_error")


@pytest.mark.parametrize("food_id", ["x" * 5000, "%00", "%FF%FE", "..", "a b", "é", "ﬀ", "'\"<>", "%2F"])
def test_path_parameters_of_any_bytes_are_4xx(food_id):
    for method, path in (("GET", f"/food/{food_id}"), ("POST", f"/food/{food_id}/claims"),
                         ("POST", f"/exchanges/{food_id}/ratings")):
        status, body = _raw(method, path, json.dumps({"stars": 5}) if "ratings" in path else None)
        assert 400 <= status < 500 and body["error"]["code"] in ("not_found", "validation_error"), (path, body)


@pytest.mark.parametrize("headers", [{"content-type": ""}, {"x-weird": "\x00" * 1000}, {"accept": "*/*" * 500},
                                     {"content-length": "-1"}, {"authorization": "Bearer \xff"}])
def test_headers_of_any_shape_do_not_break_a_route(headers):
    status, body = _raw("PUT", "/me", json.dumps({"displayName": "Sam"}), headers=headers)
    assert status == 200, body


@pytest.mark.parametrize("query", [{"limit": "1e400"}, {"limit": "9" * 5000}, {"lat": "nan", "lng": "1"},
                                   {"lat": "inf", "lng": "1"}, {"cursor": "!!!"}, {"cursor": "bnVsbA"},
                                   {"cursor": "W10"}, {"cursor": "eyJhIjoxfQ"}, {"cursor": "WzFlOTk5LCJhIiwiYiJd"},
                                   {"cursor": "W05hTiwiYSJd"}, {"from": "yesterday"}],
                         ids=lambda query: str(query)[:30])
def test_query_parameters_out_of_range_or_malformed_are_400s(query):
    flows.user("sam")
    reply = call("GET", "/food", user="sam", query=query)
    assert reply.status == 400 and reply.error_code == "validation_error", (query, reply)
    reply = call("GET", "/me/credits", user="sam", query=query)  # ignores what it does not read
    assert reply.status == 200 or reply.error_code == "validation_error", (query, reply)


def test_strangers_get_a_401_before_any_check_of_their_input():
    status, body = _raw("PUT", "/me", b"\xff", base64_body=True, user=None)
    _assert_envelope(status, body, 401, "unauthorized")


def test_a_time_from_a_year_before_1000_is_written_and_compared_as_an_iso_date_time():
    """Found by `make fuzz`: year 8 was written "8-01-01T00:00:00Z" (strftime's unpadded %Y): no date-time by the
    response schema, and it sorted after "2026" in the table's indexes. A post's window may no longer reach back to
    year 8 (API 5.1.1: at most 7 days long, 400 naming both ends); GET /food's `from` still may, compared as
    written: a "from" that sorted after every pickupEnd would hide every post."""
    c = flows.community()
    reply = call("POST", "/food", user="sam", json=flows.post_body(c["group"], pickupStart="0008-01-01T00:00:00Z"))
    assert reply.status == 400 and set(reply.body["error"]["fields"]) == {"pickupStart", "pickupEnd"}, reply.body
    flows.share("sam", c["group"], title="Soup")
    found = call("GET", "/food", user="cleo", query={"from": "0008-01-01T00:00:00Z"})
    assert found.status == 200 and [item["title"] for item in found.body["items"]] == ["Soup"], found.body


@pytest.mark.parametrize("field,value", [
    ("pickupStart", "0001-01-01T00:00:00+01:00"),  # year 0 in UTC
    ("pickupEnd", "9999-12-31T23:59:59-01:00"),  # year 10000 in UTC
])
def test_a_pickup_time_outside_what_utc_can_hold_is_a_400_naming_the_field(field, value):
    flows.user("sam")
    group = flows.group("sam")
    reply = call("POST", "/food", user="sam", json=flows.post_body(group, **{field: value}))
    _assert_envelope(reply.status, reply.body, 400, "validation_error")
    assert any(field in key for key in reply.body["error"]["fields"]), reply.body


@pytest.mark.parametrize("invisible", ["\u200b", "\u2800", "\u3164", "\ufeff", "\x00"])
def test_a_title_or_group_name_with_no_visible_character_is_refused(invisible):
    # Found by an audit: Body's str_strip_whitespace only strips what str.strip() calls whitespace, so a title of
    # a zero-width space, a braille blank, a Hangul filler, a BOM or a NUL passed min_length=1 and showed nothing.
    c = flows.community()
    post = call("POST", "/food", user="sam", json=flows.post_body(c["group"], title=invisible))
    group = call("POST", "/groups", user="sam", json={"name": invisible})
    assert (post.status, group.status) == (400, 400), (post.body, group.body)
    assert "title" in post.body["error"]["fields"] and "name" in group.body["error"]["fields"]
    profile = call("PUT", "/me", user="sam", json={"displayName": f" {invisible} "})
    assert profile.status == 400 and set(profile.body["error"]["fields"]) == {"displayName"}, profile.body


def test_every_text_people_are_shown_needs_a_visible_character_and_no_control_character():
    """One rule (`foodshare/visible_text.py`) for every such field; free text may hold line breaks and tabs. Optional
    text with nothing visible is absent (as "" always was), a blank label dropped; required text is refused."""
    c = flows.community()
    group = c["group"]
    for overrides, field in (({"description": "Fresh\x1b[2J"}, "description"),
                             ({"pickupLocation": {"lat": 52.5, "lng": 13.4, "label": "Door\x00"}},
                              "pickupLocation.label"),
                             ({"dietaryTags": ["vegan", "ha\x07lal"]}, "dietaryTags"),
                             ({"title": "\u200b\u2800"}, "title"),
                             ({"title": "Soup\nand bread"}, "title")):
        reply = call("POST", "/food", user="sam", json=flows.post_body(group, **overrides))
        assert reply.status == 400 and set(reply.body["error"]["fields"]) == {field}, (overrides, reply.body)
    blank = call("POST", "/food", user="sam", json=flows.post_body(
        group, description="\u200b\u200d", dietaryTags=["vegan", "\u2800"],
        pickupLocation={"lat": 52.5, "lng": 13.4, "label": "\u115f\u1160"}))
    assert blank.status == 201, blank.body
    assert blank.body["description"] is None and blank.body["dietaryTags"] == ["vegan"], blank.body
    shared = call("POST", "/food", user="sam", json=flows.post_body(group, description="Soup\n\tand bread"))
    assert shared.status == 201 and shared.body["description"] == "Soup\n\tand bread", shared.body
    reason = call("POST", f"/groups/{group}/moderation/actions", user="sam",
                  json={"action": "warn", "reason": "\ufeff\u200b\u2060", "memberHandle": "h"})
    assert reason.status == 400 and set(reason.body["error"]["fields"]) == {"reason"}, reason.body


def test_text_that_leaves_a_right_to_left_override_or_isolate_open_is_refused():
    # Found by an audit: a title or label ending in U+202E RIGHT-TO-LEFT OVERRIDE was taken, and everything shown after
    # it on its line ran backwards: a tag "vegan\u202e" turned the bots' "#vegan · contains gluten" into
    # "#vegan · netulg sniatnoc", a title the portions after it. Closed, such characters are kept (Arabic or Hebrew in
    # an isolate, marks such as U+200F).
    c = flows.community()
    group = c["group"]
    for overrides, field in (({"title": "Bread \u202e"}, "title"),
                             ({"dietaryTags": ["vegan\u202e"]}, "dietaryTags"),
                             ({"allergens": ["\u2067gluten"]}, "allergens"),
                             ({"description": "Fresh \u202bbread\u2069\nmore"}, "description"),
                             ({"title": "Bread \u202c"}, "title")):
        reply = call("POST", "/food", user="sam", json=flows.post_body(group, **overrides))
        assert reply.status == 400 and set(reply.body["error"]["fields"]) == {field}, (overrides, reply.body)
    shared = call("POST", "/food", user="sam", json=flows.post_body(
        group, title="Bread \u2067\u062e\u0628\u0632\u2069 \u200fand \u202esoup\u202c",
        description="\u202bone\u202c\ntwo"))
    assert shared.status == 201, shared.body
    named = call("POST", "/groups", user="sam", json={"name": "Kiez \u202e"})
    assert named.status == 400 and set(named.body["error"]["fields"]) == {"name"}, named.body


def test_unknown_ids_in_a_body_are_404s_naming_the_field():
    # Found by an audit: POST /groups/{id}/partnerships (targetGroupId), /reports for a user (subjectId), moderators
    # (memberHandle) and appeals (actionId) named the field; these siblings answered a bare "X nope not found."
    c = flows.community()
    group = c["group"]
    answers = {
        "groupId": call("POST", "/food", user="sam", json=flows.post_body("nope")),
        "subjectId": call("POST", "/reports", user="sam",
                          json={"subjectType": "food", "subjectId": "nope", "reason": "spam"}),
        "reportId": call("POST", f"/groups/{group}/moderation/actions", user="sam",
                         json={"action": "dismiss", "reason": "because", "reportId": "nope"}),
        "foodId": call("POST", f"/groups/{group}/moderation/actions", user="sam",
                       json={"action": "remove_post", "reason": "because", "foodId": "nope"}),
    }
    unnamed = {field: reply.body["error"] for field, reply in answers.items()
               if reply.status != 404 or field not in reply.body["error"].get("fields", {})}
    assert unnamed == {}


@pytest.mark.parametrize("path,raw", [("/food", '[1,"\\ud800","b"]'), ("/me/credits", '["\\udc00x",3]'),
                                      ("/me/credits", '["\\ud800"]')])
def test_a_cursor_holding_a_lone_surrogate_is_a_400_naming_cursor(path, raw):
    """Found by an audit: a cursor's id went into the ledger's key condition as it was; a lone surrogate cannot
    be encoded as UTF-8 (moto took it; DynamoDB, Redis or the log would fail on it: a 500 far from the input)."""
    flows.community()
    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    reply = call("GET", path, user="cleo", query={"cursor": cursor})
    assert reply.status == 400, reply
    assert reply.body["error"]["fields"] == {"cursor": "not a cursor from a previous page"}


def _paged_routes() -> list[str]:
    """Every GET route taking a `cursor` (docs/openapi.json, generated from the handlers): a new one is checked too."""
    from pathlib import Path

    spec = json.loads((Path(__file__).parents[2] / "docs" / "openapi.json").read_text())
    return sorted(path for path, operations in spec["paths"].items()
                  if any(p["name"] == "cursor" for p in operations.get("get", {}).get("parameters", [])))


def test_every_paged_route_answers_a_bad_cursor_alike():
    """One cursor rule (`foodshare/cursors.py`, docs/api.md "Page cursors"): on every paged route, what is not of the
    shape that list's cursors have is 400 `validation_error` naming `cursor`, never a 500 nor a page: not base64,
    not JSON, the wrong shape, text sorting past a key range's end ("~~": a 500 on `GET /me/requests` before),
    another person's or another list's sealed cursor."""
    from foodshare import cursors

    c = flows.community()
    group = c["group"]

    def encoded(raw: str) -> str:
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    # (a cursor of a list's own shape, edited, is refused where the list seals its cursors; on the others it pages
    # from elsewhere in the caller's own view of the list: docs/api.md, "Page cursors")
    bad = ["!!!", encoded("not json"), encoded("[]"), encoded('{"a":1}'), encoded('"~~"'), encoded('"é"'),
           encoded("1" * 40), encoded('["01J0000000000000000000000Z", 1e999]'),
           cursors.encode("01J0000000000000000000000Z", cursors.Seal("cleo", "GET /me/credits")),
           cursors.encode(["01J0000000000000000000000Z", 3], cursors.Seal("sam", "GET /me/exchanges"))]
    routes = _paged_routes()
    assert len(routes) == 9, routes
    answers = {}
    for template in routes:
        path = template.replace("{groupId}", group)
        for cursor in bad:
            reply = call("GET", path, user="sam", query={"cursor": cursor})
            if reply.status != 400 or reply.body["error"] != {"code": "validation_error", "message": "The cursor is not valid.",
                                                              "fields": {"cursor": "not a cursor from a previous page"}}:
                answers[(template, cursor)] = (reply.status, reply.body)
    assert answers == {}
