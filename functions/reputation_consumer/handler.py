"""Reputation consumer: applies the scoring rules to each event from its SQS queue, once."""

from __future__ import annotations

from foodshare import reputation
from foodshare.consumers import sqs_handler

handler = sqs_handler(reputation.apply)
