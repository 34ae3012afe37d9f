"""Export (GDPR access and portability) through the HTTP API: POST /me/exports, the queue-fed build,
GET /me/exports/{id} with a short-lived URL, and what the document holds."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import boto3

from foodshare import clock
from foodshare.bots import store
from foodshare.settings import get_settings
from tests.events.conftest import backbone  # noqa: F401  (the fixture)
from tests.support import flows
from tests.support.api import call

CHAT_ID = "777123456"


def _s3():
    return boto3.client("s3", region_name=get_settings().region)


def _object_of(url: str) -> tuple[str, dict]:
    """The key a presigned URL points at, and its query (moto intercepts boto3, not plain HTTP)."""
    parsed = urlparse(url)
    key = parsed.path.lstrip("/").removeprefix(f"{get_settings().export_bucket}/")
    return key, parse_qs(parsed.query)


def _document(url: str) -> dict:
    key, _ = _object_of(url)
    return json.loads(_s3().get_object(Bucket=get_settings().export_bucket, Key=key)["Body"].read())


def _exported(user: str, backbone) -> tuple[dict, dict]:  # noqa: F811
    asked = call("POST", "/me/exports", user=user)
    assert asked.status == 202 and asked.body["status"] == "pending" and asked.body["downloadUrl"] is None
    export_id = asked.body["exportId"]
    assert call("GET", f"/me/exports/{export_id}", user=user).body["status"] == "pending"
    backbone.deliver()
    ready = call("GET", f"/me/exports/{export_id}", user=user)
    assert ready.status == 200 and ready.body["status"] == "ready", ready
    return ready.body, _document(ready.body["downloadUrl"])


def test_an_export_holds_every_kind_of_item_of_a_user_who_did_everything(backbone):  # noqa: F811
    flows.user("erin", name="Erin Marker")
    flows.user("cleo")
    flows.user("pat")
    made = call("POST", "/groups", user="erin", json={"name": "Corner", "disclaimer": "Eat at your own risk"})
    group = made.body["groupId"]
    code = flows.invite("erin", group)
    assert call("POST", "/groups/join", user="cleo", json={"inviteCode": code, "acceptedDisclaimerVersion": 1}).status == 200
    flows.partnership("erin", group, "pat", flows.group("pat", "Next door"))
    store.remember_private_chat("erin", "telegram", CHAT_ID)
    given = flows.claim("cleo", flows.share("erin", group, title="Erin's marker soup"))
    flows.complete("erin", "cleo", given)
    taken = flows.claim("erin", flows.share("cleo", group, title="Pears"))
    flows.complete("cleo", "erin", taken)
    for exchange, rater, comment in ((given, "erin", "marker thanks"), (given, "cleo", "lovely soup"),
                                     (taken, "erin", "marker pears")):
        assert call("POST", f"/exchanges/{exchange}/ratings", user=rater,
                    json={"stars": 5, "comment": comment}).status == 201
    assert call("PUT", "/me/privacy", user="erin", json={"leaderboard": False}).status == 200
    backbone.deliver()

    status, doc = _exported("erin", backbone)
    assert doc["format"] == "foodshare-export/1" and doc["userId"] == "erin" and doc["exportId"] == status["exportId"]
    assert doc["profile"]["display_name"] == "Erin Marker"
    assert doc["privacySettings"] == {"restricted": False, "leaderboard": False, "locationPrecision": "area"}
    assert [(m["group_id"], m["role"]) for m in doc["memberships"]] == [(group, "admin")]
    assert [(c["group_id"], c["version"]) for c in doc["consents"]] == [(group, 1)]
    assert [p["title"] for p in doc["posts"]] == ["Erin's marker soup"]
    assert sorted(e["role"] for e in doc["exchanges"]) == ["claimer", "sharer"]
    assert all(e["counterpart"]["pseudonym"] and e["counterpart"]["handle"].startswith("h-") for e in doc["exchanges"])
    assert sorted(r["comment"] for r in doc["ratingsGiven"]) == ["marker pears", "marker thanks"]
    assert [r["comment"] for r in doc["ratingsReceived"]] == ["lovely soup"]
    assert doc["ratingsReceived"][0]["rater"]["pseudonym"]
    assert doc["reputationHistory"] and doc["creditLedger"]
    assert sum(e["amount"] for e in doc["creditLedger"]) == doc["profile"]["credit_balance"]
    assert any(p.get("created_by") == "erin" for p in doc["partnerships"])
    assert [c["address"] for c in doc["chatLinks"]] == [CHAT_ID]
    assert {"objection", "access"} <= {r["type"] for r in doc["dataSubjectRequests"]}
    assert [e["export_id"] for e in doc["exports"]] == [status["exportId"]]
    kinds = {e["eventType"] for e in doc["events"]}
    assert {"UserRegistered", "GroupCreated", "FoodShared", "FoodClaimed", "ExchangeCompleted", "RatingSubmitted",
            "PartnershipProposed", "PrivacySettingsChanged", "ExportRequested"} <= kinds
    # Sanitised: other people appear only as the person's group knows them, never by their ids.
    text = json.dumps(doc)
    for other in ("cleo", "pat"):
        assert f'"{other}"' not in text and f'\\"{other}\\"' not in text  # nor inside a JSON-string attribute
    # The request is recorded, and completed once the document exists.
    records = call("GET", "/me/requests", user="erin").body["requests"]
    access, = [r for r in records if r["type"] == "access"]
    assert access["outcome"] == "completed" and access["completedAt"]


def test_an_export_names_no_other_person_not_even_inside_the_rating_graph(backbone):  # noqa: F811
    """A neighbour's rating graph (USER#<them>/GRAPH) names the person but is theirs, and would hand over third
    parties' ids; the person's own graph keys its pairs by the counterpart's id inside JSON strings."""
    for who in ("erin", "cleo", "dave"):
        flows.user(who)
    corner = flows.group("erin", "Corner")
    flows.join("cleo", corner, "erin")
    elsewhere = flows.group("cleo", "Elsewhere")  # erin is not in it and never meets dave
    flows.join("dave", elsewhere, "cleo")
    mine = flows.claim("cleo", flows.share("erin", corner, title="Soup"))
    flows.complete("erin", "cleo", mine)
    theirs = flows.claim("dave", flows.share("cleo", elsewhere, title="Bread"))
    flows.complete("cleo", "dave", theirs)
    for exchange, rater in ((mine, "erin"), (mine, "cleo"), (theirs, "dave"), (theirs, "cleo")):
        assert call("POST", f"/exchanges/{exchange}/ratings", user=rater, json={"stars": 5}).status == 201
    backbone.deliver()  # the fraud consumer writes USER#<u>/GRAPH for every rater and rated person

    _, doc = _exported("erin", backbone)
    text = json.dumps(doc)
    leaked = {other: [e for e in doc["other"] if other in json.dumps(e)] for other in ("cleo", "dave")}
    assert leaked == {"cleo": [], "dave": []}, json.dumps(leaked, indent=1)
    assert "cleo" not in text and "dave" not in text  # json.dumps keeps JSON-string attributes' contents
    graph, = [e for e in doc["other"] if "inbound" in e]  # erin's own: one pair each way, its counterpart unnamed
    assert {k: list(json.loads(graph[k])) for k in ("inbound", "outbound")} == {"inbound": ["someone else"],
                                                                                 "outbound": ["someone else"]}
    assert [count for count, *_ in json.loads(graph["inbound"])["someone else"]] == [1]
    # cleo's reputation history line for erin's rating is cleo's: its exact scores would tell her apart elsewhere
    assert not [e for e in doc["other"] if "new_score" in e or "previous_score" in e], doc["other"]
    assert doc["reputationHistory"], "erin's own history is hers"


def test_the_url_is_short_lived_the_object_encrypted_and_the_export_gone_after_seven_days(backbone):  # noqa: F811
    flows.user("erin")
    status, _ = _exported("erin", backbone)
    key, query = _object_of(status["downloadUrl"])
    assert query["X-Amz-Expires"] == ["300"]
    assert clock.parse_iso(status["urlExpiresAt"]) <= clock.now() + timedelta(seconds=300)
    head = _s3().head_object(Bucket=get_settings().export_bucket, Key=key)
    assert head["ServerSideEncryption"] == "AES256" and head["ContentType"] == "application/json"
    assert call("GET", f"/me/exports/{status['exportId']}", user="cleo").status == 404  # nobody else's
    clock.advance(7 * 24 * 3600 + 1)
    late = call("GET", f"/me/exports/{status['exportId']}", user="erin")
    assert late.status == 200 and late.body["status"] == "expired" and late.body["downloadUrl"] is None


def test_a_redelivered_request_builds_the_export_once(backbone):  # noqa: F811
    from foodshare.domain import exports

    flows.user("erin")
    status, _ = _exported("erin", backbone)
    assert exports.build("erin", status["exportId"]) is False  # ready already: nothing to do
    assert exports.build("erin", "no-such-export") is False


def test_asking_again_within_a_day_answers_the_last_export_rather_than_scanning_the_table_again(backbone):  # noqa: F811
    """Each build scans the whole table: a person (or a chat command retried after its record expired) asking again
    within a day gets the export already on its way or ready; after a day, or once it expired, a new one."""
    from foodshare.data.models import ExportItem

    flows.user("erin")
    first = call("POST", "/me/exports", user="erin")
    again = call("POST", "/me/exports", user="erin")
    assert first.status == again.status == 202 and again.body["exportId"] == first.body["exportId"]
    assert again.body["status"] == "pending"
    backbone.deliver()
    ready = call("POST", "/me/exports", user="erin")
    assert ready.body["exportId"] == first.body["exportId"] and ready.body["status"] == "ready"
    assert len(list(ExportItem.query("USER#erin", ExportItem.sk.startswith("EXPORT#")))) == 1

    clock.advance(24 * 3600 + 1)
    later = call("POST", "/me/exports", user="erin")
    assert later.status == 202 and later.body["exportId"] != first.body["exportId"]
    withdrawn = ExportItem.get(*ExportItem.key("erin", later.body["exportId"]))
    withdrawn.update(actions=[ExportItem.expires_at.set(clock.now_iso())])  # as an erasure of someone in it does
    renewed = call("POST", "/me/exports", user="erin")
    assert renewed.body["exportId"] not in (first.body["exportId"], later.body["exportId"])
