"""Bus, archive, outbox pipe, and per consumer: queue, DLQ, rule and trigger; per job: a schedule."""

from __future__ import annotations

import json

import pytest
from foodshare.data import schema

from tests.infra.cfn import arn_of, function, live_alias_id, of_type, props, queue_id, refers_to


def _prefix(synth) -> str:
    return f"foodshare-{synth.config.name}"


def test_bus_with_archive(synth):
    ((bus_id, bus),) = of_type(synth, "AWS::Events::EventBus").items()
    assert props(bus)["Name"] == _prefix(synth)
    (archive,) = of_type(synth, "AWS::Events::Archive").values()
    assert props(archive)["SourceArn"] == arn_of(bus_id)
    assert props(archive)["RetentionDays"] == synth.config.archive_retention_days


def test_every_queue_is_encrypted_and_refuses_plain_http(synth):
    queues = of_type(synth, "AWS::SQS::Queue")
    assert queues
    policies = list(of_type(synth, "AWS::SQS::QueuePolicy").values())
    for queue_id_, queue in queues.items():
        assert props(queue)["SqsManagedSseEnabled"] is True
        statements = [
            s
            for p in policies
            if {"Ref": queue_id_} in props(p)["Queues"]
            for s in props(p)["PolicyDocument"]["Statement"]
        ]
        assert {
            "Action": "sqs:*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": arn_of(queue_id_),
        } in statements


def test_each_consumer_has_a_queue_redriving_to_its_own_dlq(synth):
    for consumer in synth.catalog.consumers:
        queue = props(synth.resources[queue_id(synth, f"{_prefix(synth)}-{consumer.name}")])
        dlq_id = queue_id(synth, f"{_prefix(synth)}-{consumer.name}-dlq")
        assert queue["VisibilityTimeout"] == consumer.visibility_timeout_seconds
        assert queue["RedrivePolicy"] == {
            "deadLetterTargetArn": arn_of(dlq_id),
            "maxReceiveCount": consumer.max_receive_count,
        }
        assert props(synth.resources[dlq_id])["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_each_consumer_has_a_rule_for_its_event_types_with_dlq_and_retries(synth):
    rules = {props(r)["Name"]: props(r) for r in of_type(synth, "AWS::Events::Rule").values()}
    assert len(rules) == len(synth.catalog.consumers)
    (bus_id,) = of_type(synth, "AWS::Events::EventBus")
    delivery_dlq = arn_of(queue_id(synth, f"{_prefix(synth)}-delivery-dlq"))
    for consumer in synth.catalog.consumers:
        rule = rules[f"{_prefix(synth)}-{consumer.name}"]
        assert rule["EventBusName"] == {"Ref": bus_id}
        assert sorted(rule["EventPattern"]["detail-type"]) == sorted(consumer.event_types)
        assert rule["EventPattern"]["source"] == synth.catalog.sources_of(consumer.event_types)
        (target,) = rule["Targets"]
        assert target["Arn"] == arn_of(queue_id(synth, f"{_prefix(synth)}-{consumer.name}"))
        assert target["DeadLetterConfig"] == {"Arn": delivery_dlq}
        assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
        assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 24 * 3600


def test_the_fake_catalog_exercises_rules_across_sources(fake):
    projector = fake.catalog.consumers[0]
    assert fake.catalog.sources_of(projector.event_types) == ["foodshare.credit", "foodshare.food"]


def test_each_scheduled_job_has_a_schedule_with_dlq_and_retries(synth):
    schedules = {props(s)["Name"]: props(s) for s in of_type(synth, "AWS::Scheduler::Schedule").values()}
    assert len(schedules) == len(synth.catalog.scheduled_jobs)
    delivery_dlq = arn_of(queue_id(synth, f"{_prefix(synth)}-delivery-dlq"))
    for job in synth.catalog.scheduled_jobs:
        schedule = schedules[f"{_prefix(synth)}-{job.name}"]
        minutes = job.every_seconds // 60
        assert schedule["ScheduleExpression"] == f"rate({minutes} minute{'s' if minutes > 1 else ''})"
        assert schedule["Target"]["Arn"] == {"Ref": live_alias_id(synth, job.name)}  # a version: SnapStart
        assert schedule["Target"]["DeadLetterConfig"] == {"Arn": delivery_dlq}
        assert schedule["Target"]["RetryPolicy"]["MaximumRetryAttempts"] > 0


def test_the_fake_catalog_exercises_schedules(fake):
    assert len(of_type(fake, "AWS::Scheduler::Schedule")) == 1


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_stages_deliver_the_outbox_from_the_stream_to_the_relay_without_a_pipe(stage, request):
    from foodshare.catalog import OUTBOX_RELAY, OUTBOX_STREAM_FILTER

    synth = request.getfixturevalue(stage)
    assert synth.config.outbox_delivery == "stream"
    assert not of_type(synth, "AWS::Pipes::Pipe")
    (table_id,) = of_type(synth, "AWS::DynamoDB::GlobalTable")
    (mapping,) = [props(m) for m in of_type(synth, "AWS::Lambda::EventSourceMapping").values()
                  if props(m)["EventSourceArn"] == {"Fn::GetAtt": [table_id, "StreamArn"]}]
    assert refers_to(mapping["FunctionName"], live_alias_id(synth, OUTBOX_RELAY.name))  # a version: SnapStart
    (flt,) = mapping["FilterCriteria"]["Filters"]
    assert json.loads(flt["Pattern"]) == OUTBOX_STREAM_FILTER
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["BatchSize"] == OUTBOX_RELAY.batch_size
    assert mapping["MaximumBatchingWindowInSeconds"] == 0  # publish at once
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == OUTBOX_RELAY.retry_attempts
    assert mapping["MaximumRecordAgeInSeconds"] == OUTBOX_RELAY.max_record_age_seconds
    destination = mapping["DestinationConfig"]["OnFailure"]["Destination"]
    assert destination == arn_of(queue_id(synth, f"{_prefix(synth)}-delivery-dlq"))
    environment = function(synth, OUTBOX_RELAY.name)["Environment"]["Variables"]
    assert environment["OUTBOX_DELIVERY"] == "stream"
    assert "VpcConfig" not in function(synth, OUTBOX_RELAY.name)  # reaches DynamoDB and EventBridge directly


def test_outbox_pipe_forwards_inserted_event_log_items_to_the_bus(fake):
    synth = fake
    assert synth.config.outbox_delivery == "pipe"
    (pipe,) = of_type(synth, "AWS::Pipes::Pipe").values()
    pipe = props(pipe)
    (table_id,) = of_type(synth, "AWS::DynamoDB::GlobalTable")
    (bus_id,) = of_type(synth, "AWS::Events::EventBus")
    assert pipe["Source"] == {"Fn::GetAtt": [table_id, "StreamArn"]}
    assert pipe["Target"] == arn_of(bus_id)
    (flt,) = pipe["SourceParameters"]["FilterCriteria"]["Filters"]
    assert json.loads(flt["Pattern"]) == {
        "eventName": ["INSERT"],
        "dynamodb": {"Keys": {schema.HASH_KEY: {"S": [{"prefix": "EVENTLOG#"}]}}},
    }
    stream = pipe["SourceParameters"]["DynamoDBStreamParameters"]
    assert stream["DeadLetterConfig"] == {"Arn": arn_of(queue_id(synth, f"{_prefix(synth)}-delivery-dlq"))}
    assert stream["BatchSize"] <= 10  # PutEvents limit
    target = pipe["TargetParameters"]
    assert target["InputTemplate"] == "<$.dynamodb.NewImage.detail.S>"
    assert target["EventBridgeEventBusParameters"] == {
        "Source": "$.dynamodb.NewImage.source.S",
        "DetailType": "$.dynamodb.NewImage.event_type.S",
    }
