"""The settings every benchmark process runs with, and the two AWS stand-ins they use.

Benchmarks use their own Redis database (flushed at start) so they never clobber a
running `make serve` (db 0) or the tests (db 15), lift the per-user rate limits (one
benchmark user makes hundreds of requests) and store cache entries at once.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")  # a shared machine: another db
TELEGRAM_SECRET = "bench-telegram-secret"
SLACK_SECRET = "bench-slack-signing-secret"

BENCH_ENV = {
    "REDIS_URL": BENCH_REDIS_URL,
    "CACHE_SETTLE_MS": "0",
    "RATE_LIMIT_POSTING": "1000000/60",
    "RATE_LIMIT_CLAIMS": "1000000/60",
    "RATE_LIMIT_DISCOVERY": "1000000/60",
    "RATE_LIMIT_DEFAULT": "1000000/60",
    "TELEGRAM_BOT_TOKEN": "123456:BENCH",
    "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
    "TELEGRAM_API_BASE": "http://127.0.0.1:9",  # discard port: a benchmark never reaches Telegram
    "SLACK_SIGNING_SECRET": SLACK_SECRET,
    "SLACK_BOT_TOKEN": "xoxb-bench",
    "SLACK_API_BASE": "http://127.0.0.1:9",
}


def configure() -> dict[str, str]:
    """Put the local defaults and the benchmark settings into os.environ (before foodshare reads them)."""
    import logging
    import warnings

    from tests.support.environment import LOCAL_DEFAULTS

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto server's access log
    warnings.filterwarnings("ignore", message="No application metrics to publish")

    for key, value in LOCAL_DEFAULTS.items():
        os.environ.setdefault(key, value)
    os.environ.update(BENCH_ENV)
    from foodshare.settings import get_settings

    get_settings.cache_clear()
    return dict(os.environ)


@contextmanager
def heap_as_deployed() -> Iterator[None]:
    """The garbage collector's view of a deployed function while requests are measured.

    A deployed function's INIT objects are frozen out of full collections (SnapStart's last before-snapshot hook,
    or a provisioned environment's INIT: foodshare.snapstart.freeze_heap); what a collection during a request scans
    is what requests made. A benchmark process also holds what no function's heap does: moto's tables (moto serves
    the calls from a thread of this process, so they can be counted), the world and the harness. They are frozen
    the same way for the samples, then unfrozen and collected, so a measured request's CPU does not include
    scanning the emulator's data (issue 15 asks for the function's own work).
    """
    import gc

    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.collect()


def flush_redis(url: str = BENCH_REDIS_URL) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def in_process_aws() -> Iterator[None]:
    """moto inside this process with the table and the bus (what the tests use)."""
    from tests.support.aws import aws_environment

    with aws_environment():
        yield


@contextmanager
def moto_server() -> Iterator[str]:
    """moto as an HTTP server in a thread, with the table and the bus; yields its URL.

    Child processes reach it through AWS_ENDPOINT_URL / DYNAMODB_ENDPOINT, so they import
    nothing of moto (which would pre-load boto3 and spoil a cold start) and pay a real
    HTTP round trip per AWS call, as a Lambda does. The endpoints are set before the
    data models are imported (their connection settings are read at import).

    moto's app is served by waitress, which keeps a client's connection open between requests as
    DynamoDB's and EventBridge's endpoints do for a warm Lambda (botocore pools its connections).
    moto's own server (werkzeug's) closes every connection after its answer, which charged each call
    a connect, a new connection object and a close that a warm function never pays (~0.3 ms of
    client CPU a call on this machine; docs/performance.md, seventh session).
    """
    import sys

    assert "foodshare.data.models" not in sys.modules, "start moto_server() before importing foodshare.data"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    os.environ.update({"AWS_ENDPOINT_URL": url, "DYNAMODB_ENDPOINT": url})

    import boto3
    from foodshare.data.schema import table_definition
    from foodshare.settings import get_settings

    from local.moto_dynamodb import serialize_writes
    from tests.support import backbone

    get_settings.cache_clear()
    serialize_writes()
    server = _KeepAliveServer(port)
    try:
        settings = get_settings()
        boto3.client("dynamodb", region_name=settings.region).create_table(**table_definition(settings.table_name))
        bucket = getattr(settings, "export_bucket", None)  # None: a baseline from before exports
        if bucket:
            boto3.client("s3", region_name=settings.region).create_bucket(  # the exports consumer writes there
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": settings.region})
        backbone.create_bus()
        yield url
    finally:
        server.close()


class _KeepAliveServer:
    """moto's WSGI app (as `moto_server` runs it) under waitress, in a daemon thread of this process."""

    def __init__(self, port: int) -> None:
        import logging
        import threading

        import waitress
        from moto.server import DomainDispatcherApplication, create_backend_app

        logging.getLogger("waitress").setLevel(logging.ERROR)  # its "Serving on ..." line
        self._server = waitress.create_server(DomainDispatcherApplication(create_backend_app), host="127.0.0.1",
                                              port=port, threads=4)
        threading.Thread(target=self._server.run, name="moto-server", daemon=True).start()

    def close(self) -> None:
        self._server.close()
        self._server.task_dispatcher.shutdown()
