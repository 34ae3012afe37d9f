"""Notifications consumer: SQS batches of bus events -> messages in the chats people use.

Partial batch responses: a record that must be retried (rate limit, network) is
reported as failed and comes back after the visibility timeout; the rest are done.
"""

from __future__ import annotations

import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from foodshare import snapstart
from foodshare.bots import notifications
from foodshare.observability import logger, metrics, tracer

snapstart.install()  # SnapStart hooks: foodshare.snapstart

# A batch whose every record failed still answers with batchItemFailures rather than raising.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def notify(record: SQSRecord) -> None:
    """The body is the EventBridge event: {"source", "detail-type", "detail": {eventId, eventType, …}}."""
    notifications.handle(json.loads(record.body)["detail"])


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=notify, processor=processor, context=context)
