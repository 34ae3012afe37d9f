"""The reputation consumer's effect: events -> impacts -> scores, counts and a per-user history.

Cap windows come from the event's `occurredAt`, never from processing time, so a late,
out-of-order or replayed delivery lands in the same day/week it happened in. Each
event's changes (every user it touches, every impact, the history lines, the
`ReputationChanged` and `TrustLevelChanged` events) commit in one transaction with the processed marker.
Concurrent changes to one user are serialized by the condition on the score read:
the window totals only ever move together with the score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from foodshare import consumers, reputation_rules as rules
from foodshare.consumers import Delivered
from foodshare.data.models import ReputationHistoryItem, ReputationWindowItem, UserItem
from foodshare.data.transaction import UnitOfWork
from foodshare.domain import groups, users
from foodshare.errors import ConcurrentUpdate

CONSUMER = "reputation_consumer"
WINDOW_RETENTION = timedelta(days=15)  # cap windows are a day or a week; keep them a little longer

LABELS = {
    "food_shared": "Shared food",
    "exchange_completed": "Completed an exchange",
    "reliable_pickup": "Picked up as agreed",
    "exchange_cancelled": "Cancelled an exchange",
    "no_show": "Did not show up for a pickup",
    "rated_high": "Received a good rating",
    "rated_low": "Received a poor rating",
}


@dataclass
class UserEffect:
    """What one event does to one user: impacts in order, and counters to add."""

    kinds: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def effects(event: Delivered) -> dict[str, UserEffect]:
    """The impacts and count changes an event brings, per user (the mapping from issue #3's rules)."""
    data = event.data
    out: dict[str, UserEffect] = {}

    def add(user_id: str, kind: str | None = None, **counts: int) -> None:
        effect = out.setdefault(user_id, UserEffect())
        if kind:
            effect.kinds.append(kind)
        for name, n in counts.items():
            effect.counts[name] = effect.counts.get(name, 0) + n

    if event.event_type == "FoodShared":
        add(data["sharerId"], "food_shared", shared_count=1)
    elif event.event_type == "ExchangeCompleted":
        add(data["sharerId"], "exchange_completed", completed_count=1)
        add(data["claimerId"], "exchange_completed", completed_count=1)
        add(data["claimerId"], "reliable_pickup")
    elif event.event_type == "ExchangeCancelled":
        add(data["closedBy"], "exchange_cancelled", cancelled_count=1)
    elif event.event_type == "ExchangeNoShow":
        add(data["claimerId"], "no_show", no_show_count=1)
    elif event.event_type == "RatingSubmitted":
        stars = int(data["stars"])
        add(data["ratedUserId"], rules.rating_impact_kind(stars), ratings_received=1, rating_stars_total=stars)
    return out


def apply(event: Delivered, *, emit_events: bool = True) -> bool:
    """Apply an event once. `emit_events=False` (replay) leaves out `ReputationChanged` and
    `TrustLevelChanged`, which the live path already recorded. Returns False for a duplicate."""
    per_user = effects(event)
    return consumers.once(CONSUMER, event, lambda uow: _build(uow, event, per_user, emit_events))


def _build(uow: UnitOfWork, event: Delivered, per_user: dict[str, UserEffect], emit_events: bool) -> None:
    for user_id, effect in per_user.items():
        user = users.find(user_id)
        if user is None:  # erased while this event was in flight: their profile lives on under an anonymous id
            continue
        previous = float(user.score)
        score = previous
        for kind in effect.kinds:
            score = _impact(uow, event, user_id, kind, score)
        actions = [getattr(UserItem, name).add(n) for name, n in effect.counts.items()]
        if score != previous:
            actions += [UserItem.score.set(score), UserItem.trust_level.set(rules.trust_level(score))]
        uow.update(user, actions, UserItem.score == previous,
                   on_fail=ConcurrentUpdate("the score changed meanwhile"))
        if emit_events and score != previous:
            # Its userId makes the cache drop this user's cached profile, its groupIds their leaderboards.
            uow.record(
                "ReputationChanged",
                None,
                {
                    "userId": user_id,
                    "groupIds": groups.group_ids_of(user_id),
                    "previousScore": previous,
                    "score": score,
                    "trustLevel": rules.trust_level(score),
                    "causeEventId": event.event_id,
                    "causeEventType": event.event_type,
                },
            )
        if emit_events and rules.trust_level(score) != rules.trust_level(previous):
            uow.record(
                "TrustLevelChanged",
                None,
                {
                    "userId": user_id,
                    "previousLevel": rules.trust_level(previous),
                    "newLevel": rules.trust_level(score),
                    "previousScore": previous,
                    "score": score,
                    "causeEventId": event.event_id,
                    "causeEventType": event.event_type,
                },
            )


def _impact(uow: UnitOfWork, event: Delivered, user_id: str, kind: str, score: float) -> float:
    """Add one impact (cut to its window's cap) and its history line; returns the new score."""
    window_key = rules.window_key(kind, event.moment)
    window = ReputationWindowItem(*ReputationWindowItem.key(user_id, kind, window_key))
    try:
        used = float(ReputationWindowItem.get(window.pk, window.sk).used)
    except ReputationWindowItem.DoesNotExist:
        used = 0.0
    change = rules.score_change(kind, score, used)
    if change.applied:
        uow.update(window, [ReputationWindowItem.used.add(change.applied),
                            ReputationWindowItem.expires_at_epoch.set(event.moment + WINDOW_RETENTION)])
    impact = rules.IMPACTS[kind]
    reason = LABELS[kind]
    if change.capped:
        reason += f" (the {impact.window}'s cap of {impact.cap:+g} is reached)"
    uow.save(
        ReputationHistoryItem(
            *ReputationHistoryItem.key(user_id, event.occurred_at, event.event_id, kind),
            user_id=user_id,
            event_id=event.event_id,
            event_type=event.event_type,
            kind=kind,
            points=impact.points,
            applied=change.applied,
            previous_score=change.previous,
            new_score=change.new,
            reason=reason,
            occurred_at=event.occurred_at,
        )
    )
    return change.new


def history(user_id: str, limit: int = 20) -> list[ReputationHistoryItem]:
    """The user's most recent score changes, newest first."""
    return list(
        ReputationHistoryItem.query(
            f"USER#{user_id}", ReputationHistoryItem.sk.startswith("REPHIST#"), scan_index_forward=False, limit=limit
        )
    )
