"""The domain events the bots' changes recorded, and the SQS batches the bus would deliver for them."""

from __future__ import annotations

import json
import uuid

from foodshare.data.models import EventItem


def recorded(event_type: str) -> list[dict]:
    """`detail` envelopes of every recorded event of a type, oldest first."""
    items = EventItem.scan((EventItem.event_type == event_type) & EventItem.detail.exists())  # not consumers' markers
    return sorted((json.loads(item.detail) for item in items), key=lambda d: d["eventId"])


def bus_event(detail: dict, source: str = "foodshare.food") -> dict:
    """The EventBridge event a rule forwards to a queue (an SQS message's body) for an envelope."""
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": detail["eventType"],
        "source": source, "account": "000000000000", "time": detail["occurredAt"],
        "region": "eu-west-1", "resources": [], "detail": detail,
    }


def sqs_batch(*details: dict) -> dict:
    """An SQS event as Lambda receives it, each body the EventBridge event the rule forwarded."""
    records = []
    for detail in details:
        records.append({
            "messageId": str(uuid.uuid4()), "receiptHandle": "rh", "body": json.dumps(bus_event(detail)),
            "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": "x",
            "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-west-1:000000000000:notifications",
            "awsRegion": "eu-west-1",
        })
    return {"Records": records}


def shared_food_ids() -> list[str]:
    """Ids of the posts shared so far, oldest first (the Claim button's data is `claim:<id>`)."""
    return [d["data"]["foodId"] for d in recorded("FoodShared")]


def deliver(consumer: str, *details: dict) -> dict:
    """Run a consumer's Lambda handler on one SQS batch of these events; its batch response."""
    import importlib

    from local.lambda_context import LambdaContext

    handler = importlib.import_module(f"functions.{consumer}.handler").handler
    return handler(sqs_batch(*details), LambdaContext(function_name=f"foodshare-{consumer}"))
