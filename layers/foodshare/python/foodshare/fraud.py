"""The fraud-signals consumer: per user, the four pattern scores with their evidence; flags and restrictions.

From events it keeps the rating graph (one `GRAPH` item per user: whom they rated and who
rated them, with counts and day spans, so a neighbourhood is one batch read) and per-user
daily counters (`SIGNALS#<day>`), and after each event recomputes
the concerned users' scores with the pure `fraud_rules`. A pattern at or above its
threshold flags the user to the moderators of each of their groups (a `FlagItem` with
the explanation in words), restricts them there for RESTRICTION_DAYS, and records
`FraudFlagged`. For a rating ring, every member is flagged together and the event
names the ring, so the reputation consumer reverses the ratings inside it and ignores
later ones. Each event's effect commits once: a counted event's day item carries its tag (`event_tag`) under
the condition that it is not there yet, so it needs no processed marker (4 write units -> 1 for most events);
ratings, and a day first written before tags, keep the marker; an event that counts nothing writes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from datetime import timedelta
from typing import Any

from pynamodb.expressions.condition import size

from foodshare import clock, consumers, ids
from foodshare import fraud_rules as rules
from foodshare.consumers import Delivered
from foodshare.data import reads
from foodshare.data.models import (
    ConsumedItem,
    FlagItem,
    RatingGraphItem,
    RestrictionItem,
    RiskItem,
    SignalDayItem,
    UserItem,
)
from foodshare.data.transaction import UnitOfWork
from foodshare.domain import groups
from foodshare.errors import ConcurrentUpdate

CONSUMER = "fraud_signals"
RESTRICTION_DAYS = 7
NEIGHBOURS = 40  # at most this many mutual partners of a rater are examined for a ring
EVENT_TYPES = ("RatingSubmitted", "FoodShared", "FoodClaimed", "FoodExpired", "ExchangeCancelled", "ExchangeNoShow",
               "ModerationActionTaken")


def _day_number(event: Delivered) -> int:
    return event.moment.toordinal()


def apply(event: Delivered) -> bool:
    # An event that counts nothing now counts nothing on a redelivery either (erasure is final): nothing written.
    # Attempts after the first (a condition failed: a duplicate, or a race) read the days strongly consistent.
    attempts = itertools.count()
    return consumers.once(CONSUMER, event, lambda uow: _build(uow, event, consistent=next(attempts) > 0),
                          idempotent_noop=True)


def event_tag(event: Delivered) -> str:
    """A short name of the event (8 characters, 48 bits) for a day item's `applied`: unique among a day's events."""
    return base64.urlsafe_b64encode(hashlib.blake2b(event.event_id.encode(), digest_size=6).digest()).decode()


def _erased(user_ids: set[str]) -> set[str]:
    """Who has no profile any more (or is being erased): erased while the event was in flight (their profile lives on under an
    anonymous id). Counting or scoring them would bring their id back into the table (docs/privacy.md)."""
    return _context(user_ids, [])[0]


def _context(user_ids: set[str], also: list[tuple[type, tuple[str, str]]]) -> tuple[set[str], list]:
    """(who of `user_ids` is erased, the items at `also`), in one batch read."""
    wanted = sorted(user_ids)
    found = reads.get_many([*[(UserItem, UserItem.key(u)) for u in wanted], *also])
    profiles = found[:len(wanted)]
    return {u for u, item in zip(wanted, profiles, strict=True) if item is None or item.erasing}, found[len(wanted):]


def _build(uow: UnitOfWork, event: Delivered, consistent: bool = False) -> str | None:
    """The event's effect; `GUARDED` when every day update in it carries the event's tag (no marker then: each
    update refuses the event on its own, so a redelivery that now counts fewer users, one erased meanwhile,
    still counts nobody twice)."""
    data = event.data
    if event.event_type == "RatingSubmitted":
        if not _erased({data["raterId"], data["ratedUserId"]}):
            _rating(uow, event, data["raterId"], data["ratedUserId"])
        return None
    if not rules.counts_now(event.moment, clock.now()):
        return None
    counted = _counts(event)
    sharer = data["sharerId"] if event.event_type == "FoodClaimed" else None
    involved = set(counted) | ({sharer} if sharer else set())
    if not involved:
        return None
    day = event.moment.date().isoformat()
    sharer_key = SignalDayItem.key(sharer, day) if sharer else None
    # The processed marker of code from before tags (it may have counted this event), and the sharer's day.
    gone, (marker, *sharer_day) = _context(involved, [(ConsumedItem, ConsumedItem.key(CONSUMER, event.event_id)),
                                                      *([(SignalDayItem, sharer_key)] if sharer else [])])
    if marker is not None:
        raise consumers.AlreadyConsumed(f"{CONSUMER} already applied {event.event_id}")
    tagged = [_count_and_score(uow, event, user_id, fields, consistent)
              for user_id, fields in counted.items() if user_id not in gone]
    if sharer and sharer not in gone:
        # The sharer's engagement: counted, not scored (a claim can only lower a spam score; the
        # sharer's next post is scored with it), so a claim reads the sharer's day alone, with the profiles.
        tagged.append(_count(uow, event, sharer_day[0], sharer_key,
                             [SignalDayItem.claimed_posts.add(1),
                              SignalDayItem.expires_at_epoch.set(event.moment + timedelta(days=31))]))
    return consumers.GUARDED if tagged and all(tagged) else None


def _count(uow: UnitOfWork, event: Delivered, day: SignalDayItem | None, key: tuple[str, str], actions: list) -> bool:
    """Add the update of a user's day; whether it carries the event's tag (the day is new or tagged: then the
    update is refused if the tag is there already). A day counted before tags gets a plain update, under the
    marker. Raises AlreadyConsumed when the day read shows the tag."""
    tag = event_tag(event)
    if day is not None and tag in (day.applied or ()):
        raise consumers.AlreadyConsumed(f"{CONSUMER} already counted {event.event_id}")
    item = SignalDayItem(*key)
    if day is not None and day.applied is None:
        uow.update(item, actions)
        return False
    # Failing means a duplicate the read did not show, or a day written untagged since: built again, reading
    # strongly consistent.
    uow.update(item, [*actions, SignalDayItem.applied.add({tag})],
               ~SignalDayItem.applied.contains(tag) & (SignalDayItem.applied.exists() | SignalDayItem.pk.does_not_exist()),
               on_fail=ConcurrentUpdate(f"{CONSUMER}: the day of {event.event_id} changed"))
    return True


def _counts(event: Delivered) -> dict[str, dict]:
    """Which user's daily counters an event moves, and by what."""
    data, kind = event.data, event.event_type
    if kind == "FoodShared":
        title = hashlib.sha256(data["title"].strip().lower().encode()).hexdigest()[:16]
        return {data["sharerId"]: {"posts": 1, "title": title}}
    if kind == "FoodClaimed":
        return {data["claimerId"]: {"claims": 1}}
    if kind == "FoodExpired" and not data.get("exchangeId"):  # its window ended unclaimed (a claim closed late: not)
        return {data["sharerId"]: {"expired_posts": 1}}
    if kind == "ExchangeCancelled" and data["closedBy"] == data["claimerId"] and not data.get("cause"):
        return {data["claimerId"]: {"cancels": 1}}
    if kind == "ExchangeNoShow":
        return {data["claimerId"]: {"no_shows": 1}}
    if kind == "ModerationActionTaken" and data.get("penalty") == "safety_violation":
        return {data["memberId"]: {"unsafe_reports": 1}}
    return {}


def _recent_days(user_id: str, event: Delivered, days: int, consistent: bool = False) -> list[SignalDayItem]:
    since = (event.moment - timedelta(days=days - 1)).date().isoformat()
    return list(SignalDayItem.query(f"USER#{user_id}", SignalDayItem.sk.between(f"SIGNALS#{since}", "SIGNALS#~"),
                                    consistent_read=consistent))


def _count_and_score(uow: UnitOfWork, event: Delivered, user_id: str, fields: dict, consistent: bool) -> bool:
    """Count the event in the user's day and score them; whether the day's update carries the event's tag."""
    today = event.moment.date().isoformat()
    days = _recent_days(user_id, event, rules.SIGNAL_DAYS, consistent)
    day = next((d for d in days if d.sk == f"SIGNALS#{today}"), None)
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

    def total(name: str, items: list[SignalDayItem]) -> int:  # what is stored, plus this event
        return sum(int(getattr(d, name) or 0) for d in items) + fields.get(name, 0)

    activity = rules.Activity(
        claims=total("claims", week),
        cancels=total("cancels", week),
        posts=total("posts", week),
        claimed_posts=total("claimed_posts", week),
        duplicate_posts=total("duplicate_posts", week),
        expired_posts=total("expired_posts", week),
        no_shows_30d=total("no_shows", days),
        unsafe_reports_30d=total("unsafe_reports", days),
    )
    patterns = rules.pattern_scores(activity)
    highest = max(score for score, _ in patterns.values())
    actions.append(SignalDayItem.scored.set(highest))
    tagged = _count(uow, event, day, SignalDayItem.key(user_id, today), actions)
    latest = max(days, key=lambda d: d.sk, default=None)  # its `scored`: what the user's last event left
    if not (highest == 0 and not (latest and latest.scored)):  # else the scores were 0 and stay 0 (most events)
        _score(uow, event, user_id, patterns)
    return tagged


def _risk(user_id: str) -> RiskItem | None:
    try:
        return RiskItem.get(*RiskItem.key(user_id))
    except RiskItem.DoesNotExist:
        return None


def _risk_as_read(current: RiskItem | None) -> Any:
    """The condition that a user's risk item is still as read (None: still absent). `flagged` only grows."""
    if current is None:
        return RiskItem.pk.does_not_exist()
    flagged = (size(RiskItem.flagged) == len(current.flagged) if current.flagged
               else RiskItem.flagged.does_not_exist())
    ring = RiskItem.ring_id == current.ring_id if current.ring_id else RiskItem.ring_id.does_not_exist()
    return ((RiskItem.scores == current.scores) & (RiskItem.evidence == current.evidence)
            & (RiskItem.updated_at == current.updated_at) & flagged & ring)


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
    # Written whole from the item as read: another event of theirs scored meanwhile (another consumer instance) must
    # not lose what it added (a flag, a ring's members): a lost race builds the effect again (`consumers.once`).
    uow.save(item, _risk_as_read(current),
             on_fail=ConcurrentUpdate(f"{CONSUMER}: the risk of {user_id} changed meanwhile"))
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
            # nor one put since the read (a lost race: the effect is built again from fresh reads, `consumers.once`)
            uow.save(RestrictionItem(restriction.pk, restriction.sk, until=clock.iso(until),
                                     action_id=ring_id or event.event_id, expires_at_epoch=until + timedelta(days=1)),
                     RestrictionItem.pk.does_not_exist() | (RestrictionItem.until < clock.iso(until)),
                     on_fail=ConcurrentUpdate(f"{CONSUMER}: a restriction of {user_id} landed meanwhile"))
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


class _Graph:
    """A user's RatingGraphItem as maps (other user -> [count, first day, last day]), written back
    on the condition that nobody changed it since it was read."""

    def __init__(self, user_id: str, item: RatingGraphItem | None):
        self.user_id = user_id
        self.version = int(item.version) if item else 0
        self.inbound: dict[str, list[int]] = json.loads(item.inbound) if item else {}
        self.outbound: dict[str, list[int]] = json.loads(item.outbound) if item else {}

    def save(self, uow: UnitOfWork, day: int) -> None:
        item = RatingGraphItem(*RatingGraphItem.key(self.user_id), version=self.version + 1,
                               inbound=json.dumps(rules.recent_pairs(self.inbound, day), separators=(",", ":")),
                               outbound=json.dumps(rules.recent_pairs(self.outbound, day), separators=(",", ":")))
        condition = (RatingGraphItem.version == self.version) if self.version else RatingGraphItem.pk.does_not_exist()
        uow.save(item, condition)  # a lost race fails the transaction: the event is built again from fresh reads


def _graphs(user_ids: list[str]) -> dict[str, _Graph]:
    """The users' graph items in one batch read (absent ones: empty)."""
    found = {item.pk.removeprefix("USER#"): item
             for item in RatingGraphItem.batch_get([RatingGraphItem.key(u) for u in dict.fromkeys(user_ids)])}
    return {u: _Graph(u, found.get(u)) for u in user_ids}


def _rating(uow: UnitOfWork, event: Delivered, rater: str, ratee: str) -> None:
    day = _day_number(event)
    graphs = _graphs([rater, ratee])
    rules.add_rating(graphs[rater].outbound, ratee, day)
    rules.add_rating(graphs[ratee].inbound, rater, day)
    for graph in graphs.values():
        graph.save(uow, day)
    current = _risk(rater)
    if current is not None and current.ring_id:
        return  # already in a detected ring: its later ratings are ignored by the reputation consumer
    ring = _detect(graphs[rater], graphs[ratee])
    if ring is None:
        return
    ring_id = ids.new_id()
    for member in sorted(ring.members):
        held = _risk(member)
        if held is not None and held.ring_id:
            continue
        _score(uow, event, member, {"reputation_manipulation": (ring.score, ring.explain())}, ring, ring_id)


def _detect(rater: _Graph, ratee: _Graph) -> rules.Ring | None:
    """Look for a ring around a new rating (already counted in both graphs): only where ratings go
    both ways (a ring's do), among the rater's mutual partners, with every rating those people
    received (for insularity). The partners' graphs are one batch read."""
    given, received = rater.outbound, rater.inbound
    if ratee.user_id not in received:  # not returned: a one-way rating is no ring's
        return None
    mutual = sorted(set(given) & set(received) | {ratee.user_id}, key=lambda u: -received.get(u, [0])[0])[:NEIGHBOURS]
    if len(mutual) + 1 < rules.RING_MIN_SIZE:
        return None
    graphs = {rater.user_id: rater, ratee.user_id: ratee}
    graphs.update(_graphs([u for u in mutual if u not in graphs]))
    edges = [rules.Edge(other, user, *pair)
             for user in [rater.user_id, *mutual] for other, pair in graphs[user].inbound.items()]
    return rules.find_ring(edges, {rater.user_id, ratee.user_id})
