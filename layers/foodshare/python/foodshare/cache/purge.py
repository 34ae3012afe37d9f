"""Erasure's part in the cache: nothing cached may still name an erased person.

`forget` (DELETE /me, in the request: keyed by the person and their groups, no scan): the
version bump makes every entry built from their data unservable at once (as any write does),
and this container's memory tier is emptied. `purge` (the erasure consumer, when the sweep
completes) also deletes every Redis key whose name or value names them (profiles, post lists,
discovery and leaderboard entries, rate-limit counters, locks, their version keys): a pass over
the keyspace. `forget` bumps only keys that exist, so a retried purge (or a redelivery's `forget`)
writes no key naming them again; a person's version keys expire in any case (`versions.expiry_ms`).
Other containers' memory tiers hold entries that can no longer be served and go within their
TTL (at most one hour, docs/cache.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from foodshare.cache import group_reads, readers, versions
from foodshare.redis_client import get_client

# What separates the parts of a key's name, and the values in a stored document.
_BOUNDARY = r"""[:|{}#"\[\],\s]"""


def _marker_pattern(markers: Iterable[str]) -> re.Pattern[bytes]:
    """A marker standing whole between separators (or at either end) of a key's name or a stored value. Not the
    name split at its separators: an id holding one itself (a Slack id, `slack:T0001:U0XYZZY`) would be no part."""
    longest_first = sorted(markers, key=len, reverse=True)
    alternatives = "|".join(re.escape(m) for m in longest_first)
    return re.compile(f"(?:^|(?<={_BOUNDARY}))(?:{alternatives})(?=$|{_BOUNDARY})".encode())


def forget(markers: Iterable[str], group_ids: Iterable[str]) -> None:
    """Make nothing cached about `markers` (user ids, chat ids) or their groups servable any more."""
    markers = set(markers)
    keys = [versions.user(m) for m in markers] + [versions.memberships(m) for m in markers]
    keys += [k for g in group_ids for k in (versions.summary(g), versions.food(g))]
    versions.bump(keys, only_existing=True)  # what is missing holds nothing servable; a retried purge writes none
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
    if not markers:
        return 0
    named = _marker_pattern(markers).search
    doomed = []
    for key in client.scan_iter(count=500):
        if named(key) or (client.type(key) == b"string" and named(client.get(key) or b"")):
            doomed.append(key)
    for key in doomed:
        client.delete(key)
    return len(doomed)
