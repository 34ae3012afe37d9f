"""Fraud rules as pure functions: rings found by peeling the rating graph, honest patterns left alone."""

from __future__ import annotations

import random
from collections import Counter

from foodshare import fraud_rules as fr
from foodshare.fraud_rules import Activity, Edge


def _edges(ratings: list[tuple[str, str, int]]) -> list[Edge]:
    """(rater, ratee, day) ratings -> aggregated edges."""
    grouped: dict[tuple[str, str], list[int]] = {}
    for rater, ratee, day in ratings:
        grouped.setdefault((rater, ratee), []).append(day)
    return [Edge(a, b, len(days), min(days), max(days)) for (a, b), days in grouped.items()]


def _honest_background(rng: random.Random, users: int = 300, ratings: int = 900, days: int = 7):
    """Heavy-tailed honest activity: a few popular sharers get most ratings, returned about half the time."""
    names = [f"h{i}" for i in range(users)]
    popularity = [1 / (i + 1) ** 0.8 for i in range(users)]
    out = []
    for _ in range(ratings):
        rater, ratee = rng.choice(names), rng.choices(names, popularity)[0]
        if rater != ratee:
            day = rng.randrange(days)
            out.append((rater, ratee, day))
            if rng.random() < 0.5:
                out.append((ratee, rater, day))
    return names, out


def _ring(members: list[str], days: int, rng: random.Random, camouflage_to: list[str]):
    out = []
    for day in range(days):
        for i, a in enumerate(members):  # everyone trades with two others every day, both rate 5 stars
            for b in (members[(i + 1) % len(members)], members[(i + 2) % len(members)]):
                if a != b:
                    out += [(a, b, day), (b, a, day)]
        for a in members:  # and rates an honest member now and then
            if rng.random() < 0.5:
                out.append((a, rng.choice(camouflage_to), day))
    return out


def test_a_ring_of_four_rating_each_other_daily_is_found_among_honest_members():
    rng = random.Random(1)
    names, honest = _honest_background(rng)
    ring = ["r1", "r2", "r3", "r4"]
    edges = _edges(honest + _ring(ring, 7, rng, names[:20]))
    found = fr.find_ring(edges, {"r2"})
    assert found is not None and found.members == frozenset(ring), found
    assert found.score >= 0.8 and found.reciprocity == 1.0
    assert "4 members rate each other" in found.explain()
    # Looking from an honest member, no ring.
    assert fr.find_ring(edges, {names[0]}) is None


def test_rings_of_three_to_eight_with_camouflage_are_found_by_day_five():
    rng = random.Random(2)
    names, honest = _honest_background(rng)
    for size in (3, 5, 8):
        ring = [f"ring{size}-{i}" for i in range(size)]
        edges = _edges(honest + _ring(ring, 5, rng, names[:30]))
        found = fr.find_ring(edges, {ring[0]})
        assert found is not None and found.members == frozenset(ring), (size, found)


def test_honest_neighbours_trading_twice_a_week_and_a_busy_friend_group_are_not_rings():
    pair = _edges([(a, b, day) for day in range(0, 28, 3) for a, b in (("ann", "bob"), ("bob", "ann"))])
    assert fr.find_ring(pair, {"ann"}) is None
    rng = random.Random(3)
    names, honest = _honest_background(rng)
    friends = ["f1", "f2", "f3", "f4", "f5"]
    trades = []
    for day in range(28):
        if rng.random() < 0.4:  # a few times a week two of them trade, and not always both rate
            a, b = rng.sample(friends, 2)
            trades.append((a, b, day))
            if rng.random() < 0.7:
                trades.append((b, a, day))
        for f in friends:  # and they trade with the rest of the neighbourhood too
            if rng.random() < 0.3:
                other = rng.choice(names)
                trades += [(f, other, day), (other, f, day)]
    assert fr.find_ring(_edges(honest + trades), set(friends)) is None


def test_peeling_keeps_the_densest_block():
    edges = _edges([(a, b, 0) for a in "abc" for b in "abc" if a != b] + [("a", "x", 0), ("y", "b", 0)])
    block, density = fr.densest_block(edges)
    assert block == {"a", "b", "c"} and density > 0


def test_pattern_scores_and_risk():
    quiet = fr.pattern_scores(Activity(claims=4, cancels=1, posts=3))
    assert all(score == 0 for score, _ in quiet.values())
    canceller = fr.pattern_scores(Activity(claims=10, cancels=8))
    assert canceller["credit_abuse"][0] == 1.0 and "8 of them cancelled" in canceller["credit_abuse"][1]
    spammer = fr.pattern_scores(Activity(posts=30, duplicate_posts=12))
    assert spammer["spam_behavior"][0] == 1.0
    no_shows = fr.pattern_scores(Activity(no_shows_30d=4))
    assert no_shows["safety_violations"][0] == 1.0
    scores = {"reputation_manipulation": 0.2, **{p: s for p, (s, _) in canceller.items()}}
    assert fr.risk(scores) == 1.0 and fr.over_threshold(scores) == ["credit_abuse"]
    assert Counter(fr.over_threshold({p: t for p, t in fr.THRESHOLDS.items()})) == Counter(fr.PATTERNS)


def test_a_users_graph_map_counts_ratings_per_partner_and_forgets_pairs_silent_for_the_keep_window():
    pairs: dict[str, list[int]] = {}
    fr.add_rating(pairs, "bo", 100)
    fr.add_rating(pairs, "bo", 103)
    fr.add_rating(pairs, "cy", 101)
    assert pairs == {"bo": [2, 100, 103], "cy": [1, 101, 101]}
    keep = fr.GRAPH_KEEP_DAYS
    assert fr.recent_pairs(pairs, 101 + keep - 1) == pairs  # cy's last rating is still inside the window
    assert fr.recent_pairs(pairs, 101 + keep) == {"bo": [2, 100, 103]}  # cy fell out, bo did not
    assert fr.recent_pairs(pairs, 103 + keep) == {}


def test_post_volume_is_spam_only_when_nobody_claims_the_posts():
    busy_sharer = fr.pattern_scores(Activity(posts=45, claimed_posts=41))
    assert busy_sharer["spam_behavior"][0] == 0.0 and "41 claims on them" in busy_sharer["spam_behavior"][1]
    ignored = fr.pattern_scores(Activity(posts=45, claimed_posts=5))
    assert ignored["spam_behavior"][0] == 1.0
    assert fr.pattern_scores(Activity(posts=30, claimed_posts=40))["spam_behavior"][0] == 0.0  # older posts' claims


def test_an_event_counts_until_its_day_leaves_the_longest_window():
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    assert fr.counts_now(now, now)
    assert fr.counts_now(now - timedelta(days=fr.SIGNAL_DAYS - 1, hours=23), now)
    assert not fr.counts_now(now - timedelta(days=fr.SIGNAL_DAYS), now)
