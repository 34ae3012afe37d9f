"""The container imports redis-py without its asyncio client, and still has it on demand.

Run in a fresh interpreter: this test process has imported redis the ordinary way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import foodshare

LAYER_PYTHON = os.path.dirname(os.path.dirname(foodshare.__file__))

PROBE = """
import json, sys
from foodshare.redis_client import get_client
client = get_client()
client.ping()
before = "redis.asyncio.client" in sys.modules
import redis.asyncio
from redis.asyncio import Redis as AsyncRedis
print(json.dumps({"sync_client": type(client).__module__, "asyncio_client_before": before,
                  "asyncio_client_after": "redis.asyncio.client" in sys.modules, "async_class": AsyncRedis.__module__}))
"""


def test_first_redis_call_leaves_the_asyncio_client_unbuilt_until_asked_for():
    if os.environ["REDIS_URL"].startswith("fakeredis://"):
        pytest.skip("needs a real Redis: get_client() answers with fakeredis here")
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": LAYER_PYTHON})
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report == {
        "sync_client": "redis.client",
        "asyncio_client_before": False,
        "asyncio_client_after": True,
        "async_class": "redis.asyncio.client",
    }
