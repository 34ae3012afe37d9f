"""End-to-end flows through the deployed template's API Gateway, on the emulator.

Everything here is what `cdk deploy` would create, running: the JWT authorizer, the routes,
each function in its own worker processes, the relay to EventBridge, the rules to the
consumers' queues, the event source mappings, the schedules, the DLQs. Users are named per
test so the session's one stack can be shared.
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from tests.support.stack import eventually

BERLIN = {"lat": 52.52, "lng": 13.405}


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _names(prefix: str, count: int) -> list[str]:
    run = uuid.uuid4().hex[:6]
    return [f"{prefix}-{run}-{n}" for n in range(count)]


def _profile(stack, user: str) -> None:
    reply = stack.call("PUT", "/me", user=user, json={"displayName": user[:20], "location": BERLIN})
    assert reply.status == 200, reply


def _group(stack, admin: str, name: str = "Kiez Kitchen") -> str:
    reply = stack.call("POST", "/groups", user=admin, json={"name": name})
    assert reply.status == 201, reply
    return reply.body["groupId"]


def _join(stack, user: str, group_id: str, admin: str) -> None:
    code = stack.call("POST", f"/groups/{group_id}/invites", user=admin).body["inviteCode"]
    reply = stack.call("POST", "/groups/join", user=user, json={"inviteCode": code})
    assert reply.status == 200, reply


def _share(stack, user: str, group_id: str, *, start: datetime | None = None, end: datetime | None = None) -> str:
    now = datetime.now(timezone.utc)
    start = start or now + timedelta(hours=1)
    end = end or start + timedelta(hours=2)
    reply = stack.call("POST", "/food", user=user, json={
        "groupId": group_id, "title": "Soup", "quantity": 1, "pickupLocation": {**BERLIN, "label": "Door"},
        "pickupStart": _iso(start), "pickupEnd": _iso(end)})
    assert reply.status == 201, reply
    return reply.body["foodId"]


def _warm(stack, method: str, path: str, users: list[str]) -> None:
    """Start the function's workers first (as provisioned concurrency would): the race is about
    the conditional write, not about cold starts on a loaded 2-core machine."""
    with ThreadPoolExecutor(len(users)) as pool:
        list(pool.map(lambda u: stack.call(method, path, user=u, timeout=120), users))


@pytest.fixture(scope="module")
def expiring_post(served_stack):
    """Shared first (its window ends in seconds), checked last: the schedule runs every minute."""
    sharer = _names("expiry", 1)[0]
    _profile(served_stack, sharer)
    group_id = _group(served_stack, sharer)
    now = datetime.now(timezone.utc)
    # 15 s: the share may meet a cold posting worker (its first call also fetches the identity key)
    return _share(served_stack, sharer, group_id, start=now - timedelta(hours=1), end=now + timedelta(seconds=15)), sharer


def test_a_post_is_shared_that_the_schedule_will_expire(expiring_post, served_stack):
    food_id, sharer = expiring_post
    assert served_stack.call("GET", f"/food/{food_id}", user=sharer).body["status"] == "available"


def test_fifty_claimers_exactly_one_wins(served_stack):
    sharer, *claimers = _names("race", 51)
    _profile(served_stack, sharer)
    group_id = _group(served_stack, sharer)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda u: (_profile(served_stack, u), _join(served_stack, u, group_id, sharer)), claimers))
    food_id = _share(served_stack, sharer, group_id)
    _warm(served_stack, "POST", "/food/no-such-food/claims", claimers[:5])
    barrier = threading.Barrier(len(claimers))

    def claim(user):
        barrier.wait()
        return user, served_stack.call("POST", f"/food/{food_id}/claims", user=user, timeout=120)

    with ThreadPoolExecutor(len(claimers)) as pool:  # any connection error raises here
        replies = dict(pool.map(claim, claimers))
    outcomes = Counter(reply.status for reply in replies.values())
    assert outcomes == {201: 1, 409: 49}, outcomes
    assert {r.error_code for r in replies.values() if r.status == 409} == {"already_claimed"}
    assert served_stack.call("GET", f"/food/{food_id}", user=sharer).body["status"] == "claimed"


def test_an_export_is_built_from_its_queue_into_the_bucket_and_downloaded(served_stack):
    """POST /me/exports -> ExportRequested -> bus -> the exports queue -> the consumer -> the emulator's
    bucket; GET /me/exports/{id} presigns a URL that downloads the document."""
    import urllib.request

    (erin,) = _names("export", 1)
    _profile(served_stack, erin)
    food_id = _share(served_stack, erin, _group(served_stack, erin, "Export Street"))
    asked = served_stack.call("POST", "/me/exports", user=erin)
    assert asked.status == 202 and asked.body["status"] == "pending", asked
    path = f"/me/exports/{asked.body['exportId']}"
    ready = eventually(lambda: served_stack.call("GET", path, user=erin).body.get("downloadUrl"), 90)
    assert ready, served_stack.call("GET", path, user=erin)
    with urllib.request.urlopen(ready, timeout=30) as answer:
        document = json.loads(answer.read())
    assert document["userId"] == erin and [p["food_id"] for p in document["posts"]] == [food_id]
    assert {"UserRegistered", "GroupCreated", "FoodShared", "ExportRequested"} <= {e["eventType"] for e in document["events"]}


def test_an_erasure_is_accepted_at_once_and_swept_from_its_queue(served_stack):
    """DELETE /me -> 202 (frozen) -> ErasureStarted -> bus -> the erasure queue -> the consumer winds the account
    down and records one ErasureSegmentRequested per segment -> the same way, one segment an invocation ->
    GET /me/erasure/{id} reads completed."""
    (erin,) = _names("erasure", 1)
    _profile(served_stack, erin)
    food_id = _share(served_stack, erin, _group(served_stack, erin, "Erasure Street"))
    code = served_stack.call("POST", "/me/erasure", user=erin).body["confirmationCode"]
    accepted = served_stack.call("DELETE", "/me", user=erin, json={"confirmationCode": code})
    assert accepted.status == 202 and accepted.body["status"] == "in_progress", accepted
    assert served_stack.call("GET", "/me", user=erin).error_code == "account_erased"
    path = f"/me/erasure/{accepted.body['requestId']}"
    done = eventually(lambda: served_stack.call("GET", path, user=erin).body.get("status") == "completed", 120)
    assert done, served_stack.call("GET", path, user=erin)
    swept = served_stack.call("GET", path, user=erin).body
    assert swept["segmentsDone"] == swept["segmentsTotal"] and swept["completedAt"]
    assert served_stack.call("GET", f"/food/{food_id}", user=erin).status == 404  # they are nobody there now


def test_partner_group_member_claims_and_the_consumer_updates_reputation(served_stack):
    sam, bo = _names("partner", 2)
    for user in (sam, bo):
        _profile(served_stack, user)
    group_a, group_b = _group(served_stack, sam, "Kiez A"), _group(served_stack, bo, "Kiez B")
    proposal = served_stack.call("POST", f"/groups/{group_a}/partnerships", user=sam, json={
        "targetGroupId": group_b, "terms": {"maxDistanceKm": 15, "minReputation": 0}})  # a new member's score is 60
    assert proposal.status == 201, proposal
    accepted = served_stack.call("POST", f"/partnerships/{proposal.body['partnershipId']}/accept", user=bo)
    assert accepted.status == 200, accepted
    food_id = _share(served_stack, sam, group_a)
    seen = served_stack.call("GET", "/food", user=bo, query={"lat": BERLIN["lat"], "lng": BERLIN["lng"]})
    assert food_id in [item["foodId"] for item in seen.body["items"]], seen
    claimed = served_stack.call("POST", f"/food/{food_id}/claims", user=bo)
    assert claimed.status == 201, claimed
    exchange = claimed.body["exchangeId"]
    for user in (bo, sam):
        assert served_stack.call("POST", f"/exchanges/{exchange}/confirm", user=user).status == 200
    assert served_stack.call("POST", f"/exchanges/{exchange}/ratings", user=bo, json={"stars": 5}).status == 201
    # RatingSubmitted: relay -> EventBridge -> rule -> the consumer's queue -> event source mapping -> consumer
    history = eventually(lambda: served_stack.call("GET", f"/users/{sam}/reputation", user=sam).body.get("history"), 60)
    assert history, "the reputation consumer never applied the rating"


def test_a_poison_message_lands_in_the_dead_letter_queue(served_stack):
    sqs = served_stack.client("sqs")
    urls = sqs.list_queues()["QueueUrls"]
    queue = next(u for u in urls if "reputation" in u.lower() and "dlq" not in u.lower())
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    dlq_arn = json.loads(attributes["RedrivePolicy"])["deadLetterTargetArn"]
    dlq = next(u for u in urls if u.rsplit("/", 1)[-1] == dlq_arn.rsplit(":", 1)[-1])
    # Operational, not the template: retry after 1 s instead of the deployed visibility timeout.
    sqs.set_queue_attributes(QueueUrl=queue, Attributes={"VisibilityTimeout": "1"})
    marker = f"poison-{uuid.uuid4().hex}"
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"detail-type": "RatingSubmitted", "detail": marker}))

    def dead_lettered():
        got = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        return [m for m in got if marker in m["Body"]]

    assert eventually(dead_lettered, 90), "the poison message never reached the DLQ"


def test_two_hundred_clients_connecting_at_once_all_get_answers(served_stack):
    host, port = served_stack.api_url.rsplit("//", 1)[1].split(":")
    barrier = threading.Barrier(200)

    def knock(_):
        barrier.wait()
        with socket.create_connection((host, int(port)), timeout=60) as sock:
            sock.sendall(f"GET /health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        return data.split(b" ", 2)[1]

    with ThreadPoolExecutor(200) as pool:  # a reset raises ConnectionResetError here
        statuses = Counter(pool.map(knock, range(200)))
    assert set(statuses) <= {b"200", b"503"} and sum(statuses.values()) == 200, statuses


@pytest.mark.parametrize("method", ["TRACE", "PATCH", "FOO"])
def test_unknown_methods_get_the_gateways_json_answer_never_501(served_stack, method):
    reply = served_stack.call(method, "/food", user="anyone")
    assert reply.status in (404, 405), reply
    assert isinstance(reply.body, dict), reply


def test_tokens_are_checked_by_the_authorizer(served_stack):
    assert served_stack.call("GET", "/me").status == 401
    assert served_stack.call("GET", "/me", headers={"authorization": "Bearer not-a-jwt"}).status == 401
    assert served_stack.call("GET", "/health").status == 200  # public route


def test_concurrent_callers_each_get_their_own_answer(served_stack):
    users = _names("caller", 8)
    for user in users:
        _profile(served_stack, user)
    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(lambda u: (u, served_stack.call("GET", "/me", user=u)), users * 3))
    assert all(reply.body["userId"] == user for user, reply in replies)


def test_the_schedule_expired_the_post(expiring_post, served_stack):
    food_id, sharer = expiring_post
    status = eventually(lambda: served_stack.call("GET", f"/food/{food_id}", user=sharer).body["status"] == "expired", 150, 3)
    assert status, "food_expiry never ran on its schedule"
