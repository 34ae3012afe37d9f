"""A person's writes through the bots spend the API's per-person allowance (`cache.ratelimit`): one bucket per
person and route, whichever client they use, so a chat is no way around RATE_LIMIT_POSTING and the others.

A redelivered update or a Slack retry is applied once (`webhook.apply_once`), so it spends nothing again. With
Redis unavailable the request goes through, as it does on the API (the limiter fails open).
"""

from __future__ import annotations

from foodshare.errors import Conflict

POSTING, CLAIMS, REPORTS = "POST /food", "POST /food/{foodId}/claims", "POST /reports"
_LATELY = {POSTING: "shared a lot", CLAIMS: "claimed a lot", REPORTS: "filed many reports"}


def spend(user_id: str, route_key: str) -> None:
    """Count one request of `route_key` for the person; a polite 429-like refusal when their allowance is spent."""
    from foodshare.cache import ratelimit  # redis-py: imported on first use, as the API's limiter is

    decision = ratelimit.check(user_id, route_key)
    if decision is not None and not decision.allowed:
        minutes = max(1, -(-decision.retry_after_ms // 60_000))
        raise Conflict(f"You have {_LATELY[route_key]} lately: please try again in {minutes} min.",
                       code="rate_limited")
