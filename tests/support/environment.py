"""The embedded local environment: settings defaults, moto in-process, the table, Redis if present."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field

LOCAL_DEFAULTS = {
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "TABLE_NAME": "foodshare-local",
    "EVENT_BUS_NAME": "foodshare-local",
    "EXPORT_BUCKET": "foodshare-local-exports",
    "STAGE": "local",
    "POWERTOOLS_SERVICE_NAME": "foodshare",
    "POWERTOOLS_METRICS_NAMESPACE": "Foodshare",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def redis_answers(host: str = "127.0.0.1", port: int = 6379) -> bool:
    """True when a Redis server answers PING at host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.3) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class LocalStack:
    redis_url: str | None
    _stoppers: list = field(default_factory=list)

    def describe(self) -> str:
        return f"AWS: embedded moto; Redis: {self.redis_url or 'none (cache disabled)'}"

    def on_stop(self, stopper) -> None:
        self._stoppers.append(stopper)

    def stop(self) -> None:
        for stopper in reversed(self._stoppers):
            stopper()


def start() -> LocalStack:
    """Set local defaults (explicit environment wins), start moto and create the table."""
    for key, value in LOCAL_DEFAULTS.items():
        os.environ.setdefault(key, value)
    if "REDIS_URL" not in os.environ and redis_answers():
        os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/0"

    import boto3
    from moto import mock_aws

    from foodshare.data.schema import table_definition
    from foodshare.settings import get_settings
    from local.moto_dynamodb import serialize_writes

    serialize_writes()
    mock = mock_aws()
    mock.start()
    settings = get_settings()
    boto3.client("dynamodb", region_name=settings.region).create_table(**table_definition(settings.table_name))
    boto3.client("s3", region_name=settings.region).create_bucket(
        Bucket=settings.export_bucket, CreateBucketConfiguration={"LocationConstraint": settings.region})
    stack = LocalStack(redis_url=settings.redis_url)
    stack.on_stop(mock.stop)
    _start_event_backbone(stack)
    return stack


def _start_event_backbone(stack: LocalStack) -> None:
    """Bus, queues and rules from the catalog; a poller per consumer queue; timers for the scheduled jobs."""
    from tests.support import backbone
    from tests.support.event_source import SqsEventSource, function_invoker
    from tests.support.schedules import Timers

    backbone.create_bus()
    retry = os.environ.get("LOCAL_SQS_RETRY_SECONDS")
    for queue in backbone.create_consumer_queues():
        source = SqsEventSource(queue, function_invoker(queue.consumer.name),
                                retry_after_seconds=int(retry) if retry else None)
        source.start()
        stack.on_stop(source.stop)
    timers = Timers(function_invoker)
    timers.start()
    stack.on_stop(timers.stop)
