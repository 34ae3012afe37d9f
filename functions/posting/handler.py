"""Posting function: share food, read a post, withdraw it."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from foodshare import cursors
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
    seen = food.get_detail(foodId, user_id)
    return views.food_detail(seen.post, user_id, seen.exact, seen.from_partner_group,
                             views.exchange_shown(seen.post, user_id))


# A post's index entry: FOOD#<createdAt>#<foodId>, or FOOD#<foodId> before GET /me/food (ops/by_user.py)
_POST_ENTRY = r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ#)?[0-9A-Za-z-]{1,128}"


@app.get("/me/food", operation_id="getMyFood", summary="The caller's own posts, newest first", **private(200))
def get_my_food(
    status: Annotated[models.FoodStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=food.PAGE_MAX)] = food.PAGE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> models.OwnPosts:
    user_id = caller_id(app)
    posts, more = food.shared_by(user_id, limit, cursors.after(cursor, _POST_ENTRY), status)
    return views.own_posts(posts, user_id, more)


@app.delete("/food/<foodId>", operation_id="withdrawFood", summary="Withdraw the caller's own post",
            **private(200, "not_found", "forbidden", "invalid_state", "concurrent_update"))
def withdraw_food(foodId: str) -> models.Food:
    return views.food(food.withdraw(foodId, caller_id(app)))


handler = entrypoint(app)
