"""The pure reputation scoring rules: score bounds, trust levels, impacts and their caps.

No I/O here: the reputation consumer supplies how much of an impact's cap is already
used in the current window and applies what this module returns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

MIN_SCORE = 0.0
MAX_SCORE = 100.0
INITIAL_SCORE = 60.0

# (threshold, level), highest first: a score belongs to the first level it reaches.
TRUST_LEVELS: tuple[tuple[float, str], ...] = (
    (90.0, "exemplary"),
    (80.0, "trusted"),
    (70.0, "established"),
    (50.0, "developing"),
    (MIN_SCORE, "concerning"),
)
# Higher rank sorts first in discovery.
TRUST_RANK = {level: rank for rank, (_, level) in enumerate(reversed(TRUST_LEVELS))}


@dataclass(frozen=True)
class Impact:
    """One kind of reputation change: its size and the cap on its total per window."""

    kind: str
    points: float
    cap: float  # same sign as points: the most this kind may move a score per window
    window: str  # "day", "week" or "month"


IMPACTS: dict[str, Impact] = {
    impact.kind: impact
    for impact in (
        Impact("food_shared", 2.0, 10.0, "day"),
        Impact("exchange_completed", 1.5, 15.0, "day"),
        Impact("rated_high", 3.0, 15.0, "day"),
        Impact("reliable_pickup", 1.0, 10.0, "day"),
        Impact("exchange_cancelled", -1.0, -10.0, "day"),
        Impact("no_show", -3.0, -15.0, "week"),
        Impact("rated_low", -2.5, -10.0, "day"),
        # A 3-star rating moves no score; its line records that it counts (ratings received, stars), so a rating
        # ring's reversal can find it and take it out of the counts.
        Impact("rated_neutral", 0.0, 0.0, "day"),
        # Upheld reports (domain/moderation.py): the plan's caps are per month.
        Impact("safety_violation", -10.0, -30.0, "month"),
        Impact("spam_report", -5.0, -25.0, "month"),
    )
}


def trust_level(score: float) -> str:
    for threshold, level in TRUST_LEVELS:
        if score >= threshold:
            return level
    return TRUST_LEVELS[-1][1]


def window_key(kind: str, at: datetime) -> str:
    """The cap window an impact at `at` falls in: an ISO date, an ISO week, or a month (yyyy-mm)."""
    if IMPACTS[kind].window == "month":
        return f"{at.year}-{at.month:02d}"
    if IMPACTS[kind].window == "week":
        year, week, _ = at.isocalendar()
        return f"{year}-W{week:02d}"
    return at.date().isoformat()


def window_start(kind: str, at: datetime) -> datetime:
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if IMPACTS[kind].window == "month":
        return day.replace(day=1)
    if IMPACTS[kind].window == "week":
        return day - timedelta(days=at.weekday())
    return day


def window_end(kind: str, at: datetime) -> datetime:
    """The start of the window after the one `at` falls in."""
    start = window_start(kind, at)
    if IMPACTS[kind].window == "month":
        return (start + timedelta(days=32)).replace(day=1)
    return start + timedelta(days=7 if IMPACTS[kind].window == "week" else 1)


RATING_KINDS = ("rated_high", "rated_low", "rated_neutral")


def rating_impact_kind(stars: int) -> str:
    """Ratings of 4-5 stars raise the rated user's score, 1-2 lower it, 3 is neutral."""
    if stars >= 4:
        return "rated_high"
    if stars <= 2:
        return "rated_low"
    return "rated_neutral"


def rating_counts(stars: list[int], sign: int = 1) -> dict[str, int]:
    """What ratings of `stars` add to the rated person's counts (the public ratingsReceived and averageRating);
    sign -1: what taking them back subtracts, so counts and average leave out exactly the ratings taken back."""
    if not stars:
        return {}
    return {"ratings_received": sign * len(stars), "rating_stars_total": sign * sum(stars)}


@dataclass(frozen=True)
class ScoreChange:
    kind: str
    previous: float
    new: float
    applied: float  # what the score really moved by (after cap and bounds)
    capped: bool

    @property
    def previous_level(self) -> str:
        return trust_level(self.previous)

    @property
    def new_level(self) -> str:
        return trust_level(self.new)

    @property
    def level_changed(self) -> bool:
        return self.previous_level != self.new_level


def score_change(kind: str, score: float, used_in_window: float) -> ScoreChange:
    """Apply one impact of `kind` to `score`, given the sum already applied in its cap window.

    The impact is cut to what remains of the window's cap, then the score is kept
    within 0..100. Scores are kept to one decimal place.
    """
    impact = IMPACTS[kind]
    remaining = impact.cap - used_in_window
    if impact.points >= 0:
        allowed = max(0.0, min(impact.points, remaining))
    else:
        allowed = min(0.0, max(impact.points, remaining))
    new = round(min(MAX_SCORE, max(MIN_SCORE, score + allowed)), 1)
    return ScoreChange(
        kind=kind,
        previous=score,
        new=new,
        applied=round(new - score, 1),
        capped=allowed != impact.points,
    )


def reversal(applied: float, score: float) -> ScoreChange:
    """Take back an impact that moved a score by `applied` (an appeal overturned it, or it came from
    ratings inside a detected ring): the score moves the other way, within 0..100."""
    new = round(min(MAX_SCORE, max(MIN_SCORE, score - applied)), 1)
    return ScoreChange(kind="reversal", previous=score, new=new, applied=round(new - score, 1), capped=False)


# What taking back one earlier impact line does (`take_back`).
REVERSE, FORESTALL, DONE, NOTHING = "reverse", "forestall", "done", "nothing"


def take_back(line: tuple[float, str | None] | None, by_event: str, counted: bool = False) -> str:
    """What the event `by_event` taking back an impact line does, given the line's applied points and `reversed_by`
    (None: no line yet). No line: the impact's event is delivered after this one (SQS keeps no order; a DLQ redrive
    comes late), so the line is written now, taken back before it counted (`FORESTALL`), and the impact's delivery
    then finds its line and applies nothing: either order ends at the same score and cap use. `counted`: the line
    is a rating, which counts in the rating counts even when it moved no score (3 stars, or cut by its cap), so it
    is taken back all the same; its mark (`reversed_by`) is what makes that happen once."""
    if line is None:
        return FORESTALL
    applied, reversed_by = line
    if reversed_by == by_event:
        return DONE  # this very event took it back: a duplicate
    return REVERSE if (applied or counted) and not reversed_by else NOTHING


# Lines one transaction takes back: a mark and a reversal line each, and for ratings the rating totals of each group
# they were given in (`reversal_chunk`); with the profile's update and a level change, well within DynamoDB's 100 items a
# transaction.
REVERSAL_CHUNK = 40
REVERSAL_ITEMS = 90


def reversal_chunk(steps: list[str], groups: list[str | None] | None = None, size: int = REVERSAL_CHUNK,
                   items: int = REVERSAL_ITEMS) -> tuple[list[int], bool] | None:
    """Which of a reversal's lines (their `take_back` steps, in order) one transaction takes back: the places of
    the first `size` still to do, and whether more are left for the next. A ring's member may have any number of
    rating lines; each chunk's marks commit with the profile's score and counts, so a redelivery after a crash
    between chunks finds some lines marked by this very event and goes on with the rest. None: nothing is left
    and this event took some back (a duplicate).

    `groups` (ratings): the group each line's rating was given in, whose rating totals the same transaction
    updates, one item a group; None where not known yet (a line written before lines kept it), counted as a group
    of its own. A chunk's lines then take at most `items` items: two each, and one a group."""
    todo = [i for i, step in enumerate(steps) if step in (REVERSE, FORESTALL)]
    if not todo and DONE in steps:
        return None
    chunk: list[int] = []
    seen: set[str] = set()
    used = 0
    for i in todo[:size]:
        group = groups[i] if groups is not None else None
        cost = 2 + (1 if groups is not None and (group is None or group not in seen) else 0)
        if used + cost > items:
            break
        chunk.append(i)
        used += cost
        if group is not None:
            seen.add(group)
    return chunk, len(todo) > len(chunk)


def group_rating_totals(ratings: list[tuple[str | None, int]], sign: int = 1) -> dict[str, tuple[int, int]]:
    """What ratings (group, stars) add to each group's rating totals (the summary's ratingsCount and averageRating):
    group -> (count, stars); sign -1: what taking them back subtracts. A rating whose group is not known moves none."""
    out: dict[str, tuple[int, int]] = {}
    for group, stars in ratings:
        if group is not None:
            count, total = out.get(group, (0, 0))
            out[group] = (count + sign, total + sign * stars)
    return out


@dataclass(frozen=True)
class PendingChange:
    """A user's last change committed without a transaction (the profile's `rep_pending`): the profile's update
    commits its impact lines, and they are put right after it (reputation.py). Until they are, only this holds them,
    so a copy of the table from in between (a restore to that second) counts them from here."""

    event_id: str
    event_type: str
    occurred_at: str
    lines: list[list]  # [kind, applied, previous, new, capped] of each impact line

    @classmethod
    def decode(cls, raw: str | None) -> PendingChange | None:
        return cls(*json.loads(raw)) if raw else None

    def encode(self) -> str:
        return json.dumps([self.event_id, self.event_type, self.occurred_at, self.lines], separators=(",", ":"))

    def unwritten_applied(self, written_kinds: set[str]) -> float:
        """What its lines applied that are not written yet (`written_kinds`: the kinds of its event's lines found)."""
        return sum(float(applied) for kind, applied, *_ in self.lines if kind not in written_kinds)
