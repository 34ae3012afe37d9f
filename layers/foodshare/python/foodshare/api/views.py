"""Response shapes (camelCase JSON) for the entities the API returns."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from foodshare.data.models import (
    ExchangeItem,
    FoodItem,
    GroupItem,
    LedgerEntryItem,
    MembershipItem,
    PartnershipItem,
    RatingItem,
    ReputationHistoryItem,
    UserItem,
)
from foodshare.domain import partnerships
from foodshare.domain.discovery import Result

if TYPE_CHECKING:
    from foodshare.group_activity import Leader


def _number(value) -> float | int:
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else as_float


def profile(user: UserItem) -> dict:
    return {
        "userId": user.user_id,
        "displayName": user.display_name,
        "pseudonym": user.pseudonym,
        "location": {"lat": _number(user.lat), "lng": _number(user.lng)} if user.lat is not None else None,
        "score": _number(user.score),
        "trustLevel": user.trust_level,
        "createdAt": user.created_at,
    }


def reputation(user: UserItem, history: list[ReputationHistoryItem]) -> dict:
    ratings = int(user.ratings_received)
    return {
        "userId": user.user_id,
        "pseudonym": user.pseudonym,
        "score": _number(user.score),
        "trustLevel": user.trust_level,
        "counts": {
            "foodShared": int(user.shared_count),
            "exchangesCompleted": int(user.completed_count),
            "exchangesCancelled": int(user.cancelled_count),
            "noShows": int(user.no_show_count),
            "ratingsReceived": ratings,
        },
        "averageRating": round(float(user.rating_stars_total) / ratings, 2) if ratings else None,
        "history": [reputation_change(h) for h in history],
    }


def reputation_change(item: ReputationHistoryItem) -> dict:
    return {
        "occurredAt": item.occurred_at,
        "eventId": item.event_id,
        "eventType": item.event_type,
        "impact": item.kind,
        "points": _number(item.points),
        "applied": _number(item.applied),
        "previousScore": _number(item.previous_score),
        "newScore": _number(item.new_score),
        "reason": item.reason,
    }


def leader(rank: int, row: Leader) -> dict:
    return {
        "rank": rank,
        "userId": row.user_id,
        "pseudonym": row.pseudonym,
        "score": _number(row.score),
        "trustLevel": row.trust_level,
    }


def group(item: GroupItem, member: MembershipItem | None) -> dict:
    return {
        "groupId": item.group_id,
        "name": item.name,
        "description": item.description,
        "memberCount": int(item.member_count),
        "role": member.role if member else None,
        "createdAt": item.created_at,
    }


def partnership(item: PartnershipItem) -> dict:
    return {
        "partnershipId": item.partnership_id,
        "fromGroupId": item.from_group_id,
        "toGroupId": item.to_group_id,
        "status": item.status,
        "terms": partnerships.terms_view(partnerships.Terms.of(item.terms)),
        "createdAt": item.created_at,
        "updatedAt": item.updated_at,
    }


def food(post: FoodItem) -> dict:
    return {
        "foodId": post.food_id,
        "groupId": post.group_id,
        "sharerId": post.sharer_id,
        "title": post.title,
        "description": post.description,
        "quantity": int(post.quantity),
        "dietaryTags": list(post.dietary_tags or []),
        "allergens": list(post.allergens or []),
        "pickupLocation": {
            "lat": _number(post.pickup_lat),
            "lng": _number(post.pickup_lng),
            "label": post.pickup_label,
        },
        "pickupStart": post.pickup_start,
        "pickupEnd": post.pickup_end,
        "status": post.status,
        "createdAt": post.created_at,
    }


def discovered(result: Result) -> dict:
    item = food(result.post) | {
        "groupName": result.group_name,
        "fromPartnerGroup": result.from_partner_group,
        "sharer": {
            "userId": result.sharer.user_id,
            "pseudonym": result.sharer.pseudonym,
            "trustLevel": result.sharer.trust_level,
            "score": _number(result.sharer.score),
        },
    }
    if result.distance_km is not None:
        item["distanceKm"] = round(result.distance_km, 2)
    return item


def discovery_page(page: list[Result], next_cursor: str | None) -> str:
    """GET /food's body, serialized once: the page cache keeps and serves it as it is."""
    return json.dumps({"items": [discovered(r) for r in page], "nextCursor": next_cursor}, separators=(",", ":"))


def exchange(item: ExchangeItem) -> dict:
    return {
        "exchangeId": item.exchange_id,
        "foodId": item.food_id,
        "groupId": item.group_id,
        "sharerId": item.sharer_id,
        "claimerId": item.claimer_id,
        "status": item.status,
        "sharerConfirmed": bool(item.sharer_confirmed),
        "claimerConfirmed": bool(item.claimer_confirmed),
        "viaPartnership": item.partnership_id is not None,
        "pickupStart": item.pickup_start,
        "pickupEnd": item.pickup_end,
        "claimedAt": item.claimed_at,
        "completedAt": item.completed_at,
    }


def rating(item: RatingItem) -> dict:
    return {
        "exchangeId": item.exchange_id,
        "raterId": item.rater_id,
        "ratedUserId": item.rated_user_id,
        "stars": int(item.stars),
        "comment": item.comment,
        "createdAt": item.created_at,
    }


def ledger_entry(entry: LedgerEntryItem) -> dict:
    return {
        "entryId": entry.entry_id,
        "amount": int(entry.amount),
        "balanceAfter": int(entry.balance_after),
        "reason": entry.reason,
        "exchangeId": entry.exchange_id,
        "createdAt": entry.created_at,
    }
