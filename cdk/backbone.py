"""The event backbone: bus with archive, outbox delivery, and one queue + DLQ + rule per consumer.

Delivery path (outbox), chosen by cdk.json `outbox_delivery`: a state change writes an
`EVENTLOG#...` item in the same transaction; with "pipe" the table's stream feeds an
EventBridge Pipe that keeps only INSERTs of those items and puts `detail` (the stored
envelope) on the bus with the item's `source` and `event_type` as source and
detail-type. With "relay" the functions publish themselves (after-commit hook and the
outbox sweeper job) and no pipe exists: see cdk/functions.py.
"""

from __future__ import annotations

import json

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from foodshare.catalog import Consumer
from foodshare.data import schema

from cdk.catalog import Catalog
from cdk.config import StageConfig
from cdk.nag import acknowledge
from cdk.queues import dead_letter_queue, encrypted_queue

EVENT_LOG_PREFIX = "EVENTLOG#"
# A rule target retries a failing delivery for at most an hour, then parks it in the
# delivery DLQ; EventBridge's default (185 tries over 24 h) would hide an outage.
RULE_RETRY_ATTEMPTS = 8
RULE_MAX_EVENT_AGE = Duration.hours(1)
# The pipe retries a failing batch before parking it; records outlive neither a day.
PIPE_RETRY_ATTEMPTS = 10
PIPE_MAX_RECORD_AGE_SECONDS = 86_400
PIPE_BATCH_SIZE = 10  # PutEvents takes at most 10 entries


class ConsumerQueue:
    """The queue a consumer is fed from, with its own DLQ."""

    def __init__(self, scope: Construct, consumer: Consumer, prefix: str) -> None:
        self.consumer = consumer
        self.dlq = dead_letter_queue(scope, f"{consumer.name}Dlq", f"{prefix}-{consumer.name}-dlq")
        self.queue = encrypted_queue(
            scope,
            f"{consumer.name}Queue",
            f"{prefix}-{consumer.name}",
            visibility_timeout=Duration.seconds(consumer.visibility_timeout_seconds),
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dlq, max_receive_count=consumer.max_receive_count),
        )


class Backbone(Construct):
    def __init__(
        self, scope: Construct, id: str, *, config: StageConfig, catalog: Catalog, table: dynamodb.ITableV2
    ) -> None:
        super().__init__(scope, id)
        prefix = f"foodshare-{config.name}"
        self.bus = events.EventBus(self, "Bus", event_bus_name=prefix)
        self.bus.archive(
            "Archive",
            archive_name=f"{prefix}-archive",
            event_pattern=events.EventPattern(account=[Stack.of(self).account]),
            retention=Duration.days(config.archive_retention_days),
        )
        # Where the rules, the pipe and the schedules park what they could not deliver.
        self.delivery_dlq = dead_letter_queue(self, "DeliveryDlq", f"{prefix}-delivery-dlq")
        acknowledge(
            self.delivery_dlq,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the rule, pipe and schedule targets.",
        )
        self.consumer_queues = [ConsumerQueue(self, consumer, prefix) for consumer in catalog.consumers]
        for cq in self.consumer_queues:
            acknowledge(
                cq.dlq, "AwsSolutions-SQS3", f"This queue is the dead-letter queue of {cq.consumer.name}'s queue."
            )
            self._route(cq, catalog, prefix)
        if config.outbox_delivery == "pipe":
            self._outbox_pipe(prefix, table)

    def _route(self, cq: ConsumerQueue, catalog: Catalog, prefix: str) -> None:
        """The rule that copies the consumer's event types from the bus into its queue."""
        events.Rule(
            self,
            f"{cq.consumer.name}Rule",
            rule_name=f"{prefix}-{cq.consumer.name}",
            event_bus=self.bus,
            event_pattern=events.EventPattern(
                source=catalog.sources_of(cq.consumer.event_types), detail_type=list(cq.consumer.event_types)
            ),
            targets=[
                targets.SqsQueue(
                    cq.queue,
                    dead_letter_queue=self.delivery_dlq,
                    retry_attempts=RULE_RETRY_ATTEMPTS,
                    max_event_age=RULE_MAX_EVENT_AGE,
                )
            ],
        )

    def _outbox_pipe(self, prefix: str, table: dynamodb.ITableV2) -> pipes.CfnPipe:
        role = iam.Role(self, "OutboxPipeRole", assumed_by=iam.ServicePrincipal("pipes.amazonaws.com"))
        table.grant_stream_read(role)
        self.bus.grant_put_events_to(role)
        self.delivery_dlq.grant_send_messages(role)
        new_image = "$.dynamodb.NewImage"
        return pipes.CfnPipe(
            self,
            "OutboxPipe",
            name=f"{prefix}-outbox",
            description="Publishes each event-log item written by a transaction to the bus",
            role_arn=role.role_arn,
            source=table.table_stream_arn,
            source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                dynamo_db_stream_parameters=pipes.CfnPipe.PipeSourceDynamoDBStreamParametersProperty(
                    starting_position="TRIM_HORIZON",
                    batch_size=PIPE_BATCH_SIZE,
                    maximum_retry_attempts=PIPE_RETRY_ATTEMPTS,
                    maximum_record_age_in_seconds=PIPE_MAX_RECORD_AGE_SECONDS,
                    dead_letter_config=pipes.CfnPipe.DeadLetterConfigProperty(arn=self.delivery_dlq.queue_arn),
                ),
                filter_criteria=pipes.CfnPipe.FilterCriteriaProperty(
                    filters=[pipes.CfnPipe.FilterProperty(pattern=json.dumps(outbox_filter()))]
                ),
            ),
            target=self.bus.event_bus_arn,
            target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
                input_template=f"<{new_image}.detail.S>",
                event_bridge_event_bus_parameters=pipes.CfnPipe.PipeTargetEventBridgeEventBusParametersProperty(
                    source=f"{new_image}.source.S", detail_type=f"{new_image}.event_type.S"
                ),
            ),
        )


def outbox_filter() -> dict:
    """Stream records the pipe forwards: newly inserted event-log items only."""
    return {"eventName": ["INSERT"], "dynamodb": {"Keys": {schema.HASH_KEY: {"S": [{"prefix": EVENT_LOG_PREFIX}]}}}}
