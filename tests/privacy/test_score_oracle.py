"""Through the HTTP API: discovery's minReputation filter tells a viewer no more of a sharer than their trust level."""

from __future__ import annotations

from foodshare.reputation_rules import TRUST_LEVELS
from tests.support import flows
from tests.support.api import call


def _found(user: str, food_id: str, minimum: float) -> bool:
    reply = call("GET", "/food", user=user, query={"minReputation": minimum})
    assert reply.status == 200, reply
    return any(i["foodId"] == food_id for i in reply.body["items"])


def _edge(user: str, food_id: str) -> float:
    """The lowest minReputation that no longer finds the post, to 0.001 (a binary search)."""
    low, high = 0.0, 100.0
    assert _found(user, food_id, low)
    if _found(user, food_id, high):
        return high
    while high - low > 0.001:
        middle = (low + high) / 2
        low, high = (middle, high) if _found(user, food_id, middle) else (low, middle)
    return high


def test_min_reputation_does_not_reveal_a_sharers_exact_score_in_two_groups():
    one, two = flows.one_sharer_in_two_groups_with_a_partner()
    flows.set_score("sam", 63.71)  # shown to others as "developing" only (docs/privacy.md: others' reputation)
    posts = [flows.share("sam", g, title="Soup") for g in (one, two)]

    edges = [_edge("pia", food_id) for food_id in posts]
    thresholds = {threshold for threshold, _ in TRUST_LEVELS}
    # A trust level's bounds are what pia is shown anyway; an exact score equal for both posts would link them.
    for edge in edges:
        assert any(abs(edge - t) < 0.002 for t in thresholds), f"minReputation revealed the score {edge:.3f}"
