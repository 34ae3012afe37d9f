"""Food expiry (scheduled every minute): available posts past their pickup window become expired; exchanges
nobody closed are settled EXCHANGE_SETTLE_HOURS after their window (domain/settlement.py)."""

from __future__ import annotations

from typing import Any

from foodshare import snapstart
from foodshare.domain import expiry, settlement
from foodshare.observability import logger, metrics
from foodshare.settings import get_settings

snapstart.install()  # SnapStart hooks: foodshare.snapstart
get_settings()  # a malformed setting (EXCHANGE_SETTLE_HOURS ...) fails the cold start, naming it


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict, context: Any) -> dict:
    expired = expiry.expire_due()
    metrics.add_metric(name="FoodExpired", unit="Count", value=expired)
    settled = settlement.settle_due()
    for exchange_id, reason in settled.failed:
        logger.warning("exchange not settled; tried again next run", extra={"exchangeId": exchange_id, "reason": reason})
    metrics.add_metric(name="ExchangesSettled", unit="Count", value=settled.completed + settled.lapsed)
    return {"expired": expired, "completed": settled.completed, "lapsed": settled.lapsed,
            "notSettled": len(settled.failed)}
