"""Stampede protection: many concurrent misses on one key load it from DynamoDB once.

Within a container, one thread per key loads while the others wait and re-read;
across containers, a short Redis lock (SET NX PX) elects one loader and the rest
poll the shared level (L2) until its entry appears or the lock is released or expires. With
Redis down each container loads for itself: the breaker already spares Redis, and the
in-container lock still spares DynamoDB.
"""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from collections.abc import Callable
from typing import TypeVar

from foodshare.cache.breaker import RedisGuard
from foodshare.cache.scripts import LuaScript

T = TypeVar("T")
LOCK_MS = 2000
POLL_SECONDS = 0.01

_RELEASE = LuaScript("""
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
""")
_UNAVAILABLE = object()


class SingleFlight:
    def __init__(self, redis_guard: RedisGuard) -> None:
        self._guard = redis_guard
        self._locks: weakref.WeakValueDictionary[str, threading.Lock] = weakref.WeakValueDictionary()
        self._registry_lock = threading.Lock()

    def _local_lock(self, key: str) -> threading.Lock:
        with self._registry_lock:
            lock = self._locks.get(key)
            if lock is None:
                lock = threading.Lock()
                self._locks[key] = lock
            return lock

    def run(self, key: str, reread: Callable[[], T | None], load: Callable[[], T],
            across_containers: bool = True) -> T:
        """`reread` returns the value if someone else stored it meanwhile; `load` computes it.

        `across_containers=False` for values kept in this container only: no Redis lock.
        """
        lock = self._local_lock(key)
        with lock:
            found = reread()
            if found is not None:
                return found
            if not across_containers:
                return load()
            token = uuid.uuid4().hex
            lock_key = f"lock:{key}"
            acquired = self._guard.run(lambda c: c.set(lock_key, token, nx=True, px=LOCK_MS), _UNAVAILABLE)
            if acquired is None:  # another container is loading it: wait for its entry, while it holds the lock
                deadline = time.monotonic() + LOCK_MS / 1000
                while time.monotonic() < deadline:
                    time.sleep(POLL_SECONDS)
                    # The lock first: a loader stores before it releases, so once it is gone the entry is there
                    # or will not come (a value built on versions that moved or have not settled is not stored).
                    held = self._guard.run(lambda c: c.exists(lock_key), 0)
                    found = reread()
                    if found is not None:
                        return found
                    if not held:
                        break
            try:
                return load()
            finally:
                if acquired is True:
                    self._guard.run(lambda c: _RELEASE(c, [lock_key], [token]), None)
