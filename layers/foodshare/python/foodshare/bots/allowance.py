"""What a person does through the bots spends the API's per-person allowance (`cache.ratelimit`): one bucket per
person and route, the route the command stands for, so a chat is no way around RATE_LIMIT_POSTING, _CLAIMS,
_REPORTS, _DISCOVERY (`/browse` is `GET /food`) and _DEFAULT (`/mine`, `/rep`, `/credits`, `/export`, `/erase`,
`/privacy`, `/invite`, `/join`, `/mod`, a partnership proposal's Accept and Decline).

A redelivered update or a Slack retry is applied once (`webhook.apply_once`), so it spends nothing again. With
Redis unavailable the request goes through, as it does on the API (the limiter fails open).
"""

from __future__ import annotations

from foodshare.errors import Conflict

# Writes
POSTING, CLAIMS, REPORTS = "POST /food", "POST /food/{foodId}/claims", "POST /reports"
EXPORT, EXPORT_LINK = "POST /me/exports", "GET /me/exports/{exportId}"
ERASURE_CODE, ERASURE = "POST /me/erasure", "DELETE /me"
PRIVACY_CHANGE = "PUT /me/privacy"
INVITE, JOIN = "POST /groups/{groupId}/invites", "POST /groups/join"
MODERATE = "POST /groups/{groupId}/moderation/actions"
PARTNERSHIP_ACCEPT, PARTNERSHIP_DECLINE = "POST /partnerships/{partnershipId}/accept", "POST /partnerships/{partnershipId}/decline"
# Reads
BROWSE, MINE = "GET /food", "GET /me/exchanges"
REPUTATION, CREDITS = "GET /users/{userId}/reputation", "GET /me/credits"
PRIVACY = "GET /me/privacy"
MODERATION, MY_GROUPS = "GET /groups/{groupId}/moderation", "GET /me/groups"

_LATELY = {POSTING: "shared a lot", CLAIMS: "claimed a lot", REPORTS: "filed many reports"}
_ASKED = "asked for a lot"  # every other route: reads, exports, erasure codes, privacy choices


def spend(user_id: str, route_key: str) -> None:
    """Count one request of `route_key` for the person; a polite 429-like refusal when their allowance is spent."""
    from foodshare.cache import ratelimit  # redis-py: imported on first use, as the API's limiter is

    decision = ratelimit.check(user_id, route_key)
    if decision is not None and not decision.allowed:
        minutes = max(1, -(-decision.retry_after_ms // 60_000))
        raise Conflict(f"You have {_LATELY.get(route_key, _ASKED)} lately: please try again in {minutes} min.",
                       code="rate_limited")
