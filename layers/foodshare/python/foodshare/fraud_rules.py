"""Fraud signals as pure functions: rating rings in the rating graph, and per-user pattern scores.

No I/O here; the `fraud_signals` consumer (foodshare/fraud.py) keeps the graph and the
counters from events and acts on what these functions decide.

Rating rings (reputation_manipulation) are found FRAUDAR-style: greedy peeling of the
rater x ratee graph, each rating weighted by 1 / log(in-degree of the ratee + 5) so
that popular honest members (whom ring accounts rate as camouflage) add little, keeps
the densest block. A block is a ring when its raters and ratees are the same people
(reciprocity), its members' ratings come from inside it (insularity) and they rate each
other at a pace real neighbours don't (intensity). Two honest neighbours can never be a
ring (a ring has at least 3 members); an honest friend group that trades often still
receives ratings from others and trades at a human pace.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

THRESHOLDS: dict[str, float] = {
    "reputation_manipulation": 0.8,
    "credit_abuse": 0.75,
    "spam_behavior": 0.7,
    "safety_violations": 0.85,
}
PATTERNS = tuple(THRESHOLDS)

RING_MIN_SIZE = 3
RING_MAX_SIZE = 12
RING_INTENSITY = 7.0  # ratings received from inside per member per week that count as "fully intense": daily
SIGNAL_DAYS = 30  # the longest window a count-based pattern looks at (no-shows, unsafe reports)
GRAPH_KEEP_DAYS = 90  # a pair of users silent this long leaves the rating graph (a ring is recent, dense activity)


@dataclass(frozen=True)
class Edge:
    """All ratings one user gave another: how many, and over which span of days."""

    rater: str
    ratee: str
    count: int
    first_day: int  # days since the epoch
    last_day: int


def add_rating(pairs: dict[str, list[int]], other: str, day: int) -> None:
    """Count one more rating with `other` on `day` in a user's map other -> [count, first day, last day]."""
    count, first, _ = pairs.get(other, (0, day, day))
    pairs[other] = [count + 1, first, day]


def recent_pairs(pairs: dict[str, list[int]], day: int, keep_days: int = GRAPH_KEEP_DAYS) -> dict[str, list[int]]:
    """The pairs still active within `keep_days` of `day` (what a user's graph item keeps)."""
    return {other: pair for other, pair in pairs.items() if pair[2] > day - keep_days}


def _column_weight(in_degree: int) -> float:
    return 1.0 / math.log(in_degree + 5)


def densest_block(edges: list[Edge]) -> tuple[set[str], float]:
    """FRAUDAR's greedy peeling over a graph whose nodes are users (rows = as rater, columns = as
    ratee, one node each: a ring's raters and ratees are the same people). Repeatedly removes the
    node with the least weighted degree; returns the node set with the highest average weight
    per node, and that density. O(E log V)."""
    in_degree: dict[str, int] = defaultdict(int)
    for e in edges:
        in_degree[e.ratee] += 1
    weight_of = {(e.rater, e.ratee): _column_weight(in_degree[e.ratee]) * e.count for e in edges if e.rater != e.ratee}
    adjacency: dict[str, dict[str, float]] = defaultdict(dict)
    for (a, b), w in weight_of.items():
        adjacency[a][b] = adjacency[a].get(b, 0.0) + w
        adjacency[b][a] = adjacency[b].get(a, 0.0) + w
    degree = {node: sum(nbrs.values()) for node, nbrs in adjacency.items()}
    alive = set(adjacency)
    total = sum(weight_of.values())
    best_density, best_size = (total / len(alive) if alive else 0.0), len(alive)
    removed: list[str] = []
    heap = [(d, node) for node, d in degree.items()]
    heapq.heapify(heap)
    while len(alive) > 1:
        d, node = heapq.heappop(heap)
        if node not in alive or d != degree[node]:
            continue
        alive.discard(node)
        removed.append(node)
        total -= degree[node]
        for other, w in adjacency[node].items():
            if other in alive:
                degree[other] -= w
                heapq.heappush(heap, (degree[other], other))
        density = total / len(alive)
        if density > best_density:
            best_density, best_size = density, len(alive)
    nodes = list(adjacency)
    order = removed + [n for n in nodes if n in alive]  # removal order; the block is the last best_size nodes
    return set(order[len(order) - best_size:]), best_density


@dataclass(frozen=True)
class Ring:
    members: frozenset[str]
    score: float
    reciprocity: float  # share of the block's rating pairs that go both ways
    insularity: float  # share of the ratings the members received that came from inside the block
    intensity: float  # ratings received from inside per member per week
    ratings: int

    def explain(self) -> str:
        return (f"{len(self.members)} members rate each other far more than anyone else: {self.ratings} ratings among "
                f"themselves, {self.reciprocity:.0%} of them returned, {self.insularity:.0%} of the ratings they "
                f"received came from inside the group, {self.intensity:.1f} per member per week.")


def ring_of(edges: list[Edge], block: set[str]) -> Ring:
    """How much a block of users looks like a rating ring, with the numbers behind it."""
    inside = [e for e in edges if e.rater in block and e.ratee in block and e.rater != e.ratee]
    pairs = {(e.rater, e.ratee) for e in inside}
    reciprocity = sum(1 for a, b in pairs if (b, a) in pairs) / len(pairs) if pairs else 0.0
    received = sum(e.count for e in edges if e.ratee in block)
    inside_count = sum(e.count for e in inside)
    insularity = inside_count / received if received else 0.0
    span_days = (max(e.last_day for e in inside) - min(e.first_day for e in inside) + 1) if inside else 1
    intensity = inside_count / len(block) / max(1.0, span_days / 7)
    size_ok = RING_MIN_SIZE <= len(block) <= RING_MAX_SIZE
    score = (min(1.0, intensity / RING_INTENSITY) * reciprocity * insularity) if size_ok else 0.0
    return Ring(frozenset(block), round(score, 3), round(reciprocity, 3), round(insularity, 3), round(intensity, 2),
                inside_count)


def find_ring(edges: list[Edge], around: set[str]) -> Ring | None:
    """The densest block of the graph if it touches `around` (the users a new rating concerns) and
    scores as a ring at the reputation_manipulation threshold; else None."""
    block, _ = densest_block(edges)
    if not block & around:
        # The densest block is elsewhere in the neighbourhood: peel it off and look again, once.
        rest = [e for e in edges if e.rater not in block and e.ratee not in block]
        block, _ = densest_block(rest) if rest else (set(), 0.0)
    if not block & around:
        return None
    ring = ring_of(edges, block)
    return ring if ring.score >= THRESHOLDS["reputation_manipulation"] else None


# ---- the other three patterns, from per-user counts over the last 7 days -----------------------


@dataclass(frozen=True)
class Activity:
    """A user's recent activity: what the consumer counts per day, summed over the last 7 days
    (no-shows and upheld unsafe-food reports over the last 30)."""

    claims: int = 0
    cancels: int = 0  # claims the user cancelled
    posts: int = 0
    claimed_posts: int = 0  # claims others made on the user's posts (engagement)
    duplicate_posts: int = 0  # posts whose title the user already used in the window
    expired_posts: int = 0  # posts nobody claimed
    no_shows_30d: int = 0
    unsafe_reports_30d: int = 0


def _ramp(value: float, start: float, full: float) -> float:
    """0 at or below `start`, 1 at or above `full`, linear between."""
    if value <= start:
        return 0.0
    return min(1.0, (value - start) / (full - start))


def pattern_scores(a: Activity) -> dict[str, tuple[float, str]]:
    """The three count-based patterns' scores in [0, 1], each with its explanation in words."""
    cancel_share = a.cancels / a.claims if a.claims else 0.0
    credit = max(_ramp(a.cancels, 3, 8) * (1.0 if cancel_share >= 0.5 else 0.5), _ramp(a.claims, 25, 45))
    unclaimed = max(0, a.posts - a.claimed_posts)  # volume nobody wants; a busy sharer whose food goes is no spammer
    spam = max(_ramp(unclaimed, 20, 40), _ramp(a.duplicate_posts, 4, 12),
               _ramp(a.expired_posts, 6, 16) * (1.0 if a.posts and a.expired_posts / a.posts >= 0.8 else 0.5))
    safety = max(_ramp(a.no_shows_30d, 1, 4), _ramp(a.unsafe_reports_30d, 0, 2))
    return {
        "credit_abuse": (round(credit, 3), f"{a.claims} claims in 7 days, {a.cancels} of them cancelled by them"),
        "spam_behavior": (round(spam, 3), (f"{a.posts} posts in 7 days ({a.claimed_posts} claims on them), "
                                           f"{a.duplicate_posts} repeating an earlier title, {a.expired_posts} "
                                           "expired unclaimed")),
        "safety_violations": (round(safety, 3), (f"{a.no_shows_30d} missed pickups and {a.unsafe_reports_30d} "
                                                 "upheld unsafe-food reports in 30 days")),
    }


def risk(scores: dict[str, float]) -> float:
    return max(scores.values(), default=0.0)


def over_threshold(scores: dict[str, float]) -> list[str]:
    return [p for p in PATTERNS if scores.get(p, 0.0) >= THRESHOLDS[p]]


def counts_now(occurred: datetime, now: datetime) -> bool:
    """Whether an event still moves the daily counters: not once its day has left every pattern's window (its
    day's counters are gone by then, so a late redelivery or a replay of the archive would count it alone)."""
    return (now - occurred).days < SIGNAL_DAYS
