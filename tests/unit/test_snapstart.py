"""SnapStart hooks: registered once where a function is assembled; the snapshot holds clients, never a connection;
a restore gets its own Redis client, breaker and random state."""

from __future__ import annotations

import gc
import importlib
import random

from foodshare import redis_client, snapstart


def test_assembling_a_function_registers_the_hooks_once():
    importlib.import_module("functions.claiming.handler")
    importlib.import_module("functions.reputation_consumer.handler")
    importlib.import_module("functions.food_expiry.handler")
    assert not snapstart.ON_LAMBDA_RUNTIME  # the shim stands in off Lambda
    befores = [f for f, _, _ in snapstart.get_before_snapshot()]
    afters = [f for f, _, _ in snapstart.get_after_restore()]
    assert befores.count(snapstart.prepare) == 1
    assert afters.count(snapstart.restored) == 1


def test_the_heap_is_frozen_last_before_the_snapshot():
    importlib.import_module("functions.claiming.handler")
    run_order = [f for f, _, _ in reversed(snapstart.get_before_snapshot())]  # as Lambda runs them
    assert run_order.index(snapstart.freeze_heap) == len(run_order) - 1 > run_order.index(snapstart.prepare)
    try:
        snapstart.freeze_heap()
        assert gc.get_freeze_count() > 10_000  # the imports and clients made so far
    finally:
        gc.unfreeze()


def test_before_the_snapshot_clients_and_schemas_are_ready_and_no_redis_connection_exists():
    from foodshare import event_schemas
    from foodshare.data.models import table_connection

    redis_client.reset()
    event_schemas._validator.cache_clear()
    snapstart.prepare()
    assert redis_client.get_client.cache_info().currsize == 0  # no client, so no socket in the snapshot
    client = table_connection().connection.client
    assert "TransactWriteItems" in client.meta.service_model.operation_names
    assert event_schemas._validator.cache_info().currsize == len(event_schemas.event_types()) > 0


def test_after_a_restore_redis_client_breaker_and_random_state_are_fresh():
    from foodshare.cache.breaker import OPEN, guard

    before = redis_client.get_client()
    guard.state = OPEN
    random.seed(42)
    snapshot_draw = random.random()
    random.seed(42)  # as if every restored environment started from the same snapshotted state
    snapstart.restored()
    assert random.random() != snapshot_draw
    assert guard.state == "CLOSED"
    after = redis_client.get_client()
    assert before is None or after is not before


def test_a_provisioned_environment_does_the_before_snapshot_work_in_its_init():
    """Provisioned concurrency has no snapshot, so no hook runs: assembling the function prepares the clients (and
    runs the function's own hook) and freezes the heap itself (a fresh interpreter, as Lambda starts one; an on-demand one does neither)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    probe = ("import gc, json, functions.claiming.handler, functions.telegram_webhook.handler\n"
             "from foodshare.bots import telegram\n"
             "from foodshare.data.models import table_connection\n"
             "print(json.dumps({'frozen': gc.get_freeze_count(),"
             " 'client': table_connection.cache_info().currsize == 1"  # made with its client (data/models.py)
             " and table_connection().connection._client is not None,"
             " 'own_hook': telegram._idempotent_handler.cache_info().currsize == 1}))")
    seen = {}
    for kind in ("provisioned-concurrency", "on-demand"):
        env = {**os.environ, "AWS_LAMBDA_INITIALIZATION_TYPE": kind,
               "PYTHONPATH": os.pathsep.join([str(root), str(root / "layers" / "foodshare" / "python")])}
        done = subprocess.run([sys.executable, "-c", probe], cwd=root, env=env, capture_output=True, text=True, check=False,
                              timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        seen[kind] = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["provisioned-concurrency"]["frozen"] > 10_000 and seen["provisioned-concurrency"]["client"]
    assert seen["provisioned-concurrency"]["own_hook"]  # a function's own hook (snapstart.add_before_snapshot) too
    assert seen["on-demand"] == {"frozen": 0, "client": False, "own_hook": False}
