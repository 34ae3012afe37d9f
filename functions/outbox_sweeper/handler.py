"""Outbox sweeper (scheduled): publishes events the after-commit relay did not get onto the bus."""

from __future__ import annotations

from typing import Any

from foodshare import events_relay, snapstart
from foodshare.observability import logger, metrics

snapstart.install()  # SnapStart hooks: foodshare.snapstart


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict, context: Any) -> dict:
    published = events_relay.sweep()
    if published:
        logger.warning("published events left in the outbox", extra={"published": published})
    metrics.add_metric(name="OutboxEventsRecovered", unit="Count", value=published)
    return {"published": published}
