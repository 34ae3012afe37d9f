"""SnapStart runtime hooks: what runs once before the snapshot, and what every restored environment redoes.

A function with SnapStart runs its INIT once, when a version is published; Lambda snapshots the
environment (memory and disk) after the `before_snapshot` hooks, and each new environment is a
restore of that snapshot followed by the `after_restore` hooks, before its first event.

- **before the snapshot** (`prepare`): whatever is the same in every environment and costly to
  build: the imports the first request would pay for (redis-py, the JSON Schema compiler), the
  DynamoDB connection's botocore client and its operation models, the EventBridge client, the
  compiled event schemas. No network: a connection opened here would be a socket copied into
  every restored environment. Last (`freeze_heap`), all of that is frozen out of the garbage collector's
  full collections.
- **after the restore** (`restored`): whatever must be unique or fresh per environment: the Redis
  client (its pool, sockets and circuit-breaker state are rebuilt on first use), the `random`
  module's state (every restore would otherwise draw the same jitter sequence). Ids and tokens
  come from `secrets`/`uuid4` (os.urandom), which the restored kernel reseeds.

`install()` is called where a function is assembled (`api.http.entrypoint`, `consumers.sqs_handler`,
the scheduled jobs' handlers), once per process. On Lambda the registry is the runtime's
`snapshot_restore_py` module (Python 3.12+); anywhere else (tests, `make bench`, the local stack)
this module's own registry with the same four functions stands in — the one place of that
difference. `run_before_snapshot()` / `run_after_restore()` run the registered hooks as Lambda
does (before: last registered first; after: in order), for the benchmark and the tests.
A function with provisioned concurrency has no snapshot: `install()` does the before-snapshot work
in its INIT (AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency), ahead of any request.
"""

from __future__ import annotations

import gc
import os
import random
from collections.abc import Callable
from typing import Any

try:  # the Lambda runtime's module (python3.12+)
    from snapshot_restore_py import (  # type: ignore[import-not-found]
        get_after_restore,
        get_before_snapshot,
        register_after_restore,
        register_before_snapshot,
    )

    ON_LAMBDA_RUNTIME = True
except ImportError:
    ON_LAMBDA_RUNTIME = False
    _before: list[tuple[Callable, tuple, dict]] = []
    _after: list[tuple[Callable, tuple, dict]] = []

    def register_before_snapshot(func: Callable, *args: Any, **kwargs: Any) -> Callable:
        _before.append((func, args, kwargs))
        return func

    def register_after_restore(func: Callable, *args: Any, **kwargs: Any) -> Callable:
        _after.append((func, args, kwargs))
        return func

    def get_before_snapshot() -> list[tuple[Callable, tuple, dict]]:
        return list(_before)

    def get_after_restore() -> list[tuple[Callable, tuple, dict]]:
        return list(_after)


# botocore operations the functions call; their models are loaded before the snapshot
DYNAMODB_OPERATIONS = ("GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "DeleteItem",
                       "TransactWriteItems", "TransactGetItems", "BatchWriteItem")
_installed: set[str] = set()
PROVISIONED = "provisioned-concurrency"  # AWS_LAMBDA_INITIALIZATION_TYPE of an environment made ahead of requests


def install() -> None:
    """Register the hooks, once per process (every function calls this where it is assembled)."""
    if _installed:
        return
    _installed.add("hooks")
    register_before_snapshot(freeze_heap)  # before-snapshot hooks run last registered first: after `prepare`
    register_before_snapshot(prepare)
    register_after_restore(restored)
    if _provisioned():
        # No snapshot follows, so no hook would run: a provisioned environment does their work in its INIT, which
        # no request waits for (else its first request builds the clients, and full collections scan the imports).
        prepare()
        freeze_heap()


def add_before_snapshot(func: Callable[[], Any]) -> None:
    """A function's own before-snapshot work, registered after `install()`; a provisioned environment (no
    snapshot follows) does it at once, in its INIT, and freezes what it made."""
    register_before_snapshot(func)
    if _provisioned():
        func()
        freeze_heap()


def _provisioned() -> bool:
    return os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == PROVISIONED


def prepare() -> None:
    """Before the snapshot: imports, clients and compiled schemas, no connection (the data part only in
    functions that have a table: the API docs function has none)."""
    from foodshare.redis_client import import_redis

    redis = import_redis()
    import redis.cluster
    from redis.exceptions import ConnectionError  # noqa: F401 - the breaker's first error check

    del redis
    if not os.environ.get("TABLE_NAME"):
        return
    from foodshare import event_schemas, events_relay
    from foodshare.data.models import table_connection

    client = table_connection().connection.client  # the botocore session, endpoints, credentials chain
    for operation in DYNAMODB_OPERATIONS:
        _load_operation(client, operation)
    _load_operation(events_relay._events_client(), "PutEvents")
    for event_type in event_schemas.event_types():
        event_schemas._validator(event_type)


def _load_operation(client: Any, operation: str) -> None:
    """The operation's model and its input and output shapes, as the first call would resolve them."""
    model = client.meta.service_model.operation_model(operation)
    for shape in (model.input_shape, model.output_shape):
        if shape is not None:
            _ = shape.members


def freeze_heap() -> None:
    """Last before the snapshot: move every object made so far (imports, clients, schemas: ~100k, all living as
    long as the environment) out of the garbage collector's reach, so a full collection during a request scans
    only what requests made (~50 ms -> ~0 ms here; CPython's gc.freeze)."""
    gc.collect()
    gc.freeze()


def restored() -> None:
    """After a restore: a fresh Redis client and breaker, a fresh random state."""
    from foodshare import redis_client

    random.seed()
    redis_client.reset()


def run_before_snapshot() -> None:
    for func, args, kwargs in reversed(get_before_snapshot()):
        func(*args, **kwargs)


def run_after_restore() -> None:
    for func, args, kwargs in get_after_restore():
        func(*args, **kwargs)
