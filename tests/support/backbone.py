"""The event backbone on moto: the bus, each consumer's queue and DLQ, and the rules between them.

Built from `foodshare.catalog.CONSUMERS`, the same routing the CDK stack deploys: one
rule per consumer matching its event types (and their sources), targeting its queue,
whose redrive policy moves a message to the DLQ after `max_receive_count` receives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from foodshare.catalog import CONSUMERS, Consumer
from foodshare.events import EVENT_SOURCES
from foodshare.settings import get_settings


@dataclass(frozen=True)
class ConsumerQueue:
    consumer: Consumer
    url: str
    arn: str
    dlq_url: str


@lru_cache(maxsize=1)
def clients():
    """(events, sqs) boto3 clients, created once per process (moto intercepts them when active)."""
    import boto3

    region = get_settings().region
    return boto3.client("events", region_name=region), boto3.client("sqs", region_name=region)


def event_pattern(consumer: Consumer) -> dict:
    return {
        "source": sorted({EVENT_SOURCES[t] for t in consumer.event_types}),
        "detail-type": list(consumer.event_types),
    }


def create_bus() -> None:
    """The bus, and the table's stream feeding the outbox relay that publishes to it (tests/support/stream.py)."""
    from tests.support import stream

    events, _ = clients()
    events.create_event_bus(Name=get_settings().event_bus_name)
    stream.install()


def create_consumer_queues(consumers: tuple[Consumer, ...] = CONSUMERS) -> list[ConsumerQueue]:
    """Queues, DLQs, rules and targets for every consumer (the bus must exist)."""
    events, sqs = clients()
    bus = get_settings().event_bus_name
    created = []
    for consumer in consumers:
        name = f"{bus}-{consumer.name}"
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        redrive = {"deadLetterTargetArn": _arn(dlq_url), "maxReceiveCount": consumer.max_receive_count}
        url = sqs.create_queue(
            QueueName=name,
            Attributes={
                "VisibilityTimeout": str(consumer.visibility_timeout_seconds),
                "RedrivePolicy": json.dumps(redrive),
            },
        )["QueueUrl"]
        arn = _arn(url)
        events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(event_pattern(consumer)))
        events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": consumer.name, "Arn": arn}])
        created.append(ConsumerQueue(consumer, url, arn, dlq_url))
    return created


def _arn(queue_url: str) -> str:
    _, sqs = clients()
    return sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
