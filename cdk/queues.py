"""The one way this stack makes an SQS queue: SQS-managed encryption and TLS-only access."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

DLQ_RETENTION = Duration.days(14)  # the SQS maximum: time to investigate and redrive


def encrypted_queue(scope: Construct, id: str, name: str, **props) -> sqs.Queue:
    """SSE-SQS rather than a customer KMS key: EventBridge, Scheduler and Pipes can send
    to it without key-policy grants, and nothing here needs key-level auditing."""
    return sqs.Queue(scope, id, queue_name=name, encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True, **props)


def dead_letter_queue(scope: Construct, id: str, name: str) -> sqs.Queue:
    return encrypted_queue(scope, id, name, retention_period=DLQ_RETENTION)
