"""Announcements consumer: SQS batches of food events -> the post's message in its group's chats, kept up to date.

Partial batch responses: a record that must wait (rate limit, 429, another worker
mid-edit) is reported failed and comes back after the visibility timeout.
"""

from __future__ import annotations

from foodshare.bots import announcements
from foodshare.consumers import sqs_handler

handler = sqs_handler(announcements.apply)
