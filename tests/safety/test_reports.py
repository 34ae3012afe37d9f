"""POST /reports through the handler: every reason, validation, visibility, one open report, rate limit, events."""

from __future__ import annotations

import json

import pytest
from foodshare.data.models import EventItem
from foodshare.domain.reports import REASONS

from tests.support import flows
from tests.support.api import call


def _report(who: str, subject_type: str, subject_id: str, reason: str = "spam", **extra):
    return call("POST", "/reports", user=who,
                json={"subjectType": subject_type, "subjectId": subject_id, "reason": reason, **extra})


def _events(event_type: str) -> list[dict]:
    return [json.loads(e.detail)["data"] for e in EventItem.scan(EventItem.pk.startswith("EVENTLOG#"))
            if e.event_type == event_type]


@pytest.mark.parametrize("reason", REASONS)
def test_every_reason_about_a_post_an_exchange_and_a_user(reason):
    c = flows.community()
    food = flows.share("sam", c["group"])
    exchange = flows.claim("cleo", flows.share("sam", c["group"]))
    for subject_type, subject_id in (("food", food), ("exchange", exchange), ("user", flows.handle("sam", c["group"]))):
        reply = _report("cleo", subject_type, subject_id, reason, details="It was off.")
        assert reply.status == 201, reply
        assert reply.body | {"reportId": None, "createdAt": None} == {
            "reportId": None, "subjectType": subject_type, "subjectId": subject_id, "reason": reason,
            "status": "open", "createdAt": None}
    filed = _events("ReportFiled")
    assert {e["subjectType"] for e in filed} == {"food", "exchange", "user"}
    assert all(e["subjectUserId"] == "sam" and e["groupIds"] == [c["group"]] for e in filed)
    assert all("details" not in e and "It was off." not in json.dumps(e) for e in filed)  # ids only


def test_bad_bodies_name_their_fields_and_write_nothing():
    flows.community()
    reply = call("POST", "/reports", user="cleo", json={"subjectType": "group", "subjectId": "", "reason": "meh",
                                                          "details": "x" * 1001})
    assert reply.status == 400
    assert set(reply.body["error"]["fields"]) == {"subjectType", "subjectId", "reason", "details"}
    assert call("POST", "/reports", user="cleo", json={}).body["error"]["fields"].keys() == {
        "subjectType", "subjectId", "reason"}
    assert _events("ReportFiled") == []


def test_one_open_report_per_reporter_and_subject():
    c = flows.community()
    food = flows.share("sam", c["group"])
    assert _report("cleo", "food", food).status == 201
    again = _report("cleo", "food", food, "unsafe_food")
    assert again.status == 409 and again.error_code == "already_reported"
    assert _report("cleo", "user", flows.handle("sam", c["group"])).status == 201  # another subject
    flows.user("ida")
    flows.join("ida", c["group"], "sam")
    assert _report("ida", "food", food).status == 201  # another reporter
    assert len(_events("ReportFiled")) == 3


def test_only_what_the_reporter_can_see():
    c = flows.community()
    food = flows.share("sam", c["group"])
    exchange = flows.claim("cleo", flows.share("sam", c["group"]))
    flows.user("stranger")
    flows.group("stranger", "Elsewhere")
    for subject_type, subject_id in (("food", food), ("exchange", exchange), ("user", flows.handle("sam", c["group"])),
                                     ("food", "nope"), ("user", "nobody"), ("user", "sam")):
        reply = _report("stranger", subject_type, subject_id)
        assert reply.status == 404 and "subjectId" in reply.body["error"]["fields"], (subject_type, reply)
    flows.user("ida")
    flows.join("ida", c["group"], "sam")
    not_hers = _report("ida", "exchange", exchange)
    assert not_hers.status == 404 and not_hers.body["error"]["fields"] == {  # not a participant
        "subjectId": "not an exchange you took part in"}
    own = _report("sam", "food", food)
    assert own.status == 400 and own.body["error"]["fields"] == {"subjectId": "is your own"}
    assert _report("sam", "user", flows.handle("sam", c["group"])).status == 400
    assert _events("ReportFiled") == []


def test_reporting_is_rate_limited(monkeypatch):
    from foodshare.settings import get_settings

    monkeypatch.setenv("RATE_LIMIT_REPORTS", "2/3600")
    get_settings.cache_clear()
    c = flows.community()
    posts = [flows.share("sam", c["group"]) for _ in range(3)]
    assert [_report("cleo", "food", p).status for p in posts] == [201, 201, 429]
    assert call("GET", "/me", user="cleo").status == 200  # other routes keep their own limit
