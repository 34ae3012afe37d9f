"""Claiming function: claim a post and move its exchange through confirm, cancel or no-show."""

from __future__ import annotations

from foodshare.api import views
from foodshare.api.http import build_resolver, caller_id, created, entrypoint
from foodshare.domain import exchanges

app = build_resolver()


@app.post("/food/<foodId>/claims")
def claim_food(foodId: str):
    user_id = caller_id(app)
    return created(views.exchange(exchanges.claim(foodId, user_id), user_id))


@app.post("/exchanges/<exchangeId>/confirm")
def confirm_pickup(exchangeId: str):
    user_id = caller_id(app)
    return views.exchange(exchanges.confirm(exchangeId, user_id), user_id)


@app.post("/exchanges/<exchangeId>/cancel")
def cancel_exchange(exchangeId: str):
    user_id = caller_id(app)
    return views.exchange(exchanges.cancel(exchangeId, user_id), user_id)


@app.post("/exchanges/<exchangeId>/no-show")
def report_no_show(exchangeId: str):
    user_id = caller_id(app)
    return views.exchange(exchanges.no_show(exchangeId, user_id), user_id)


handler = entrypoint(app)
