"""Posting function: share food, read a post, withdraw it."""

from __future__ import annotations

from foodshare.api import models, views
from foodshare.api.contract import private
from foodshare.api.http import build_resolver, caller_id, entrypoint
from foodshare.api.requests import ShareFoodRequest
from foodshare.domain import food

app = build_resolver()


@app.post("/food", operation_id="shareFood", summary="Share food with one of the caller's groups",
          **private(201, "not_found", "suspended_low_ratings", "restricted", "pseudonym_unavailable",
                    "concurrent_update", "account_erased"))
def share_food(body: ShareFoodRequest) -> models.Food:
    user_id = caller_id(app)
    post = food.share(user_id, body.new_post())
    return views.food(post)


@app.get("/food/<foodId>", operation_id="getFood", summary="A post visible to the caller",
         **private(200, "not_found"))
def get_food(foodId: str) -> models.FoodDetail:
    user_id = caller_id(app)
    post, access, exact = food.get_detail(foodId, user_id)
    exchange_id = post.exchange_id if post.exchange_id and user_id == post.sharer_id else None
    return views.food_detail(post, user_id, exact, access.via_partnership, exchange_id)


@app.delete("/food/<foodId>", operation_id="withdrawFood", summary="Withdraw the caller's own post",
            **private(200, "not_found", "forbidden", "invalid_state", "concurrent_update"))
def withdraw_food(foodId: str) -> models.Food:
    return views.food(food.withdraw(foodId, caller_id(app)))


handler = entrypoint(app)
