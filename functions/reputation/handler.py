"""Reputation function: rate the other participant of an exchange, read a user's reputation."""

from __future__ import annotations

from foodshare import reputation
from foodshare.api import models, views
from foodshare.api.contract import private
from foodshare.api.http import build_resolver, caller_id, entrypoint
from foodshare.api.requests import RatingRequest
from foodshare.domain import discovery, identities, ratings, users
from foodshare.errors import NotFound

app = build_resolver()


@app.post("/exchanges/<exchangeId>/ratings", operation_id="rateExchange",
          summary="Rate the other participant of a completed exchange",
          **private(201, "not_found", "invalid_state", "rating_window_closed", "already_rated", "concurrent_update",
                  "account_erased", "banned"))
def rate_exchange(exchangeId: str, body: RatingRequest) -> models.Rating:
    user_id = caller_id(app)
    return views.rating(*ratings.rate_exchange(exchangeId, user_id, body.stars, body.comment))


@app.get("/users/<userId>/reputation", operation_id="getReputation",
         summary="The caller's own reputation (by their id or handle), or a member's trust level by their handle",
         **private(200, "not_found"))
def get_reputation(userId: str) -> models.Reputation | models.MemberReputation:
    caller = caller_id(app)
    if userId == caller:
        return views.reputation(users.get(caller), reputation.history(caller))
    seen = identities.seen_by(userId, caller, lambda: discovery.visible_group_ids(caller))
    if seen is not None and seen.user_id == caller:
        return views.reputation(users.get(caller), reputation.history(caller))
    if seen is None or seen.profile is None or seen.profile.restricted:  # restricted processing: not shown
        raise NotFound(f"User {userId} not found.")
    return views.reputation_of_other(seen.profile, seen.identity)


handler = entrypoint(app)
