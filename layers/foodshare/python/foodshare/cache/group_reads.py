"""The group summary and leaderboard served through the cache (`group_summary`, `reputation_rankings`).

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
from foodshare.cache.strategies import GROUP_SUMMARY, REPUTATION_RANKINGS
from foodshare.cache.versions import Snapshot

SUMMARIES: Layered[dict] = Layered(GROUP_SUMMARY, dict, dict)
LEADERBOARDS: Layered[list[group_activity.Leader]] = Layered(
    REPUTATION_RANKINGS,
    lambda rows: [[r.user_id, r.pseudonym, r.score, r.trust_level] for r in rows],
    lambda data: [group_activity.Leader(*row) for row in data],
)


def group_summary(group_id: str) -> dict:
    today = clock.now().date().isoformat()
    return SUMMARIES.get(Snapshot(), f"{group_id}|{today}", [versions.summary(group_id)],
                         load=lambda: group_activity.summary(group_id))


def leaderboard(group_id: str) -> list[group_activity.Leader]:
    return LEADERBOARDS.get(Snapshot(), group_id, [versions.summary(group_id)],
                            load=lambda: group_activity.leaderboard(group_id))
