"""IAM against reality: the AWS calls each function makes in end-to-end flows, checked against its role.

The flows (module fixture `recorded`) run every catalog function in-process on moto
the way it runs deployed: bot secrets live in Secrets Manager and reach the functions
as `<NAME>_SECRET_ARN` (as the stack passes them), the chat platforms' APIs are a local
recorder, consumers get SQS batches of the events the flows committed, scheduled jobs
their scheduler invocation. Each recorded (function, action, resource) must be allowed
by that function's role in the synthesized `dev` and `prod` templates; grants no flow
used are printed (run with -s), not failed: Lambda uses some on the function's behalf.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass

import pytest
from foodshare.catalog import BOT_SECRETS

from tests.infra.aws_calls import Call, Resolver, bindings, grants, invoking, recording
from tests.infra.cfn import catalog_entries, function, role_statements
from tests.infra.test_egress import SERVICE_SIDE

SECRET_VALUES = {
    "TELEGRAM_BOT_TOKEN": "123456:TEST-token",
    "TELEGRAM_WEBHOOK_SECRET": "tg-webhook-secret",
    "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5",
    "SLACK_BOT_TOKEN": "xoxb-test",
}


def _sqs_batch(details: list[dict]) -> dict:
    from tests.bots.events import sqs_batch

    return sqs_batch(*details)


def _events(event_types: tuple[str, ...]) -> list[dict]:
    """The committed events of these types, from the event store (other items share its attribute names)."""
    import json

    from foodshare.data.models import EventItem

    items = EventItem.scan(EventItem.event_type.is_in(*event_types) & EventItem.detail.exists())
    return sorted((json.loads(item.detail) for item in items), key=lambda d: d["eventId"])


def _run_flows(recorder) -> None:
    """Every function at least once, through the paths the API, the bots, the bus and the scheduler take."""
    from foodshare import catalog, clock

    from tests.bots import chat
    from tests.bots.chat import GROUP_CHAT, TgUser, action, message, telegram
    from tests.support import api, flows
    from tests.support.api import call

    def announce() -> None:
        answer = api.invoke(_sqs_batch(_events(("FoodShared",))), "announcements")
        assert not answer.get("batchItemFailures"), answer

    # HTTP API: the README tour's functions.
    assert call("GET", "/health").status == 200
    people = flows.community()
    sharer, claimer, group_id = people["sharer"], people["claimer"], people["group"]
    flows.user("pat")
    other = flows.group("pat", "Next Door")
    flows.partnership(sharer, group_id, "pat", other)
    assert call("GET", "/me", user=claimer).status == 200
    food_id = flows.share(sharer, group_id)
    assert call("GET", f"/food/{food_id}", user=claimer).status == 200
    assert call("GET", "/food", user=claimer).status == 200
    exchange_id = flows.claim(claimer, food_id)
    flows.complete(sharer, claimer, exchange_id)
    rated = call("POST", f"/exchanges/{exchange_id}/ratings", user=claimer, json={"stars": 5})
    assert rated.status == 201
    assert call("GET", f"/users/{rated.body['ratedUser']['handle']}/reputation", user=claimer).status == 200
    assert call("GET", "/me/credits", user=claimer).status == 200
    assert call("GET", f"/groups/{group_id}/summary", user=claimer).status == 200
    withdrawn = flows.share(sharer, group_id, title="Apples")
    assert call("DELETE", f"/food/{withdrawn}", user=sharer).status == 200
    flows.share(sharer, group_id, title="Pears")  # left unclaimed: the expiry job expires it
    # Privacy: choices, the record of requests, and an erasure (the erasure consumer's Scan, below).
    assert call("PUT", "/me/privacy", user="pat", json={"leaderboard": False}).status == 200
    assert call("GET", "/me/requests", user="pat").status == 200
    exported = call("POST", "/me/exports", user="pat")
    assert exported.status == 202
    flows.user("quinn")
    assert call("POST", "/me/exports", user="quinn").status == 202  # erasure deletes its document
    code = call("POST", "/me/erasure", user="quinn").body["confirmationCode"]
    assert call("DELETE", "/me", user="quinn", json={"confirmationCode": code}).status == 202  # swept by `erasure`

    # Trust and safety: a claim quota, a report, the moderation queue, an action and its appeal.
    quota = {"maxClaims": 5, "windowHours": 168, "liftHours": 2}
    assert call("PUT", f"/groups/{group_id}/claim-quota", user=sharer, json=quota).status == 200
    from tests.support.flows import handle

    report = call("POST", "/reports", user=sharer,
                  json={"subjectType": "user", "subjectId": handle(claimer, group_id), "reason": "late"})
    assert report.status == 201, report.body
    assert call("GET", f"/groups/{group_id}/moderation", user=sharer).status == 200
    warned = call("POST", f"/groups/{group_id}/moderation/actions", user=sharer,
                  json={"action": "warn", "reason": "Came an hour late", "reportId": report.body["reportId"]})
    assert warned.status == 201, warned.body
    assert call("GET", "/me/moderation", user=claimer).status == 200
    appeal = call("POST", "/appeals", user=claimer, json={"actionId": warned.body["actionId"]})
    assert appeal.status == 201, appeal.body

    # Telegram: a group, a private chat, a share and a claim button (answerCallbackQuery goes out).
    alice, bob = TgUser(111111, "Alice"), TgUser(222222, "Bob")
    for person in (alice, bob):
        assert telegram(message(person, GROUP_CHAT, "/start")).status == 200
    assert telegram(message(alice, chat.private_chat(alice), "/start")).status == 200
    assert telegram(message(alice, GROUP_CHAT, "/share Soup | 2 | 2h | 52.37,4.89 Hall")).status == 200
    announce()  # the group chat's announcement carries the Claim button
    announced = [m for m in recorder.sent("sendMessage") if any(
        b["callback_data"].startswith("claim:") for b in chat.buttons(m))][-1]
    assert telegram(chat.button(bob, GROUP_CHAT, action(announced, "claim:"))).status == 200

    # Slack: a share in a channel, its announcement, a claim button whose follow-up goes to response_url.
    for person in ("U0ANNA", "U0BEN"):
        assert chat.slack(chat.slash(person, "start")).status == 200
    assert chat.slack(chat.slash("U0ANNA", "share")).status == 200  # the share form: views.open with the bot token
    assert recorder.sent("views.open")
    assert chat.slack(chat.slash("U0ANNA", "share Curry | 2 | 2h | 52.52,13.40 Café")).status == 200
    recorder.script("chat.postMessage", (200, {"ok": True, "channel": chat.CHANNEL["id"], "ts": "1700000000.000100"}, {}))
    announce()
    claim = recorder.sent("chat.postMessage")[-1]["blocks"][1]["elements"][0]["value"]
    assert chat.slack(chat.block_action("U0BEN", claim, f"{recorder.url}/slack/response")).status == 200

    # The bus: each consumer gets the committed events its rule matches, as an SQS batch.
    for consumer in catalog.CONSUMERS:
        batch = _events(consumer.event_types)
        assert batch, f"the flows committed no event for {consumer.name}"
        answer = api.invoke(_sqs_batch(batch), consumer.name)
        assert not answer.get("batchItemFailures"), (consumer.name, answer)

    ready = call("GET", f"/me/exports/{exported.body['exportId']}", user="pat")  # presigned with the users role
    assert ready.body["status"] == "ready" and ready.body["downloadUrl"]

    # The scheduler: the jobs once the pickup windows are over.
    clock.advance(6 * 3600)  # past every pickup window, within the job's 48 h lookback
    for job in catalog.SCHEDULED_JOBS:
        api.invoke({"source": "aws.scheduler"}, job.name)
    assert _events(("FoodExpired",)), "the expiry job expired nothing"


@dataclass(frozen=True)
class Recorded:
    calls: list[Call]
    environment: dict[str, str]  # the environment the functions ran with (names, secret ARNs)


@pytest.fixture(scope="module")
def recorded() -> Recorded:
    from aws_lambda_powertools.utilities import parameters
    from foodshare.redis_client import get_client
    from foodshare.settings import get_settings

    from tests.bots import chat
    from tests.bots.recorder import Recorder
    from tests.support.aws import aws_environment

    server = Recorder().start()
    with pytest.MonkeyPatch.context() as patch, aws_environment():
        import boto3

        client = boto3.client("secretsmanager", region_name=get_settings().region)
        for name in BOT_SECRETS:
            arn = client.create_secret(Name=f"foodshare/test/{name.lower()}", SecretString=SECRET_VALUES[name])["ARN"]
            patch.delenv(name, raising=False)
            patch.setenv(f"{name}_SECRET_ARN", arn)
        patch.setenv("TELEGRAM_API_BASE", server.url)
        patch.setenv("SLACK_API_BASE", f"{server.url}/slack")
        patch.setenv("TELEGRAM_BOT_USERNAME", chat.BOT_NAME)
        get_settings.cache_clear()
        parameters.clear_caches()
        redis = get_client()
        if redis is not None:
            redis.flushdb()
        from tests.support import api

        plain_invoke = api.invoke

        def invoke(event: dict, function: str) -> dict:
            parameters.clear_caches()  # each function has its own containers: nothing cached by another
            with invoking(function):
                return plain_invoke(event, function)

        patch.setattr(api, "invoke", invoke)
        try:
            with recording() as calls:
                _run_flows(server)
            environment = dict(os.environ)
        finally:
            server.stop()
            get_settings.cache_clear()
            parameters.clear_caches()
        return Recorded(calls, environment)


def _check(synth, calls: list[Call], environment: dict[str, str]) -> tuple[list[str], list[str]]:
    """(calls the role does not allow, grants no call used), one line each."""
    denied, unused = [], []
    by_function: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for c in calls:
        by_function[c.function].add((c.action, c.resource))
    for name in sorted(synth.catalog.names()):
        fn = function(synth, name)
        resolve = Resolver(synth.resources, bindings(fn, environment), environment["AWS_REGION"])
        role = grants(role_statements(synth, name), resolve)
        for action, resource in sorted(by_function.get(name, ())):
            if not any(g.allows(action, resource) for g in role):
                granted = "; ".join(g.describe() for g in role if action.split(":")[0] in " ".join(g.actions))
                denied.append(f"{name}: {action} on {resource} is not allowed; its role grants "
                              f"{granted or 'nothing for ' + action.split(':')[0]}")
        idle = sorted({
            pattern
            for g in role
            for pattern in g.actions
            if pattern not in SERVICE_SIDE and not any(g.allows(a, r) for a, r in by_function.get(name, ())
                                                       if _matches(a, pattern))
        })
        if idle:
            unused.append(f"{name}: {', '.join(idle)}")
    return denied, unused


def _matches(action: str, pattern: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def test_the_flows_run_every_function(recorded, prod):
    assert {c.function for c in recorded.calls} == prod.catalog.names()


def test_declared_secrets_are_the_ones_read(recorded, prod):
    """The catalog's `secrets` (what the stack grants) are exactly what each function read in the flows."""
    arns = {recorded.environment[f"{name}_SECRET_ARN"]: name for name in BOT_SECRETS}
    read: dict[str, set[str]] = defaultdict(set)
    for c in recorded.calls:
        if c.action == "secretsmanager:GetSecretValue":
            read[c.function].add(arns[c.resource])
    declared = {name: set(e.secrets) for name, e in catalog_entries(prod).items() if e.secrets}
    assert dict(read) == declared


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_each_recorded_call_is_allowed_by_the_functions_role(request, recorded, stage):
    synth = request.getfixturevalue(stage)
    denied, unused = _check(synth, recorded.calls, recorded.environment)
    print(f"\n{stage}: actions granted that no flow used (besides what Lambda does for the function):")
    print("\n".join(f"  {line}" for line in unused))
    assert not denied, "\n".join(denied)
