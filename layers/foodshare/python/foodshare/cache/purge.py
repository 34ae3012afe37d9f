"""Erasure's part in the cache: nothing cached may still name an erased person.

`forget` (DELETE /me, in the request: keyed by the person and their groups, no scan): the
version bump makes every entry built from their data unservable at once (as any write does),
and this container's memory tier is emptied. `purge` (the erasure consumer, when the sweep
completes) also deletes every Redis key whose name or value names them (profiles, post lists,
discovery and leaderboard entries, rate-limit counters, locks): a pass over the keyspace.
Other containers' memory tiers hold entries that can no longer be served and go within their
TTL (at most one hour, docs/cache.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from foodshare.cache import group_reads, readers, versions
from foodshare.redis_client import get_client

_SEPARATORS = re.compile(r"[:|{}#]")


def forget(markers: Iterable[str], group_ids: Iterable[str]) -> None:
    """Make nothing cached about `markers` (user ids, chat ids) or their groups servable any more."""
    markers = set(markers)
    keys = [versions.user(m) for m in markers] + [versions.memberships(m) for m in markers]
    keys += [k for g in group_ids for k in (versions.summary(g), versions.food(g))]
    versions.bump(keys)
    for layered in (readers.VIEWERS, readers.POSTS, readers.SHARERS, readers.GROUP_NAMES_CACHE, readers.PAGES,
                    group_reads.SUMMARIES, group_reads.LEADERBOARDS):
        layered.memory.clear()


def purge(markers: Iterable[str], group_ids: Iterable[str]) -> int:
    """`forget`, then drop every Redis key naming any of `markers`; returns the number of Redis keys deleted."""
    markers = set(markers)
    forget(markers, group_ids)
    client = get_client()
    if client is None:
        return 0
    quoted = [f'"{m}"'.encode() for m in markers] + [m.encode() for m in markers if m.isdigit()]
    doomed = []
    for key in client.scan_iter(count=500):
        name = key.decode(errors="replace")
        if set(_SEPARATORS.split(name)) & markers:
            doomed.append(key)
        elif client.type(key) == b"string":
            value = client.get(key) or b""
            if any(q in value for q in quoted):
                doomed.append(key)
    for key in doomed:
        client.delete(key)
    return len(doomed)
