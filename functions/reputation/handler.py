"""Reputation function: rate the other participant of an exchange, read a user's reputation."""

from __future__ import annotations

from foodshare import reputation
from foodshare.api import models, views
from foodshare.api.contract import private
from foodshare.api.http import build_resolver, caller_id, entrypoint
from foodshare.api.requests import RatingRequest
from foodshare.domain import ratings, users

app = build_resolver()


@app.post("/exchanges/<exchangeId>/ratings", operation_id="rateExchange",
          summary="Rate the other participant of a completed exchange",
          **private(201, "not_found", "invalid_state", "rating_window_closed", "already_rated", "concurrent_update"))
def rate_exchange(exchangeId: str, body: RatingRequest) -> models.Rating:
    return views.rating(ratings.rate(exchangeId, caller_id(app), body.stars, body.comment))


@app.get("/users/<userId>/reputation", operation_id="getReputation", summary="A user's reputation and its history",
         **private(200, "not_found"))
def get_reputation(userId: str) -> models.Reputation:
    caller_id(app)
    return views.reputation(users.get(userId), reputation.history(userId))


handler = entrypoint(app)
