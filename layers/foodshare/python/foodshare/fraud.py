"""The fraud-signals consumer: per user, the four pattern scores with their evidence; flags and restrictions.

From events it keeps the rating graph (`RATEOUT#`/`RATEIN#` edges with counts and day
spans) and per-user daily counters (`SIGNALS#<day>`), and after each event recomputes
the concerned users' scores with the pure `fraud_rules`. A pattern at or above its
threshold flags the user to the moderators of each of their groups (a `FlagItem` with
the explanation in words), restricts them there for RESTRICTION_DAYS, and records
`FraudFlagged`. For a rating ring, every member is flagged together and the event
names the ring, so the reputation consumer reverses the ratings inside it and ignores
later ones. Like every consumer, each event's effect commits once with its marker.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from foodshare import clock, consumers, ids
from foodshare import fraud_rules as rules
from foodshare.consumers import Delivered
from foodshare.data.models import FlagItem, RatingEdgeItem, RestrictionItem, RiskItem, SignalDayItem
from foodshare.data.transaction import UnitOfWork
from foodshare.domain import groups

CONSUMER = "fraud_signals"
RESTRICTION_DAYS = 7
NEIGHBOURS = 40  # at most this many mutual partners of a rater are examined for a ring
EVENT_TYPES = ("RatingSubmitted", "FoodShared", "FoodClaimed", "FoodExpired", "ExchangeCancelled", "ExchangeNoShow",
               "ModerationActionTaken")


def _day_number(event: Delivered) -> int:
    return event.moment.toordinal()


def apply(event: Delivered) -> bool:
    return consumers.once(CONSUMER, event, lambda uow: _build(uow, event))


def _build(uow: UnitOfWork, event: Delivered) -> None:
    data = event.data
    if event.event_type == "RatingSubmitted":
        _rating(uow, event, data["raterId"], data["ratedUserId"])
        return
    counted = _counts(event)
    for user_id, fields in counted.items():
        _count_and_score(uow, event, user_id, fields)


def _counts(event: Delivered) -> dict[str, dict]:
    """Which user's daily counters an event moves, and by what."""
    data, kind = event.data, event.event_type
    if kind == "FoodShared":
        title = hashlib.sha256(data["title"].strip().lower().encode()).hexdigest()[:16]
        return {data["sharerId"]: {"posts": 1, "title": title}}
    if kind == "FoodClaimed":
        return {data["claimerId"]: {"claims": 1}}
    if kind == "FoodExpired":
        return {data["sharerId"]: {"expired_posts": 1}}
    if kind == "ExchangeCancelled" and data["closedBy"] == data["claimerId"]:
        return {data["claimerId"]: {"cancels": 1}}
    if kind == "ExchangeNoShow":
        return {data["claimerId"]: {"no_shows": 1}}
    if kind == "ModerationActionTaken" and data.get("penalty") == "safety_violation":
        return {data["memberId"]: {"unsafe_reports": 1}}
    return {}


def _recent_days(user_id: str, event: Delivered, days: int) -> list[SignalDayItem]:
    since = (event.moment - timedelta(days=days - 1)).date().isoformat()
    return list(SignalDayItem.query(f"USER#{user_id}", SignalDayItem.sk.between(f"SIGNALS#{since}", "SIGNALS#~")))


def _count_and_score(uow: UnitOfWork, event: Delivered, user_id: str, fields: dict) -> None:
    today = event.moment.date().isoformat()
    days = _recent_days(user_id, event, 30)
    week_start = (event.moment - timedelta(days=6)).date().isoformat()
    week = [d for d in days if d.sk >= f"SIGNALS#{week_start}"]
    title = fields.pop("title", None)
    duplicate = bool(title) and any(title in (d.titles or set()) for d in week)
    if duplicate:
        fields["duplicate_posts"] = 1
    actions = [getattr(SignalDayItem, name).add(n) for name, n in fields.items()]
    actions.append(SignalDayItem.expires_at_epoch.set(event.moment + timedelta(days=31)))
    if title:
        actions.append(SignalDayItem.titles.add({title}))
    uow.update(SignalDayItem(*SignalDayItem.key(user_id, today)), actions)

    def total(name: str, items: list[SignalDayItem]) -> int:  # what is stored, plus this event
        return sum(int(getattr(d, name) or 0) for d in items) + fields.get(name, 0)

    activity = rules.Activity(
        claims=total("claims", week),
        cancels=total("cancels", week),
        posts=total("posts", week),
        duplicate_posts=total("duplicate_posts", week),
        expired_posts=total("expired_posts", week),
        no_shows_30d=total("no_shows", days),
        unsafe_reports_30d=total("unsafe_reports", days),
    )
    _score(uow, event, user_id, rules.pattern_scores(activity))


def _risk(user_id: str) -> RiskItem | None:
    try:
        return RiskItem.get(*RiskItem.key(user_id))
    except RiskItem.DoesNotExist:
        return None


def _score(uow: UnitOfWork, event: Delivered, user_id: str, patterns: dict[str, tuple[float, str]],
           ring: rules.Ring | None = None, ring_id: str | None = None) -> None:
    """Store the user's scores (merged with what is stored) and flag patterns newly at their threshold."""
    current = _risk(user_id)
    scores = json.loads(current.scores) if current else {p: 0.0 for p in rules.PATTERNS}
    evidence = json.loads(current.evidence) if current else {}
    for pattern, (score, words) in patterns.items():
        scores[pattern], evidence[pattern] = score, words
    already = set(current.flagged or ()) if current else set()
    newly = [p for p in rules.over_threshold(scores) if p not in already]
    item = RiskItem(
        *RiskItem.key(user_id),
        scores=json.dumps(scores, sort_keys=True),
        evidence=json.dumps(evidence, sort_keys=True),
        risk=rules.risk(scores),
        flagged=(already | set(newly)) or None,
        ring_id=ring_id or (current.ring_id if current else None),
        ring_members=set(ring.members) if ring else (current.ring_members if current else None),
        updated_at=event.occurred_at,
    )
    uow.save(item)
    for pattern in newly:
        _flag(uow, event, user_id, pattern, scores[pattern], evidence[pattern], ring, ring_id)


def _flag(uow: UnitOfWork, event: Delivered, user_id: str, pattern: str, score: float, words: str,
          ring: rules.Ring | None, ring_id: str | None) -> None:
    """Tell the moderators of each of the user's groups, and restrict the user there for a while."""
    group_ids = groups.group_ids_of(user_id)
    until = event.moment + timedelta(days=RESTRICTION_DAYS)
    explanation = f"Possible {pattern.replace('_', ' ')} (score {score:.2f}): {words}"
    for group_id in group_ids:
        uow.save(FlagItem(*FlagItem.key(group_id, user_id, pattern), user_id=user_id, kind=pattern,
                          explanation=explanation,
                          evidence=json.dumps({"score": score, "ringMembers": sorted(ring.members) if ring else None}),
                          created_at=event.occurred_at))
        restriction = RestrictionItem(*RestrictionItem.key(group_id, user_id))
        try:
            held = RestrictionItem.get(restriction.pk, restriction.sk)
        except RestrictionItem.DoesNotExist:
            held = None
        if held is None or held.until < clock.iso(until):  # never shorten a moderator's restriction
            uow.save(RestrictionItem(restriction.pk, restriction.sk, until=clock.iso(until),
                                     action_id=ring_id or event.event_id, expires_at_epoch=until + timedelta(days=1)))
    uow.record("FraudFlagged", None, {
        "userId": user_id,
        "pattern": pattern,
        "score": score,
        "groupIds": group_ids,
        "ringId": ring_id,
        "ringMembers": sorted(ring.members) if ring else None,
        "restrictedUntil": clock.iso(until),
    })


# ---- rating rings ----------------------------------------------------------------------------


def _edges_of(user_id: str, direction: str) -> list[RatingEdgeItem]:
    return list(RatingEdgeItem.query(f"USER#{user_id}", RatingEdgeItem.sk.startswith(f"RATE{direction}#")))


def _other(item: RatingEdgeItem) -> str:
    return item.sk.split("#", 1)[1]


def _as_edge(rater: str, ratee: str, item: RatingEdgeItem) -> rules.Edge:
    return rules.Edge(rater, ratee, int(item.count), int(item.first_day), int(item.last_day))


def _rating(uow: UnitOfWork, event: Delivered, rater: str, ratee: str) -> None:
    day = _day_number(event)
    for owner, direction, other in ((rater, "OUT", ratee), (ratee, "IN", rater)):
        edge = RatingEdgeItem(*RatingEdgeItem.key(owner, direction, other))
        uow.update(edge, [RatingEdgeItem.count.add(1), RatingEdgeItem.first_day.set(
            RatingEdgeItem.first_day | day), RatingEdgeItem.last_day.set(day)])
    current = _risk(rater)
    if current is not None and current.ring_id:
        return  # already in a detected ring: its later ratings are ignored by the reputation consumer
    ring = _detect(rater, ratee, day)
    if ring is None:
        return
    ring_id = ids.new_id()
    for member in sorted(ring.members):
        held = _risk(member)
        if held is not None and held.ring_id:
            continue
        _score(uow, event, member, {"reputation_manipulation": (ring.score, ring.explain())}, ring, ring_id)


def _detect(rater: str, ratee: str, day: int) -> rules.Ring | None:
    """Look for a ring around a new rating: only where ratings go both ways (a ring's do), among the
    rater's mutual partners, with every rating those people received (for insularity)."""
    given = {_other(i): i for i in _edges_of(rater, "OUT")}
    received = {_other(i): i for i in _edges_of(rater, "IN")}
    if ratee not in received:  # not returned: a one-way rating is no ring's
        return None
    mutual = sorted(set(given) & set(received) | {ratee},
                    key=lambda u: -(int(received[u].count) if u in received else 0))[:NEIGHBOURS]
    if len(mutual) + 1 < rules.RING_MIN_SIZE:
        return None
    edges: dict[tuple[str, str], rules.Edge] = {}
    for user in [rater, *mutual]:
        for item in _edges_of(user, "IN"):
            edges[(_other(item), user)] = _as_edge(_other(item), user, item)
    # This rating is committed with the edges, after this read: count it here.
    new = edges.get((rater, ratee))
    edges[(rater, ratee)] = (rules.Edge(rater, ratee, new.count + 1, new.first_day, day) if new
                             else rules.Edge(rater, ratee, 1, day, day))
    return rules.find_ring(list(edges.values()), {rater, ratee})
