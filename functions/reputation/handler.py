"""Reputation function: rate the other participant of an exchange, read a user's reputation."""

from __future__ import annotations

from foodshare import reputation
from foodshare.api import views
from foodshare.api.http import build_resolver, caller_id, created, entrypoint
from foodshare.api.requests import RatingRequest
from foodshare.domain import ratings, users

app = build_resolver()


@app.post("/exchanges/<exchangeId>/ratings")
def rate_exchange(exchangeId: str, body: RatingRequest):
    return created(views.rating(ratings.rate(exchangeId, caller_id(app), body.stars, body.comment)))


@app.get("/users/<userId>/reputation")
def get_reputation(userId: str):
    caller_id(app)
    return views.reputation(users.get(userId), reputation.history(userId))


handler = entrypoint(app)
