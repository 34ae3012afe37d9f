"""Outbox relay (DynamoDB stream): publishes each committed event to the bus, off the request path.

Fed by the table's stream through an event source mapping that passes only new event-log
items (events_relay.STREAM_FILTER). An exception fails the batch: the mapping retries it
(split in halves), and whatever still fails stays in the outbox for the sweeper.
"""

from __future__ import annotations

from typing import Any

from foodshare import events_relay
from foodshare.observability import logger, metrics


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict, context: Any) -> dict:
    records = event.get("Records", [])
    published = events_relay.relay_stream(records)
    metrics.add_metric(name="OutboxEventsRelayed", unit="Count", value=published)
    return {"published": published}
