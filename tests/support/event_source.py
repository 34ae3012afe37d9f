"""Lambda's SQS event source mapping, emulated: moto delivers to the queues but invokes nothing.

For each consumer queue a poller receives up to `batch_size` messages (waiting up to
the batching window to fill the batch), invokes the consumer's handler with the SQS
event Lambda would send, and deletes only the records that did not come back in
`batchItemFailures` (all of them stay when the handler raises). What stays becomes
visible again after the visibility timeout; moto's redrive policy moves a message to
the DLQ once it has been received `maxReceiveCount` times. `retry_after_seconds`
shortens the wait before a failed record is retried (local speed; Lambda waits for the
visibility timeout).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tests.support.backbone import ConsumerQueue, clients

MAX_RECEIVE = 10  # SQS ReceiveMessage limit per call
IDLE_WAIT_SECONDS = 1  # long polling while the queue is empty


@dataclass(frozen=True)
class PollResult:
    received: int
    failed: int


class SqsEventSource:
    def __init__(self, queue: ConsumerQueue, invoke: Callable[[dict], dict | None],
                 retry_after_seconds: int | None = None) -> None:
        self.queue = queue
        self.invoke = invoke
        self.retry_after_seconds = retry_after_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self, wait_seconds: int = 0) -> PollResult:
        """One receive-invoke-delete cycle; returns what it received and how many records failed."""
        messages = self._receive_batch(wait_seconds)
        if not messages:
            return PollResult(0, 0)
        try:
            response = self.invoke(self._event(messages)) or {}
            failed_ids = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        except Exception:  # the whole batch failed: every record stays on the queue
            failed_ids = {m["MessageId"] for m in messages}
        _, sqs = clients()
        done = [m for m in messages if m["MessageId"] not in failed_ids]
        if done:
            sqs.delete_message_batch(
                QueueUrl=self.queue.url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        if self.retry_after_seconds is not None:
            for m in messages:
                if m["MessageId"] in failed_ids:
                    sqs.change_message_visibility(QueueUrl=self.queue.url, ReceiptHandle=m["ReceiptHandle"],
                                                  VisibilityTimeout=self.retry_after_seconds)
        return PollResult(len(messages), len(failed_ids))

    def _receive_batch(self, wait_seconds: int) -> list[dict]:
        consumer = self.queue.consumer
        messages = self._receive(min(MAX_RECEIVE, consumer.batch_size), wait_seconds)
        deadline = time.monotonic() + consumer.max_batching_window_seconds
        while messages and len(messages) < consumer.batch_size and time.monotonic() < deadline:
            more = self._receive(min(MAX_RECEIVE, consumer.batch_size - len(messages)), 0)
            if more:
                messages += more
            else:
                time.sleep(0.02)
        return messages

    def _receive(self, count: int, wait_seconds: int) -> list[dict]:
        _, sqs = clients()
        return sqs.receive_message(
            QueueUrl=self.queue.url,
            MaxNumberOfMessages=count,
            WaitTimeSeconds=wait_seconds,
            VisibilityTimeout=self.queue.consumer.visibility_timeout_seconds,
            AttributeNames=["All"],
        ).get("Messages", [])

    def _event(self, messages: list[dict]) -> dict:
        region = self.queue.arn.split(":")[3]
        return {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": m.get("MD5OfBody") or hashlib.md5(m["Body"].encode()).hexdigest(),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.queue.arn,
                    "awsRegion": region,
                }
                for m in messages
            ]
        }

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"sqs-{self.queue.consumer.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=IDLE_WAIT_SECONDS + 5)

    def _run(self) -> None:
        from foodshare.observability import logger

        while not self._stop.is_set():
            try:
                self.poll(wait_seconds=IDLE_WAIT_SECONDS)
            except Exception:  # keep polling, as the real mapping does
                logger.exception("event source poll failed", extra={"consumer": self.queue.consumer.name})
                time.sleep(IDLE_WAIT_SECONDS)


def drain(sources: list[SqsEventSource], max_rounds: int = 50) -> int:
    """Poll every source until a whole round receives nothing; returns the records delivered."""
    delivered = 0
    for _ in range(max_rounds):
        received = sum(source.poll().received for source in sources)
        if not received:
            return delivered
        delivered += received
    raise RuntimeError(f"queues still not empty after {max_rounds} rounds")


def function_invoker(name: str) -> Callable[[dict], dict | None]:
    """Invoke a function's handler through the local Lambda runtime's container pool."""
    from local.lambda_context import LambdaContext
    from tests.support.runtime import invoke_function

    return lambda event: invoke_function(name, event, LambdaContext(function_name=f"foodshare-{name}"))
