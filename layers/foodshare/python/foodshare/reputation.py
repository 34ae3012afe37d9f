"""The reputation consumer's effect: events -> impacts -> scores, counts and a per-user history.

Cap windows come from the event's `occurredAt`, never from processing time, so a late,
out-of-order or replayed delivery lands in the same day/week it happened in. How much of a window's
cap is used is the sum of the user's history lines in it (one consistent Query per user and record), so
no window item is written: a reversal marks the line it takes back (`reversed_by`) and the line stops
counting. A reversal whose line is not there yet (an overturn delivered before its penalty: SQS keeps no
order) writes that line itself, taken back before it counted, so the penalty arriving later finds it and
applies nothing (`reputation_rules.take_back`). `ReputationChanged` is not stored (it restates the history
line): it only reaches the after-commit hooks, which drop the user's cached profile and leaderboards.

Each user an event touches is changed on its own (a redelivery finishes the users not done and finds the
others done), in one of two ways:
- **alone** (most records: impact lines only, no level change): one UpdateItem of the profile conditioned
  on the score and the change count read (`rep_seq`), which also keeps the change's lines (`rep_pending`),
  then the cache told (a redelivery finds the change applied and tells no one), then the lines put after it. Once-only: a redelivery finds its event pending on the profile (and puts
  the lines), or its lines in the window's Query; before any later change of the user commits, it puts
  the pending lines that are not written yet, so every committed change's lines get written.
- **in a transaction** (a rating, whose line names its rater; a reversal and its marks; a level change with
  `TrustLevelChanged`): as before, the lines put only if absent carry the once-condition; one that changes
  nothing writes nothing.
A rating's line keeps its stars (a 3-star one too, `rated_neutral`, 0 points), so taking back a rating ring's
ratings takes them out of `ratings_received` and `rating_stars_total` as well as the score, once: each rating
line is marked in the transaction that takes it out, a capped or neutral one too (`reputation_rules.take_back`).
A member's lines go in chunks of at most 40 a transaction (DynamoDB holds 100 items in one), each with its score
and counts, and a redelivery after a crash between chunks goes on with the lines left
(`reputation_rules.reversal_chunk`).
A group's rating totals (`GROUP#<id>/ACTIVITY`: its summary's ratingsCount and averageRating) are kept here too: a
rating that counts adds to its group's in the transaction that writes its line (the line keeps the group), and a
ring's reversal takes each line out of its group's in the transaction that marks it, so the group's figures leave out
exactly the ratings the profiles leave out, once. Each such change notifies `GroupRatingsChanged` (not stored), whose
groups' cached summaries the after-commit hook makes stale (`cache.versions.keys_for`).
Concurrent changes to one user are serialized by the condition (the profile is read before the window's
lines, so a line committed with a change this read did not see fails it, and the record is retried).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pynamodb.exceptions import PutError, UpdateError

from foodshare import clock, consumers, hooks
from foodshare import reputation_rules as rules
from foodshare.consumers import Delivered
from foodshare.data import reads
from foodshare.data.models import EventItem, GroupActivityItem, ReputationHistoryItem, RiskItem, UserItem
from foodshare.data.transaction import UnitOfWork
from foodshare.domain import groups
from foodshare.errors import ConcurrentUpdate
from foodshare.events import DomainEvent

CONSUMER = "reputation_consumer"

LABELS = {
    "food_shared": "Shared food",
    "exchange_completed": "Completed an exchange",
    "reliable_pickup": "Picked up as agreed",
    "exchange_cancelled": "Cancelled an exchange",
    "no_show": "Did not show up for a pickup",
    "rated_high": "Received a good rating",
    "rated_low": "Received a poor rating",
    "rated_neutral": "Received a neutral rating",
    "safety_violation": "A moderator upheld a report of unsafe food or harassment",
    "spam_report": "A moderator upheld a report of spam",
}


@dataclass
class UserEffect:
    """What one event does to one user: impacts in order, and counters to add."""

    kinds: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    reversals: list[Reversal] = field(default_factory=list)
    source: str | None = None  # the rater, for a rating
    stars: int | None = None  # for a rating: kept on its line, which a ring's reversal takes out of the counts
    group_id: str | None = None  # for a rating: its exchange's group, whose rating totals it counts in


@dataclass(frozen=True)
class Reversal:
    """Earlier impacts to take back, and why in words: one history line (an overturned penalty), or
    every rating impact from the members of a detected rating ring."""

    reason: str
    occurred_at: str | None = None
    event_id: str | None = None
    kind: str | None = None
    ring_members: frozenset[str] = frozenset()
    event_type: str | None = None  # of the impact's event (one history line)


RING_LOOKBACK = timedelta(days=60)  # how far back a detected ring's ratings are taken back


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
        if not data.get("settled"):  # settled by the job on one confirmation: no reliable pickup both confirmed
            add(data["claimerId"], "reliable_pickup")
    elif event.event_type == "ExchangeCancelled" and not data.get("cause"):  # a moderator's removal: nobody's choice
        add(data["closedBy"], "exchange_cancelled", cancelled_count=1)
    elif event.event_type == "ExchangeNoShow":
        add(data["claimerId"], "no_show", no_show_count=1)
    elif event.event_type == "ModerationActionTaken" and data.get("penalty"):
        add(data["memberId"], data["penalty"])
    elif event.event_type == "AppealDecided" and data["outcome"] == "overturned" and data.get("penalty"):
        out.setdefault(data["memberId"], UserEffect()).reversals.append(Reversal(
            "The moderation penalty was overturned on appeal", data["actionOccurredAt"], data["actionEventId"],
            data["penalty"], event_type="ModerationActionTaken"))
    elif event.event_type == "FraudFlagged" and data.get("ringMembers"):
        out.setdefault(data["userId"], UserEffect()).reversals.append(Reversal(
            "Ratings from inside a detected rating ring no longer count", ring_members=frozenset(data["ringMembers"])))
    elif event.event_type == "RatingSubmitted":
        stars = int(data["stars"])
        add(data["ratedUserId"], rules.rating_impact_kind(stars), **rules.rating_counts([stars]))
        out[data["ratedUserId"]].source = data["raterId"]
        out[data["ratedUserId"]].stars = stars
        out[data["ratedUserId"]].group_id = data["groupId"]
    return out


def apply(event: Delivered, *, emit_events: bool = True) -> bool:
    """Apply an event once to each user it touches. `emit_events=False` (replay) leaves out `ReputationChanged` and
    `TrustLevelChanged`, which the live path already recorded. Returns False for a duplicate."""
    applied = False
    for user_id, effect in effects(event).items():
        chunks = _Chunks()
        while consumers.once(CONSUMER, event, lambda uow, u=user_id, e=effect, c=chunks: _build(
                uow, event, u, e, emit_events, c), idempotent_noop=True):
            applied = True
            if not chunks.more:
                break
    return applied


@dataclass
class _Chunks:
    """Whether lines of a reversal are left after the chunk just built (`rules.reversal_chunk`): `apply` commits
    the user's next chunk, each in a transaction of its own."""

    more: bool = False


def _build(uow: UnitOfWork, event: Delivered, user_id: str, effect: UserEffect, emit_events: bool,
           chunks: _Chunks) -> str | None:
    """The event's effect on one user: committed here (`COMMITTED`) when it is one update and the lines after it,
    else added to `uow`; `GUARDED` when history lines carry the once-condition. A reversal of many lines is built
    one chunk at a time (`chunks.more` says whether lines are left)."""
    chunks.more = False
    user = _profile(user_id)
    if user is None or user.erasing:  # erased (or being erased) while this event was in flight: their
        # profile lives on under an anonymous id, and nothing of theirs may be written under their own
        return None
    pending = _Pending.of(user)
    if pending and pending.change.event_id == event.event_id:  # applied; its lines may not be written yet
        pending.write()
        raise consumers.AlreadyConsumed(f"{CONSUMER} already applied {event.event_id} to {user_id}")
    lines = _HistoryLines()
    previous = float(user.score)
    score = previous
    if effect.source and _in_ring(user_id, effect.source):
        _ring_rating(lines, event, user_id, score)
        effect = UserEffect()  # neither the score nor the rating counts move
    windows = _Windows(user_id, effect.kinds, event.moment, pending)
    if event.event_id in windows.events:
        raise consumers.AlreadyConsumed(f"{CONSUMER} already applied {event.event_id} to {user_id}")
    if pending:
        windows.written(pending)  # before this change replaces it
    for kind in effect.kinds:
        score = _impact(lines, windows, event, user_id, kind, score, effect.source, effect.stars, effect.group_id)
    forestalled = False
    counts = dict(effect.counts)
    # group -> (ratings, stars) to add to its rating totals: the rating's own, less those a reversal takes back
    group_totals = rules.group_rating_totals([(effect.group_id, effect.stars)] if effect.stars is not None else [])
    for taken_back in effect.reversals:
        steps, more = _taken_back(user_id, taken_back, event)
        chunks.more |= more
        reversed_lines = [original for step, original in steps if step == rules.REVERSE]
        for original in reversed_lines:
            score = _reverse(uow, lines, event, user_id, original, taken_back.reason, score)
        ratings = _ratings(reversed_lines)
        for name, n in rules.rating_counts([stars for _, stars in ratings], sign=-1).items():
            counts[name] = counts.get(name, 0) + n
        for group_id, (n, stars) in rules.group_rating_totals(ratings, sign=-1).items():
            added = group_totals.get(group_id, (0, 0))
            group_totals[group_id] = (added[0] + n, added[1] + stars)
        if any(step == rules.FORESTALL for step, _ in steps):
            _forestall(uow, event, user_id, taken_back, score)
            forestalled = True
    actions = [getattr(UserItem, name).add(n) for name, n in counts.items() if n]
    if score != previous:
        actions += [UserItem.score.set(score), UserItem.trust_level.set(rules.trust_level(score))]
    seq = int(user.rep_seq or 0)
    # Both: the score read (what a writer of before this change conditions on) and the sequence of changes.
    unchanged = (UserItem.score == previous) & (
        UserItem.rep_seq == seq if seq else UserItem.rep_seq.does_not_exist())
    moved_groups = sorted(g for g, totals in group_totals.items() if totals != (0, 0))
    for group_id in moved_groups:  # in the transaction of the lines that count (or no longer count) in them
        n, stars = group_totals[group_id]
        uow.update(GroupActivityItem(*GroupActivityItem.key(group_id)),
                   [GroupActivityItem.ratings_count.add(n), GroupActivityItem.rating_stars_total.add(stars)])
    notices = []
    if emit_events and moved_groups:  # their cached summaries (not stored: the lines say the same)
        notices.append(DomainEvent("GroupRatingsChanged", None, {
            "groupIds": moved_groups, "causeEventId": event.event_id, "causeEventType": event.event_type}))
    if emit_events and score != previous:
        # Its userId makes the cache drop this user's cached profile, its groupIds their leaderboards; not
        # stored: the history line says the same (previous and new score, the cause event).
        notices.append(DomainEvent("ReputationChanged", None, {
            "userId": user_id,
            "groupIds": groups.group_ids_of(user_id),
            "previousScore": previous,
            "score": score,
            "trustLevel": rules.trust_level(score),
            "causeEventId": event.event_id,
            "causeEventType": event.event_type,
        }))
    level_changed = rules.trust_level(score) != rules.trust_level(previous)
    if actions and lines.items and lines.impacts_only and not uow.has_writes and not (emit_events and level_changed):
        _commit_alone(user, actions + [UserItem.rep_seq.set(seq + 1),
                                       UserItem.rep_pending.set(_Pending.encode(event, lines.impacts))], unchanged)
        # The cache is told as soon as the score is committed: a put of the lines that fails makes the record fail,
        # and its redelivery finds the change applied (it only puts them), telling no one.
        hooks.run_after_commit(notices)
        _put_lines(lines.items)
        return consumers.COMMITTED
    for line in lines.items:
        consumers.guarded_put(uow, CONSUMER, event, line)
    uow.notices += notices
    if actions or forestalled:  # a forestalled line moves the change count too: the impact's record, if it read
        # the profile before this commits, fails its condition and is retried, finding its line
        uow.update(user, actions + [UserItem.rep_seq.set(seq + 1), UserItem.rep_pending.remove()], unchanged,
                   on_fail=ConcurrentUpdate("the score changed meanwhile"))
    else:  # an impact cut to nothing by its cap, with no count to add: the history line still depends on the score read
        uow.check(UserItem, UserItem.key(user_id), unchanged, on_fail=ConcurrentUpdate("the score changed meanwhile"))
    if emit_events and level_changed:
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
    # A forestalled line guards too: a duplicate reads it marked by this event (`rules.DONE`).
    return consumers.GUARDED if lines.items or forestalled else None


def _profile(user_id: str) -> UserItem | None:
    try:
        return UserItem.get(*UserItem.key(user_id), consistent_read=True)  # what the change's condition compares
    except UserItem.DoesNotExist:
        return None


def _commit_alone(user: UserItem, actions: list, condition) -> None:
    """The user's change in one conditional UpdateItem (no transaction: half the write units)."""
    try:
        user.update(actions, condition=condition)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise ConcurrentUpdate("the score changed meanwhile") from exc
        raise


class _HistoryLines:
    """History lines of one event for one user (their keys name the event)."""

    def __init__(self) -> None:
        self.items: list[ReputationHistoryItem] = []
        self.impacts: list[list] = []  # (kind, applied, previous, new, capped) of each impact line
        self.impacts_only = True  # only impact lines, none naming another user: what `_Pending` holds

    def save(self, line: ReputationHistoryItem, impact: rules.ScoreChange | None = None) -> None:
        self.items.append(line)
        self.impacts_only &= impact is not None and not line.source_user_id
        if impact:
            self.impacts.append([impact.kind, impact.applied, impact.previous, impact.new, impact.capped])


class _Pending:
    """The impact lines of the user's last change committed without a transaction (`UserItem.rep_pending`): the
    profile's update commits them, and they are put right after it; until then (a failure in between) the
    record's redelivery, or the next change of the user before it commits, puts them. So every committed change
    but possibly the last has its lines written, and the last one's are here: the once-condition is "pending
    here, or its lines are written"."""

    def __init__(self, user_id: str, change: rules.PendingChange) -> None:
        self.user_id = user_id
        self.change = change

    @classmethod
    def of(cls, user: UserItem) -> _Pending | None:
        change = rules.PendingChange.decode(user.rep_pending)
        return cls(user.user_id, change) if change else None

    @staticmethod
    def encode(event: Delivered, impacts: list[list]) -> str:
        return rules.PendingChange(event.event_id, event.event_type, event.occurred_at, impacts).encode()

    def items(self) -> list[ReputationHistoryItem]:
        c = self.change
        return [_impact_line(self.user_id, c.event_id, c.event_type, c.occurred_at, *line) for line in c.lines]

    def write(self) -> None:
        _put_lines(self.items())


def _put_lines(lines: list[ReputationHistoryItem]) -> None:
    """Put each line only if absent: one already there may carry a mark (`reversed_by`) since."""
    for line in lines:
        try:
            line.save(ReputationHistoryItem.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise


class _Windows:
    """How much of each cap window an event's impacts fall in is used: the applied points of the user's history
    lines of that kind in that window, less the ones taken back. One consistent Query (after the profile read, so
    a line committed with a change this read did not see fails the change's condition) covers all the windows;
    the event's own lines would be in it (a duplicate), and the lines of the last change (`_Pending`) if written."""

    def __init__(self, user_id: str, kinds: list[str], at: datetime, pending: _Pending | None) -> None:
        self.used: dict[tuple[str, str], float] = {}
        self.events: set[str] = set()
        self.start = self.end = None
        if kinds:
            self.start = clock.iso(min(rules.window_start(kind, at) for kind in kinds))
            self.end = clock.iso(max(rules.window_end(kind, at) for kind in kinds))
            for line in ReputationHistoryItem.query(f"USER#{user_id}", ReputationHistoryItem.sk.between(
                    f"REPHIST#{self.start}", f"REPHIST#{self.end}"), consistent_read=True):
                self.events.add(line.event_id)
                self.add(line)

    def add(self, line: ReputationHistoryItem) -> None:
        if line.kind in rules.IMPACTS and not line.reversed_by and line.applied:
            window = (line.kind, rules.window_key(line.kind, clock.parse_iso(line.occurred_at)))
            self.used[window] = self.used.get(window, 0.0) + float(line.applied)

    def written(self, pending: _Pending) -> None:
        """Make sure the last change's lines are written (and counted), before a new change replaces them."""
        if pending.change.event_id in self.events:
            return  # the Query saw them
        lines = pending.items()
        if self.start is not None and self.start <= pending.change.occurred_at < self.end:
            missing = lines  # in the range the Query read, and not seen: not written
        else:
            try:
                ReputationHistoryItem.get(lines[0].pk, lines[0].sk, consistent_read=True)
                missing = []
            except ReputationHistoryItem.DoesNotExist:
                missing = lines
        _put_lines(missing)
        for line in missing:
            self.add(line)

    def take(self, kind: str, at: datetime, score: float) -> rules.ScoreChange:
        """The impact's change given its window's use, counted in for the impacts after it."""
        window = (kind, rules.window_key(kind, at))
        change = rules.score_change(kind, score, self.used.get(window, 0.0))
        self.used[window] = self.used.get(window, 0.0) + change.applied
        return change


def _impact(lines: _HistoryLines, windows: _Windows, event: Delivered, user_id: str, kind: str, score: float,
            source: str | None = None, stars: int | None = None, group_id: str | None = None) -> float:
    """Add one impact (cut to its window's cap) and its history line; returns the new score."""
    change = windows.take(kind, event.moment, score)
    lines.save(_impact_line(user_id, event.event_id, event.event_type, event.occurred_at, kind, change.applied,
                            change.previous, change.new, change.capped, source, stars, group_id), change)
    return change.new


def _impact_line(user_id: str, event_id: str, event_type: str, occurred_at: str, kind: str, applied: float,
                 previous: float, new: float, capped: bool, source: str | None = None,
                 stars: int | None = None, group_id: str | None = None) -> ReputationHistoryItem:
    impact = rules.IMPACTS[kind]
    reason = LABELS[kind]
    if capped:
        reason += f" (the {impact.window}'s cap of {impact.cap:+g} is reached)"
    return ReputationHistoryItem(
        *ReputationHistoryItem.key(user_id, occurred_at, event_id, kind),
        user_id=user_id,
        event_id=event_id,
        event_type=event_type,
        kind=kind,
        points=impact.points,
        applied=applied,
        previous_score=previous,
        new_score=new,
        reason=reason,
        occurred_at=occurred_at,
        source_user_id=source,
        stars=stars,
        group_id=group_id,
    )


def _in_ring(rated_id: str, rater_id: str) -> bool:
    """Whether the fraud consumer found rater and rated in one rating ring."""
    try:
        risk = RiskItem.get(*RiskItem.key(rated_id))
    except RiskItem.DoesNotExist:
        return False
    return rater_id in (risk.ring_members or ())


def _ring_rating(lines: _HistoryLines, event: Delivered, user_id: str, score: float) -> None:
    lines.save(ReputationHistoryItem(
        *ReputationHistoryItem.key(user_id, event.occurred_at, event.event_id, "ring_rating"),
        user_id=user_id, event_id=event.event_id, event_type=event.event_type, kind="ring_rating", points=0,
        applied=0, previous_score=score, new_score=score, occurred_at=event.occurred_at,
        reason="A rating from inside a detected rating ring: it does not count",
        source_user_id=event.data.get("raterId"),
    ))


def _taken_back(user_id: str, target: Reversal, event: Delivered
                ) -> tuple[list[tuple[str, ReputationHistoryItem | None]], bool]:
    """The history lines a reversal takes back in this transaction, each with what taking it back does
    (`rules.take_back`), and whether lines are left for the next (`rules.reversal_chunk`): a ring's rating lines
    not marked yet, or the one line an overturned penalty wrote (None when its event is still to come).
    Raises AlreadyConsumed when none is left and this very event took some back (each chunk's marks commit
    with its score and counts)."""
    if target.ring_members:
        since = clock.iso(event.moment - RING_LOOKBACK)
        lines = [h for h in ReputationHistoryItem.query(  # consistent: the next chunk sees this one's marks
            f"USER#{user_id}", ReputationHistoryItem.sk.between(f"REPHIST#{since}", "REPHIST#~"), consistent_read=True)
            if h.kind in rules.RATING_KINDS and h.source_user_id in target.ring_members]
    else:
        try:
            lines = [ReputationHistoryItem.get(
                *ReputationHistoryItem.key(user_id, target.occurred_at, target.event_id, target.kind),
                consistent_read=True)]
        except ReputationHistoryItem.DoesNotExist:
            lines = [None]
    steps = [(rules.take_back(None if h is None else (float(h.applied), h.reversed_by), event.event_id,
                              counted=bool(target.ring_members)), h)
             for h in lines]
    # A ring's ratings also leave their groups' rating totals, one item a group in the chunk's transaction.
    groups = [h.group_id for h in lines] if target.ring_members else None
    chunk = rules.reversal_chunk([step for step, _ in steps], groups)
    if chunk is None:
        raise consumers.AlreadyConsumed(f"{CONSUMER} already applied {event.event_id}")
    places, more = chunk
    return [steps[i] for i in places], more


def _ratings(lines: list[ReputationHistoryItem]) -> list[tuple[str | None, int]]:
    """The (group, stars) of rating lines taken back (of other lines: none). A line written before lines kept their
    stars (API 5.2.3) or their group (5.4.0) has them in its RatingSubmitted in the event store, read in one batch;
    without its event, a line whose stars are not known counts in nothing, and one whose group is not known moves
    no group's totals (None)."""
    ratings = [h for h in lines if h.kind in rules.RATING_KINDS]
    legacy = [h for h in ratings if h.stars is None or h.group_id is None]
    events = reads.get_many([(EventItem, EventItem.key(h.event_id, h.occurred_at)) for h in legacy])
    logged = {h.event_id: json.loads(e.detail)["data"] for h, e in zip(legacy, events, strict=True) if e}
    out = []
    for h in ratings:
        data = logged.get(h.event_id, {})
        stars = h.stars if h.stars is not None else data.get("stars")
        if stars is not None:
            out.append((h.group_id or data.get("groupId"), int(stars)))
    return out


def _forestall(uow: UnitOfWork, event: Delivered, user_id: str, target: Reversal, score: float) -> None:
    """Write the line of an impact whose event has not arrived yet, taken back by `event` before it counted: that
    event's delivery then finds its line (a duplicate) and applies nothing. Put only if absent, and retried if the
    impact's record wrote it meanwhile (then it is taken back as usual)."""
    line = _impact_line(user_id, target.event_id, target.event_type, target.occurred_at, target.kind, 0.0, score,
                        score, False)
    line.reversed_by = event.event_id
    line.reason = f"{LABELS[target.kind]}: {target.reason.lower()} before it applied, so it never counted"
    uow.save(line, ReputationHistoryItem.pk.does_not_exist(),
             on_fail=ConcurrentUpdate("the impact was applied meanwhile"))


def _reverse(uow: UnitOfWork, lines: _HistoryLines, event: Delivered, user_id: str, original: ReputationHistoryItem, why: str,
             score: float) -> float:
    """Take back what an earlier impact applied, with a history line saying why, and mark the impact's line
    taken back (its cap window gets the room back); returns the new score."""
    change = rules.reversal(float(original.applied), score)
    kind = f"reversed_{original.kind}"
    uow.update(original, [ReputationHistoryItem.reversed_by.set(event.event_id)],
                     ReputationHistoryItem.reversed_by.does_not_exist(),
                     on_fail=ConcurrentUpdate("the impact was taken back meanwhile"))
    lines.save(
        ReputationHistoryItem(
            *ReputationHistoryItem.key(user_id, event.occurred_at, event.event_id, f"{kind}#{original.event_id}"),
            user_id=user_id,
            event_id=event.event_id,
            event_type=event.event_type,
            kind=kind,
            points=-float(original.applied),
            applied=change.applied,
            previous_score=change.previous,
            new_score=change.new,
            reason=f"{why}: {LABELS[original.kind].lower()} ({float(original.applied):+g}) taken back",
            occurred_at=event.occurred_at,
            source_user_id=original.source_user_id,
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
