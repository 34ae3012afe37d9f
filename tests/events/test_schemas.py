"""Every event type has a JSON Schema, and every event the real flows record satisfies it."""

from __future__ import annotations

import json
from datetime import timedelta

import fastjsonschema
import pytest

from foodshare import clock, event_schemas, hooks
from foodshare.data.models import EventItem
from foodshare.domain import settlement
from foodshare.events import EVENT_SOURCES, NOTICES
from tests.support import flows
from tests.support.api import call


def test_every_event_type_has_a_compiling_schema_and_no_schema_is_orphaned():
    for event_type in EVENT_SOURCES:
        schema = json.loads(event_schemas.schema_path(event_type).read_text())
        assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
        assert schema["properties"]["eventType"] == {"const": event_type}
        fastjsonschema.compile(schema)
    files = {p.stem for p in event_schemas.schema_dir().glob("*.json")}
    assert files == set(EVENT_SOURCES)


def test_a_payload_that_breaks_its_schema_is_named():
    envelope = {"eventId": "E1", "eventType": "RatingSubmitted", "occurredAt": clock.now_iso(), "actorId": "u",
                "data": {"exchangeId": "X", "groupId": "G", "raterId": "u", "ratedUserId": "v", "stars": 6,
                         "hasComment": False}}
    with pytest.raises(event_schemas.InvalidEvent, match="stars"):
        event_schemas.validate("RatingSubmitted", envelope)


def _moderation(group: str, admin: str, reporter: str) -> None:
    """A moderator appointed, reports dismissed until the reporter is flagged, one upheld, appealed, overturned;
    a member flagged by the fraud signals."""
    from foodshare.data.models import UserItem

    for name in ("mia", "max"):
        flows.user(name)
        flows.join(name, group, admin)
    UserItem.get(*UserItem.key("mia")).update(actions=[UserItem.score.set(95), UserItem.trust_level.set("exemplary")])
    appointed = call("POST", f"/groups/{group}/moderators", user=admin,
                     json={"memberHandle": flows.handle("mia", group)})
    assert appointed.status == 200
    actions = f"/groups/{group}/moderation/actions"
    for reason in ("late", "other", "selling", "spam"):
        report = call("POST", "/reports", user=reporter, json={"subjectType": "user",
                                                               "subjectId": flows.handle("max", group),
                                                               "reason": reason}).body["reportId"]
        action = "warn" if reason == "spam" else "dismiss"
        taken = call("POST", actions, user="mia", json={"action": action, "reportId": report, "reason": "Checked"})
        assert taken.status == 201, taken
    appeal = call("POST", "/appeals", user="max", json={"actionId": taken.body["actionId"]}).body
    assert call("POST", f"/appeals/{appeal['appealId']}/decision", user=admin,
                json={"outcome": "overturned", "reason": "Not spam"}).status == 200
    for _ in range(7):  # claims cancelled again and again: the fraud consumer flags credit abuse
        exchange = flows.claim("max", flows.share("mia", group))
        assert call("POST", f"/exchanges/{exchange}/cancel", user="max").status == 200


def _every_kind_of_change(backbone) -> None:
    c = flows.community()
    sam, cleo, group = c["sharer"], c["claimer"], c["group"]
    quota = {"maxClaims": 50, "windowHours": 24}
    assert call("PUT", f"/groups/{group}/claim-quota", user=sam, json=quota).status == 200
    report = {"subjectType": "user", "subjectId": flows.handle(sam, group), "reason": "late"}
    assert call("POST", "/reports", user=cleo, json=report).status == 201
    _moderation(group, sam, cleo)
    flows.user("ida")
    flows.join("ida", group, sam)
    assert call("DELETE", f"/groups/{group}/members/me", user="ida").status == 200
    revoked = flows.invite(sam, group)
    assert call("DELETE", f"/groups/{group}/invites/{revoked}", user=sam).status == 200
    flows.user("olga")
    flows.user("paul")
    other, third = flows.group("olga", "Other"), flows.group("paul", "Third")
    partnership = flows.partnership(sam, group, "olga", other)
    assert call("DELETE", f"/partnerships/{partnership}", user=sam).status == 200
    proposal = call("POST", f"/groups/{group}/partnerships", user=sam, json={"targetGroupId": third}).body
    assert call("POST", f"/partnerships/{proposal['partnershipId']}/decline", user="paul").status == 200
    assert call("DELETE", f"/food/{flows.share(sam, group)}", user=sam).status == 200
    done = flows.claim(cleo, flows.share(sam, group))
    flows.complete(sam, cleo, done)
    assert call("POST", f"/exchanges/{done}/ratings", user=cleo, json={"stars": 5, "comment": "lovely"}).status == 201
    assert call("POST", f"/exchanges/{flows.claim(cleo, flows.share(sam, group))}/cancel", user=cleo).status == 200
    for _ in range(2):
        flows.share(sam, group)  # five shares in all: +10 takes sam to 70, "established"
    missed = flows.claim(cleo, flows.share(sam, group, pickupEnd=clock.iso(clock.now() + timedelta(hours=1.5))))
    forgotten = flows.claim(cleo, flows.share(sam, group, pickupEnd=clock.iso(clock.now() + timedelta(hours=1.5))))
    clock.advance(2 * 3600)
    assert call("POST", f"/exchanges/{missed}/no-show", user=sam).status == 200
    clock.advance(72 * 3600)  # nobody closed `forgotten`: the settlement job lapses it
    assert settlement.settle_due().lapsed == 1
    assert call("PUT", "/me/privacy", user=cleo, json={"leaderboard": False}).status == 200
    assert call("POST", "/me/exports", user=cleo).status == 202
    flows.join("paul", group, sam)
    assert call("DELETE", f"/groups/{group}/members/me", user=cleo).status == 200
    backbone.deliver()  # consumers catch up before sam goes
    code = call("POST", "/me/erasure", user=sam).body["confirmationCode"]  # sam is the last admin: hands over
    assert call("DELETE", "/me", user=sam, json={"confirmationCode": code}).status == 202
    backbone.deliver()  # the erasure consumer sweeps each segment, then records AccountErased


def test_every_recorded_event_validates_and_the_flows_cover_every_type(backbone, monkeypatch):
    notified, run = [], hooks.run_after_commit

    def seen_by_the_hooks(events):
        notified.extend(events)
        run(events)

    monkeypatch.setattr(hooks, "run_after_commit", seen_by_the_hooks)
    _every_kind_of_change(backbone)
    seen, notices = set(), set()
    for item in EventItem.scan(EventItem.pk.startswith("EVENTLOG#")):
        event_schemas.validate(item.event_type, json.loads(item.detail))
        seen.add(item.event_type)
    for event in notified:
        if event.type in NOTICES:
            event_schemas.validate(event.type, event.envelope())
            notices.add(event.type)
    assert (seen, notices) == (set(EVENT_SOURCES) - NOTICES, set(NOTICES))  # notices reach the hooks, not the store
