"""Claiming function: claim a post and move its exchange through confirm, cancel or no-show."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query
from foodshare import cursors
from foodshare.api import models, views
from foodshare.api.contract import private
from foodshare.api.http import build_resolver, caller_id, entrypoint
from foodshare.domain import exchanges

app = build_resolver()


@app.post("/food/<foodId>/claims", operation_id="claimFood", summary="Claim a post (one claim wins)",
          **private(201, "not_found", "own_post", "already_claimed", "not_available",
                    "insufficient_credits", "partner_claim_limit", "active_claim_limit", "daily_credit_limit",
                    "group_claim_quota", "suspended_low_ratings", "restricted", "processing_restricted", "banned",
                    "pseudonym_unavailable",
                    "concurrent_update"))
def claim_food(foodId: str) -> models.Exchange:
    user_id = caller_id(app)
    return views.exchange(exchanges.claim(foodId, user_id), user_id)


@app.get("/me/exchanges", operation_id="getMyExchanges",
         summary="The caller's exchanges as claimer and as sharer, newest first, each with its post", **private(200))
def get_my_exchanges(
    status: Annotated[Literal["active", "closed", "claimed", "completed", "cancelled", "no_show", "lapsed"] | None,
                      Query(description="active: claimed, not yet completed or closed; closed: completed, "
                                        "cancelled, no_show or lapsed; or one status")] = None,
    limit: Annotated[int, Query(ge=1, le=exchanges.PAGE_MAX)] = exchanges.PAGE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> models.MyExchanges:
    user_id = caller_id(app)
    page, more = exchanges.of_participant(user_id, limit, cursors.after(cursor, cursors.ULID), status)
    return views.my_exchanges(page, user_id, more)


@app.get("/exchanges/<exchangeId>", operation_id="getExchange",
         summary="One exchange, to its two participants only", **private(200, "not_found"))
def get_exchange(exchangeId: str) -> models.Exchange:
    user_id = caller_id(app)
    return views.exchange(exchanges.get_for_participant(exchangeId, user_id), user_id)


@app.post("/exchanges/<exchangeId>/confirm", operation_id="confirmPickup",
          summary="Confirm the pickup (completed once both sides confirmed)",
          **private(200, "not_found", "invalid_state", "concurrent_update"))
def confirm_pickup(exchangeId: str) -> models.Exchange:
    user_id = caller_id(app)
    return views.exchange(exchanges.confirm(exchangeId, user_id), user_id)


@app.post("/exchanges/<exchangeId>/cancel", operation_id="cancelExchange", summary="Cancel a claimed exchange",
          **private(200, "not_found", "invalid_state", "concurrent_update"))
def cancel_exchange(exchangeId: str) -> models.Exchange:
    user_id = caller_id(app)
    return views.exchange(exchanges.cancel(exchangeId, user_id), user_id)


@app.post("/exchanges/<exchangeId>/no-show", operation_id="reportNoShow",
          summary="The sharer reports that the claimer did not come",
          **private(200, "not_found", "forbidden", "too_early", "invalid_state", "concurrent_update"))
def report_no_show(exchangeId: str) -> models.Exchange:
    user_id = caller_id(app)
    return views.exchange(exchanges.no_show(exchangeId, user_id), user_id)


handler = entrypoint(app)
