"""Posting function: share food, read a post, withdraw it."""

from __future__ import annotations

from foodshare.api import views
from foodshare.api.http import build_resolver, caller_id, created, entrypoint
from foodshare.api.requests import ShareFoodRequest
from foodshare.domain import food, users

app = build_resolver()


@app.post("/food")
def share_food(body: ShareFoodRequest):
    user_id = caller_id(app)
    users.ensure(user_id)
    post = food.share(
        user_id,
        food.NewPost(
            group_id=body.group_id,
            title=body.title,
            description=body.description,
            quantity=body.quantity,
            dietary_tags=body.dietary_tags,
            allergens=body.allergens,
            lat=body.pickup_location.lat,
            lng=body.pickup_location.lng,
            label=body.pickup_location.label,
            pickup_start=body.pickup_start,
            pickup_end=body.pickup_end,
        ),
    )
    return created(views.food(post))


@app.get("/food/<foodId>")
def get_food(foodId: str):
    user_id = caller_id(app)
    post, access = food.get_visible(foodId, user_id)
    body = views.food(post, user_id, food.sees_exact(post, user_id)) | {"fromPartnerGroup": access.via_partnership}
    if post.exchange_id and user_id == post.sharer_id:
        body["exchangeId"] = post.exchange_id
    return body


@app.delete("/food/<foodId>")
def withdraw_food(foodId: str):
    return views.food(food.withdraw(foodId, caller_id(app)))


handler = entrypoint(app)
