"""Routing from the catalog (each rule), and the emulated SQS event source's Lambda semantics."""

from __future__ import annotations

import json

from foodshare.catalog import CONSUMERS, Consumer
from foodshare.events import EVENT_SOURCES
from foodshare.settings import get_settings
from tests.support import backbone as local_backbone
from tests.support.event_source import PollResult, SqsEventSource


def _put(event_type: str, detail: dict | None = None) -> None:
    events, _ = local_backbone.clients()
    response = events.put_events(Entries=[{
        "EventBusName": get_settings().event_bus_name,
        "Source": EVENT_SOURCES[event_type],
        "DetailType": event_type,
        "Detail": json.dumps(detail or {"eventType": event_type}),
    }])
    assert response["FailedEntryCount"] == 0


def test_each_event_type_reaches_exactly_the_consumers_the_catalog_routes_it_to(backbone):
    for event_type in EVENT_SOURCES:
        _put(event_type)
    for consumer in CONSUMERS:
        received = sorted(m["detail-type"] for m in _drain_raw(backbone.sources[consumer.name].queue.url))
        assert received == sorted(consumer.event_types), consumer.name


def _drain_raw(url: str) -> list[dict]:
    _, sqs = local_backbone.clients()
    bodies = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        bodies += [json.loads(m["Body"]) for m in messages]
    return bodies


# ---- the event source emulator, with a test consumer whose handler we control ----------------

TEST_CONSUMER = Consumer("emulator_probe", ("FoodShared",), batch_size=4, max_batching_window_seconds=0,
                         max_receive_count=3, visibility_timeout_seconds=30)


class Probe:
    """A consumer handler: records each batch, reports the records whose detail says "poison" as failed."""

    def __init__(self, raise_error: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.raise_error = raise_error

    def __call__(self, event: dict) -> dict:
        records = event["Records"]
        assert all(r["eventSource"] == "aws:sqs" and r["eventSourceARN"].endswith(TEST_CONSUMER.name)
                   for r in records)
        self.batches.append([json.loads(r["body"])["detail"]["name"] for r in records])
        if self.raise_error:
            raise RuntimeError("the function crashed")
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records
                                      if json.loads(r["body"])["detail"]["name"] == "poison"]}


def _source(probe: Probe, retry_after_seconds: int | None = 0) -> SqsEventSource:
    [queue] = local_backbone.create_consumer_queues((TEST_CONSUMER,))
    return SqsEventSource(queue, probe, retry_after_seconds=retry_after_seconds)


def _share(*names: str) -> None:
    for name in names:
        _put("FoodShared", {"name": name})


def _dead_letters(source: SqsEventSource) -> list[str]:
    return [m["detail"]["name"] for m in _drain_raw(source.queue.dlq_url)]


def test_batches_respect_the_batch_size_and_successes_are_deleted():
    probe = Probe()
    source = _source(probe)
    _share(*(f"m{i}" for i in range(6)))
    assert source.poll().received == 4
    assert source.poll().received == 2
    assert source.poll().received == 0
    assert sorted(sum(probe.batches, [])) == [f"m{i}" for i in range(6)]


def test_a_poison_record_is_retried_alone_and_reaches_the_dlq_without_blocking_its_batch():
    probe = Probe()
    source = _source(probe)
    _share("a", "poison", "b")
    first = source.poll()
    assert (first.received, first.failed) == (3, 1)
    while source.poll().received:  # retried alone until its receive count reaches maxReceiveCount
        pass
    assert probe.batches[1:] == [["poison"]] * (TEST_CONSUMER.max_receive_count - 1)
    assert _dead_letters(source) == ["poison"]
    assert _drain_raw(source.queue.url) == []


def test_a_crashing_handler_leaves_the_whole_batch_on_the_queue():
    probe = Probe(raise_error=True)
    source = _source(probe)
    _share("x", "y")
    assert source.poll().failed == 2
    probe.raise_error = False
    assert source.poll() == PollResult(received=2, failed=0)
    assert [sorted(batch) for batch in probe.batches] == [["x", "y"], ["x", "y"]]
    assert _drain_raw(source.queue.url) == []


def test_without_a_local_retry_delay_a_failed_record_waits_for_the_visibility_timeout():
    probe = Probe()
    source = _source(probe, retry_after_seconds=None)  # Lambda's own behaviour
    _share("poison")
    assert source.poll().failed == 1
    assert source.poll().received == 0  # still invisible (30 s visibility timeout)
