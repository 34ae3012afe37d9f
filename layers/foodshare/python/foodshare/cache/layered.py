"""Read-through for one cache type: L1 (container memory) -> L2 (Redis) -> L3 (DynamoDB).

An entry is served from L1 or L2 only while the version tokens it was built from are
current in the request's Snapshot; entries are stored only when Snapshot.storable
allows it. Every lookup is counted per type and level (CacheHit / CacheMiss).
A strategy without L2 (l2_ttl_seconds 0) keeps entries in this container only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from foodshare.cache import stats
from foodshare.cache.breaker import RedisGuard, guard as default_guard
from foodshare.cache.flight import SingleFlight
from foodshare.cache.memory import Memory
from foodshare.cache.strategies import Strategy
from foodshare.cache.versions import Snapshot

V = TypeVar("V")


class Layered(Generic[V]):
    """`encode`/`decode` turn a value into JSON-able data for L2 and back (unused without L2);
    `still_valid(value)` is what else must hold to serve it besides its versions (e.g. a time bound)."""

    def __init__(
        self,
        strategy: Strategy,
        encode: Callable[[V], Any] | None = None,
        decode: Callable[[Any], V] | None = None,
        redis_guard: RedisGuard | None = None,
        still_valid: Callable[[V], bool] | None = None,
    ) -> None:
        self.strategy = strategy
        self._encode = encode
        self._decode = decode
        self._still_valid = still_valid
        self._shared = strategy.l2_ttl_seconds > 0
        self._guard = redis_guard or default_guard
        self.memory = Memory(strategy.l1_max_entries)
        self._flight = SingleFlight(self._guard)

    def _l2_key(self, ident: str) -> str:
        return f"c:{self.strategy.cache_type}:{ident}"

    def _count(self, level: str, hit: bool, count: int = 1) -> None:
        stats.record(self.strategy.cache_type, level, hit, count)

    def _count_unavailable(self, count: int = 1) -> None:
        """Redis unavailable: nothing cached can be trusted, every level this type has misses."""
        self._count(stats.L1, False, count)
        if self._shared:
            self._count(stats.L2, False, count)

    def peek(self, ident: str) -> Any | None:
        """The L1 value without checking its versions: only for prefetching their tokens."""
        entry = self.memory.get(ident)
        return entry.value if entry else None

    def peek_deps(self, ident: str) -> Iterable[str]:
        entry = self.memory.get(ident)
        return entry.deps if entry else ()

    # -- one key ---------------------------------------------------------------------------

    def get(self, snapshot: Snapshot, ident: str, dep_keys: list[str], load: Callable[[], V],
            extra_deps: Callable[[V], list[str]] | None = None) -> V:
        """The value of `ident`; `dep_keys` (and `extra_deps(value)`) are the versions it depends on."""
        if not snapshot.fetch(dep_keys):  # Redis unavailable
            self._count_unavailable()
            return load()
        found = self._from_l1(snapshot, ident)
        if found is not None:
            self._count(stats.L1, True)
            return found
        self._count(stats.L1, False)
        found = self._from_l2(snapshot, ident, count=True) if self._shared else None
        if found is not None:
            return found

        def reread() -> V | None:
            value = self._from_l1(snapshot, ident)
            if value is None and self._shared:
                value = self._from_l2(snapshot, ident, count=False)
            return value

        def load_and_store() -> V:
            value = load()
            self._count(stats.L3, True)
            deps = snapshot.deps(dep_keys + (extra_deps(value) if extra_deps else []))
            if deps is not None and snapshot.storable(deps):
                self._store({ident: (deps, value)})
            return value

        return self._flight.run(self._l2_key(ident), reread, load_and_store, across_containers=self._shared)

    def _from_l1(self, snapshot: Snapshot, ident: str) -> V | None:
        entry = self.memory.get(ident)
        if entry is None or not snapshot.current(entry.deps):
            return None
        if self._still_valid is not None and not self._still_valid(entry.value):
            return None
        return entry.value

    def _from_l2(self, snapshot: Snapshot, ident: str, count: bool) -> V | None:
        raw = self._guard.run(lambda c: c.get(self._l2_key(ident)), None)
        value = self._accept(snapshot, ident, raw)
        if count:
            self._count(stats.L2, value is not None)
        return value

    def _accept(self, snapshot: Snapshot, ident: str, raw: bytes | None) -> V | None:
        """Decode an L2 entry if its versions are current, and keep it in L1."""
        if raw is None:
            return None
        stored = json.loads(raw)
        if not snapshot.current(stored["deps"]):
            return None
        value = self._decode(stored["value"])
        self.memory.put(ident, stored["deps"], value, self.strategy.l1_ttl_seconds)
        return value

    def _store(self, entries: dict[str, tuple[dict[str, str], V]]) -> None:
        """Keep entries in L1 and write them to L2 (if this type has one) in one round trip."""
        payloads = {}
        for ident, (deps, value) in entries.items():
            self.memory.put(ident, deps, value, self.strategy.l1_ttl_seconds)
            if self._shared:
                payloads[self._l2_key(ident)] = json.dumps({"deps": deps, "value": self._encode(value)},
                                                           separators=(",", ":"))
        if not payloads:
            return

        def write(client: Any) -> None:
            pipe = client.pipeline(transaction=False)
            for key, payload in payloads.items():
                pipe.set(key, payload, ex=self.strategy.l2_ttl_seconds)
            pipe.execute()

        self._guard.run(write, None)

    # -- many keys at once (one L2 round trip, one batched L3 load) ------------------------

    def get_many(self, snapshot: Snapshot, idents: Iterable[str], dep_key: Callable[[str], str],
                 load_many: Callable[[set[str]], dict[str, V]]) -> dict[str, V]:
        idents = list(dict.fromkeys(idents))
        if not idents:
            return {}
        if snapshot.deps([dep_key(i) for i in idents]) is None:
            self._count_unavailable(len(idents))
            return load_many(set(idents))
        found: dict[str, V] = {}
        for ident in idents:
            value = self._from_l1(snapshot, ident)
            if value is not None:
                found[ident] = value
        self._count(stats.L1, True, len(found))
        missing = [i for i in idents if i not in found]
        self._count(stats.L1, False, len(missing))
        if missing and self._shared:
            raws = self._guard.run(lambda c: self._get_all(c, missing), [None] * len(missing))
            for ident, raw in zip(missing, raws):
                value = self._accept(snapshot, ident, raw)
                if value is not None:
                    found[ident] = value
            missing = [i for i in missing if i not in found]
            self._count(stats.L2, True, len(raws) - len(missing))
            self._count(stats.L2, False, len(missing))
        if missing:
            loaded = load_many(set(missing))
            self._count(stats.L3, True, len(loaded))
            self._count(stats.L3, False, len(missing) - len(loaded))
            storable = {}
            for ident, value in loaded.items():
                deps = snapshot.deps([dep_key(ident)])
                if deps is not None and snapshot.storable(deps):
                    storable[ident] = (deps, value)
            self._store(storable)
            found.update(loaded)
        return found

    def _get_all(self, client: Any, idents: list[str]) -> list[bytes | None]:
        pipe = client.pipeline(transaction=False)
        for ident in idents:
            pipe.get(self._l2_key(ident))
        return pipe.execute()
