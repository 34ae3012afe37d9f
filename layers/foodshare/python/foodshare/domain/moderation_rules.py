"""The moderation rules as pure decisions: who may act on whom, what an action needs, what it costs.

No I/O here; `domain/moderation.py` reads the values and commits the decision.
"""

from __future__ import annotations

from datetime import datetime

from foodshare.domain.fairness import Refusal

SUBJECT_TYPES = ("user", "food", "exchange")  # what a report is about (domain/reports.py)
REASONS = ("late", "no_show", "cancellation", "unsafe_food", "selling", "spam", "harassment", "other")

ADMIN, MODERATOR, MEMBER = "admin", "moderator", "member"
MODERATING_ROLES = (ADMIN, MODERATOR)
DISMISS, WARN, REMOVE_POST, RESTRICT, REMOVE_MEMBER, BAN = (
    "dismiss", "warn", "remove_post", "restrict", "remove_member", "ban"
)
ACTIONS = (DISMISS, WARN, REMOVE_POST, RESTRICT, REMOVE_MEMBER, BAN)
MODERATOR_LEVEL = "exemplary"  # only exemplary members may be made moderators

# An upheld report of these reasons costs the reported member reputation (reputation_rules.IMPACTS).
PENALTIES = {"unsafe_food": "safety_violation", "harassment": "safety_violation", "spam": "spam_report"}

# A reporter is flagged once this many of their reports were dismissed and dismissals outnumber
# upheld reports two to one (OLIO bans reporters of repeatedly unfounded reports; here a moderator decides).
UNFOUNDED_REPORTS_MIN = 3
# A dismissal cannot flag its reporter while they had fewer dismissals than this before it, or more upheld reports
# than dismissals (then 2 x upheld > dismissed + 1): domain/moderation.py checks that in the dismissal's
# transaction instead of reading their record, and reads it when it does not hold.
CANNOT_FLAG_BELOW = UNFOUNDED_REPORTS_MIN - 1

RESTRICTED = "restricted"


def penalty_for(reason: str) -> str | None:
    return PENALTIES.get(reason)


def may_act(actor_id: str, actor_role: str, target_id: str, target_role: str | None) -> bool:
    """Admins act on members and moderators, moderators on members; nobody on an admin or on themselves."""
    if actor_id == target_id or actor_role not in MODERATING_ROLES or target_role == ADMIN:
        return False
    return actor_role == ADMIN or target_role != MODERATOR


def missing_for(action: str, *, report: bool, member: bool, food: bool, days: int | None) -> dict[str, str]:
    """The fields an action still needs (after what its report supplies), as field -> what is missing."""
    missing: dict[str, str] = {}
    if action == DISMISS and not report:
        missing["reportId"] = "dismiss needs the report"
    if action == REMOVE_POST and not food:
        missing["foodId"] = "remove_post needs the post (or a report about a post)"
    if action in (WARN, RESTRICT, REMOVE_MEMBER, BAN) and not member:
        missing["memberHandle"] = f"{action} needs the member (or a report about them)"
    if action == RESTRICT and not days:
        missing["days"] = "restrict needs the number of days"
    return missing


def reporter_flag(upheld: int, dismissed: int) -> str | None:
    """Words for moderators when a reporter's reports are repeatedly unfounded, else None."""
    if dismissed >= UNFOUNDED_REPORTS_MIN and dismissed >= 2 * upheld:
        return (f"{dismissed} of this member's reports in the group were dismissed and {upheld} upheld: "
                "their reports may be unfounded or used to harass.")
    return None


def may_grant_moderator(trust_level: str) -> bool:
    return trust_level == MODERATOR_LEVEL


def may_decide_appeal(decider_id: str, decider_role: str, moderator_id: str, member_id: str) -> bool:
    """An appeal is decided by an admin other than whoever took the action (and not the appellant)."""
    return decider_role == ADMIN and decider_id not in (moderator_id, member_id)


def restriction(until: datetime | None, now: datetime) -> Refusal | None:
    if until is None or until <= now:
        return None
    return Refusal(RESTRICTED, "You are restricted from posting and claiming in this group (by its moderators, "
                               "or while they review a flag on your account).", until)


# The moderation queue in pages: a group's open appeals, flags and reports can grow without bound, and every entry
# shown costs the read of its evidence. Entries are ordered by the key a moderator sees them by (`queue_key`):
# appeals, then flags, then reports oldest first; a cursor is the last entry's key, so acting on an entry (which
# deletes it) never shifts the next page, and a cursor names nobody but as the group knows them. The largest page is the
# largest whose evidence fits one BatchGetItem (100 keys) with the caller's membership, at five keys a report (it,
# its member's profile and membership, its reporter's record and membership).
QUEUE_PAGE, QUEUE_PAGE_MAX = 10, (100 - 1) // 5


APPEAL_KEY, FLAG_KEY, REPORT_KEY = "A", "F", "R"  # in the order the queue shows them
QUEUE_KEY_KINDS = tuple(f"{kind}#" for kind in (APPEAL_KEY, FLAG_KEY, REPORT_KEY))


def queue_key(kind: str, *shown: str) -> str:
    """An entry's place in the queue, from what the moderator is shown of it: an appeal's or a report's id, a flag's
    member by their handle in the group (never their user id: a cursor would carry it out) and its kind."""
    return "#".join((kind, *shown))


def queue_page(sort_keys: list[str], after: str | None, limit: int) -> tuple[slice, str | None]:
    """Which of the queue's entries (`sort_keys`: their `queue_key`s, sorted) one page shows, and the cursor of the
    next page (None on the last): the first `limit` entries after `after`."""
    start = 0
    if after is not None:
        start = next((i for i, key in enumerate(sort_keys) if key > after), len(sort_keys))
    end = min(start + limit, len(sort_keys))
    return slice(start, end), (sort_keys[end - 1] if end < len(sort_keys) else None)
