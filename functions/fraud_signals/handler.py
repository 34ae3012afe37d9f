"""Fraud-signals consumer: keeps per-user pattern scores and the rating graph; flags and restricts, once per event."""

from __future__ import annotations

from foodshare import fraud
from foodshare.consumers import sqs_handler

handler = sqs_handler(fraud.apply)
