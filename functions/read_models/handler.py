"""Read-model consumer: keeps each group's activity summary up to date from its SQS queue, once per event."""

from __future__ import annotations

from foodshare import group_activity
from foodshare.consumers import sqs_handler

handler = sqs_handler(group_activity.apply)
