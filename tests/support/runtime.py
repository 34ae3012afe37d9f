"""The in-process harness's Lambda runtime (tests and benchmarks only; the served stack runs
functions in the emulator's worker processes).

A container is a separately imported copy of the handler module (its own module-level
state, its own cold start), up to LOCAL_MAX_CONTAINERS per function. All of them share this
process, and Powertools keeps the event being resolved on the class (`BaseRouter.current_event`):
so, as Lambda gives a process one event at a time, this harness runs one event at a time
(`ONE_EVENT_AT_A_TIME`). Concurrency itself is tested on the served stack (tests/stack).
"""

from __future__ import annotations

import importlib.util
import os
import queue
import threading
from pathlib import Path
from typing import Any

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"


class FunctionPool:
    def __init__(self, name: str, max_containers: int) -> None:
        self.name = name
        self.max_containers = max_containers
        self.cold_starts = 0
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._lock = threading.Lock()

    def _new_container(self):
        path = FUNCTIONS_DIR / self.name / "handler.py"
        spec = importlib.util.spec_from_file_location(f"functions.{self.name}.handler__c{self.cold_starts}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.handler

    def _acquire(self):
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self.cold_starts < self.max_containers:
                handler = self._new_container()  # counted once it exists: a failed import is not a container
                self.cold_starts += 1
                return handler
        return self._idle.get()

    def invoke(self, event: dict, context: Any) -> Any:
        handler = self._acquire()
        try:
            return handler(event, context)
        finally:
            self._idle.put(handler)


ONE_EVENT_AT_A_TIME = threading.RLock()
_pools: dict[str, FunctionPool] = {}
_pools_lock = threading.Lock()


def pool(name: str) -> FunctionPool:
    with _pools_lock:
        if name not in _pools:
            _pools[name] = FunctionPool(name, int(os.environ.get("LOCAL_MAX_CONTAINERS", "4")))
        return _pools[name]


def invoke_function(name: str, event: dict, context: Any) -> Any:
    with ONE_EVENT_AT_A_TIME:
        return pool(name).invoke(event, context)
