"""The event backbone per test: queues, DLQs and rules from the catalog, and an emulated event source per queue."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from tests.support import backbone as local_backbone
from tests.support.event_source import SqsEventSource, drain, function_invoker


@dataclass
class Backbone:
    sources: dict[str, SqsEventSource]

    def deliver(self) -> int:
        """Run every consumer until its queue is empty (failed records retried at once)."""
        return drain(list(self.sources.values()))

    def queued(self, consumer: str) -> list[dict]:
        """The EventBridge events waiting in a consumer's queue (left there: visibility 0)."""
        return _peek(self.sources[consumer].queue.url)

    def dead_letters(self, consumer: str) -> list[dict]:
        return _peek(self.sources[consumer].queue.dlq_url)


def _peek(url: str) -> list[dict]:
    _, sqs = local_backbone.clients()
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


@pytest.fixture
def backbone() -> Backbone:
    queues = local_backbone.create_consumer_queues()
    return Backbone({q.consumer.name: SqsEventSource(q, function_invoker(q.consumer.name), retry_after_seconds=0)
                     for q in queues})
