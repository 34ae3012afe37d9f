"""Food expiry (scheduled every minute): available posts past their pickup window become expired."""

from __future__ import annotations

from typing import Any

from foodshare import snapstart
from foodshare.domain import expiry
from foodshare.observability import logger, metrics

snapstart.install()  # SnapStart hooks: foodshare.snapstart


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict, context: Any) -> dict:
    expired = expiry.expire_due()
    metrics.add_metric(name="FoodExpired", unit="Count", value=expired)
    return {"expired": expired}
