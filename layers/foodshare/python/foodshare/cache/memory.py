"""L1: entries in this container's memory, least recently used dropped first.

An entry records the versions it was built from; the caller serves it only while
those versions are still current (and its TTL holds), so L1 never outlives a write.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Entry:
    deps: dict[str, str]  # version key -> the token it had when the value was read
    value: Any
    expires_at: float  # time.monotonic()


class Memory:
    def __init__(self, max_entries: int) -> None:
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._max_entries = max_entries
        self._lock = threading.Lock()

    def get(self, key: str) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.expires_at <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: str, deps: dict[str, str], value: Any, ttl_seconds: float) -> None:
        with self._lock:
            self._entries[key] = Entry(deps, value, time.monotonic() + ttl_seconds)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
