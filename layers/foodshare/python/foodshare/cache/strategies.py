"""Every cache type in one table: its levels, time-to-live per level and the DynamoDB read it saves (L3).

TTLs only bound memory and the rare missed invalidation; freshness after a write
comes from the version keys (foodshare.cache.versions), not from expiry.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Strategy:
    cache_type: str  # the `cache_type` dimension of the CacheHit / CacheMiss metrics
    l1_ttl_seconds: float  # in this container's memory
    l2_ttl_seconds: int  # in Redis, shared by all containers; 0: no L2, this container's memory only
    l3: str  # the DynamoDB read model a miss falls back to
    l1_max_entries: int = 4096


FOOD_DISCOVERY = Strategy(
    "food_discovery", 30, 600, "GROUP#<id>/OPENPOSTS board + the FOOD# items it lists: a group's open posts"
)
USER_PROFILE = Strategy("user_profile", 60, 1800, "USER#<id>/PROFILE: pseudonym, score, trust level")
VISIBLE_GROUPS = Strategy(
    "visible_groups", 60, 1800, "ByUserIndex memberships + GROUP#<id>/PARTNER# links: what a user may see"
)
GROUP_NAMES = Strategy("group_names", 300, 3600, "GROUP#<id>/META: names shown on discovery items")
GROUP_SUMMARY = Strategy("group_summary", 15, 300, "group summary read model (GET /groups/{groupId}/summary)")
REPUTATION_RANKINGS = Strategy(
    "reputation_rankings", 30, 300, "leaderboard read model (GET /groups/{groupId}/leaderboard)"
)
MEMBER_GROUPS = Strategy(
    "member_groups", 60, 1800, "ByUserIndex USER#<id>: the groups a user belongs to (members-only reads)"
)
# One caller's finished GET /food page (serialized body) for one set of filters: L1 only, as it is
# per caller and cheap to rebuild from the entries above; 512 pages of <= 50 items bound its memory.
DISCOVERY_PAGE = Strategy(
    "discovery_page", 30, 0, "the four discovery types above: one caller's finished page", l1_max_entries=512
)

STRATEGIES: dict[str, Strategy] = {
    s.cache_type: s
    for s in (
        FOOD_DISCOVERY, USER_PROFILE, VISIBLE_GROUPS, GROUP_NAMES, GROUP_SUMMARY, REPUTATION_RANKINGS, DISCOVERY_PAGE,
        MEMBER_GROUPS,
    )
}
