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
from foodshare import identity_key
from foodshare.domain import identities, partnerships, privacy
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


def privacy_settings(chosen) -> dict:
    return {"restricted": chosen.restricted, "leaderboard": chosen.leaderboard,
            "locationPrecision": chosen.location_precision}


def reputation_of_other(user: UserItem, identity: identities.Identity) -> dict:
    """Someone else's reputation, opened by their handle: what one group may know of them.

    Only the trust level: an exact score, counts or a history are the same in every group the
    person is in and would let members of two groups recognise them.
    """
    return {**identities.view(identity, False), "trustLevel": user.trust_level}


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


def leader(rank: int, row: Leader, group_id: str, viewer_id: str) -> dict:
    """A leaderboard row: the member's identity in this group and trust level; the exact score only
    on the viewer's own row (an exact score is the same in every group and would link them)."""
    mine = row.user_id == viewer_id
    body = {"rank": rank, **identities.seen_by(viewer_id, row.user_id, group_id, row.pseudonym),
            "trustLevel": row.trust_level}
    if mine:
        body["score"] = _number(row.score)
    return body


def group(item: GroupItem, member: MembershipItem | None) -> dict:
    return {
        "groupId": item.group_id,
        "name": item.name,
        "description": item.description,
        "memberCount": int(item.member_count),
        "role": member.role if member else None,
        "disclaimer": item.disclaimer,
        "disclaimerVersion": int(item.disclaimer_version) if item.disclaimer_version else None,
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


def food(post: FoodItem, viewer_id: str | None = None, exact: bool = True,
         shown: privacy.Shown | None = None) -> dict:
    """A post as `viewer_id` sees it (default: its sharer): the sharer as a per-group identity,
    the pickup place exact or as an area (`domain/privacy.py`)."""
    viewer_id = viewer_id or post.sharer_id
    shown = shown or privacy.pickup(identity_key.key(), post.food_id, float(post.pickup_lat),
                                    float(post.pickup_lng), post.pickup_label, exact)
    return {
        "foodId": post.food_id,
        "groupId": post.group_id,
        "sharer": identities.seen_by(viewer_id, post.sharer_id, post.group_id, post.sharer_pseudonym),
        "title": post.title,
        "description": post.description,
        "quantity": int(post.quantity),
        "dietaryTags": list(post.dietary_tags or []),
        "allergens": list(post.allergens or []),
        "pickupLocation": {
            "lat": _number(shown.lat),
            "lng": _number(shown.lng),
            "label": shown.label,
            "precision": shown.precision,
        },
        "pickupStart": post.pickup_start,
        "pickupEnd": post.pickup_end,
        "status": post.status,
        "createdAt": post.created_at,
    }


def discovered(result: Result, viewer_id: str) -> dict:
    item = food(result.post, viewer_id, shown=result.shown) | {
        "groupName": result.group_name,
        "fromPartnerGroup": result.from_partner_group,
    }
    item["sharer"]["trustLevel"] = result.sharer.trust_level
    if result.distance_km is not None:
        item["distanceKm"] = round(result.distance_km, 2)
    return item


def discovery_page(page: list[Result], next_cursor: str | None, viewer_id: str) -> str:
    """GET /food's body, serialized once: the page cache keeps and serves it as it is (per caller)."""
    return json.dumps({"items": [discovered(r, viewer_id) for r in page], "nextCursor": next_cursor},
                      separators=(",", ":"))


def exchange(item: ExchangeItem, viewer_id: str) -> dict:
    """Both participants as per-group identities in the exchange's group (`mine` marks the viewer)."""
    return {
        "exchangeId": item.exchange_id,
        "foodId": item.food_id,
        "groupId": item.group_id,
        "sharer": identities.view(identities.in_group(item.sharer_id, item.group_id), item.sharer_id == viewer_id),
        "claimer": identities.view(identities.in_group(item.claimer_id, item.group_id), item.claimer_id == viewer_id),
        "status": item.status,
        "sharerConfirmed": bool(item.sharer_confirmed),
        "claimerConfirmed": bool(item.claimer_confirmed),
        "viaPartnership": item.partnership_id is not None,
        "pickupStart": item.pickup_start,
        "pickupEnd": item.pickup_end,
        "claimedAt": item.claimed_at,
        "completedAt": item.completed_at,
    }


def rating(item: RatingItem, group_id: str) -> dict:
    """A rating as its rater sees it: the rated person as their identity in the exchange's group."""
    return {
        "exchangeId": item.exchange_id,
        "ratedUser": identities.view(identities.in_group(item.rated_user_id, group_id), False),
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
