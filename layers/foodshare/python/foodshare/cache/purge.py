"""Erasure's part in the cache: nothing cached may still name an erased person.

The version bump makes every entry built from their data unservable at once (as any
write does); then every Redis key whose name or value names them (profiles, post lists,
discovery and leaderboard entries, rate-limit counters, locks) is deleted, and this
container's memory tier is emptied. Other containers' memory tiers hold entries that can
no longer be served and go within their TTL (at most one hour, docs/cache.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from foodshare.cache import group_reads, readers, versions
from foodshare.redis_client import get_client

_SEPARATORS = re.compile(r"[:|{}#]")


def purge(markers: Iterable[str], group_ids: Iterable[str]) -> int:
    """Drop what names any of `markers` (user ids, chat ids); returns the number of Redis keys deleted."""
    markers = set(markers)
    keys = [versions.user(m) for m in markers] + [versions.memberships(m) for m in markers]
    keys += [k for g in group_ids for k in (versions.summary(g), versions.food(g))]
    versions.bump(keys)
    for layered in (readers.VIEWERS, readers.POSTS, readers.SHARERS, readers.GROUP_NAMES_CACHE, readers.PAGES,
                    group_reads.SUMMARIES, group_reads.LEADERBOARDS):
        layered.memory.clear()
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
