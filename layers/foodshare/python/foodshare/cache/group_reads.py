"""The group summary and leaderboard served through the cache (`group_summary`, `reputation_rankings`),
members only: the caller's groups come from the cache too (`member_groups`, versioned by the caller's
memberships, which MemberJoined/MemberLeft bump), so a warm read makes no DynamoDB call and reads the
versions of both in one script call.

Both read models change only through events, and every such change bumps the group's
`summary:<g>` version before anyone can read the new state: MemberJoined/MemberLeft in the
API's write path, the read-model consumer after each event it applies (the summary), and
the reputation consumer's ReputationChanged, which names the user's groups (their
leaderboards). A leaderboard is one query plus a BatchGetItem per 100 members, so a large
group's is worth keeping. The summary is kept per day too: its 30-day window slides at midnight.
"""

from __future__ import annotations

from foodshare import clock, group_activity
from foodshare.cache import versions
from foodshare.cache.layered import Layered
from foodshare.cache.strategies import GROUP_SUMMARY, MEMBER_GROUPS, REPUTATION_RANKINGS
from foodshare.cache.versions import Snapshot
from foodshare.domain import groups
from foodshare.errors import NotFound

SUMMARIES: Layered[dict] = Layered(GROUP_SUMMARY, dict, dict)
LEADERBOARDS: Layered[list[group_activity.Leader]] = Layered(
    REPUTATION_RANKINGS,
    lambda rows: [[r.user_id, r.pseudonym, r.score, r.trust_level] for r in rows],
    lambda data: [group_activity.Leader(*row) for row in data],
)


MEMBER_OF: Layered[list[str]] = Layered(MEMBER_GROUPS, list, list)


def _member_snapshot(group_id: str, user_id: str) -> Snapshot:
    """A Snapshot holding the group's read-model version and the caller's memberships version (one round trip),
    after checking the caller is a member (NotFound otherwise, as groups.require_member)."""
    snap = Snapshot()
    snap.fetch([versions.summary(group_id), versions.memberships(user_id)])
    if group_id not in _own_groups(snap, user_id):
        raise NotFound(f"Group {group_id} not found.")
    return snap


def _own_groups(snap: Snapshot, user_id: str) -> list[str]:
    return MEMBER_OF.get(snap, user_id, [versions.memberships(user_id)],
                         load=lambda: sorted(groups.group_ids_of(user_id)))


def member_groups(user_id: str) -> list[str]:
    """The user's groups through the cache (no DynamoDB call when warm; the memberships query when not). As exact
    as the query for a write that names them: MemberJoined/MemberLeft bump `memberships:<user>` together with
    the group's `summary:<g>` (one script), so a join this misses bumps that group's leaderboard itself after."""
    snap = Snapshot()
    snap.fetch([versions.memberships(user_id)])
    return _own_groups(snap, user_id)


def group_summary(group_id: str, user_id: str) -> dict:
    snap = _member_snapshot(group_id, user_id)
    today = clock.now().date().isoformat()
    return SUMMARIES.get(snap, f"{group_id}|{today}", [versions.summary(group_id)],
                         load=lambda: group_activity.summary(group_id))


def leaderboard(group_id: str, user_id: str) -> list[group_activity.Leader]:
    snap = _member_snapshot(group_id, user_id)
    return LEADERBOARDS.get(snap, group_id, [versions.summary(group_id)],
                            load=lambda: group_activity.leaderboard(group_id))
