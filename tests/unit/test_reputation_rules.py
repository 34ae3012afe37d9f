"""The pure scoring rules: trust levels, impacts, caps and bounds."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from foodshare.reputation_rules import (
    DONE,
    FORESTALL,
    IMPACTS,
    INITIAL_SCORE,
    NOTHING,
    REVERSAL_CHUNK,
    REVERSAL_ITEMS,
    REVERSE,
    group_rating_totals,
    rating_impact_kind,
    reversal_chunk,
    score_change,
    rating_counts,
    take_back,
    trust_level,
    window_end,
    window_key,
    window_start,
)


@pytest.mark.parametrize(
    ("score", "level"),
    [(100, "exemplary"), (90, "exemplary"), (89.9, "trusted"), (80, "trusted"), (79.9, "established"),
     (70, "established"), (69.9, "developing"), (50, "developing"), (49.9, "concerning"), (0, "concerning")],
)
def test_trust_levels(score, level):
    assert trust_level(score) == level


def test_new_users_start_developing():
    assert INITIAL_SCORE == 60 and trust_level(INITIAL_SCORE) == "developing"


@pytest.mark.parametrize(
    ("kind", "points", "cap"),
    [("food_shared", 2, 10), ("exchange_completed", 1.5, 15), ("rated_high", 3, 15), ("reliable_pickup", 1, 10),
     ("exchange_cancelled", -1, -10), ("no_show", -3, -15), ("rated_low", -2.5, -10)],
)
def test_impacts_match_the_rules(kind, points, cap):
    assert (IMPACTS[kind].points, IMPACTS[kind].cap) == (points, cap)
    change = score_change(kind, 60, 0)
    assert change.applied == points and change.new == 60 + points and not change.capped


def test_caps_cut_the_last_impact_and_then_stop():
    assert score_change("food_shared", 60, 9).applied == 1  # only 1 of the +2 left today
    assert score_change("food_shared", 60, 9).capped
    assert score_change("food_shared", 60, 10).applied == 0
    assert score_change("no_show", 60, -13.5).applied == -1.5
    assert score_change("no_show", 60, -15).applied == 0


def test_score_stays_within_bounds():
    assert score_change("rated_high", 99, 0).new == 100
    assert score_change("rated_high", 99, 0).applied == 1
    assert score_change("no_show", 1, 0).new == 0


def test_level_change_is_reported():
    change = score_change("rated_high", 78.5, 0)
    assert change.level_changed and (change.previous_level, change.new_level) == ("established", "trusted")
    assert not score_change("food_shared", 60, 0).level_changed


def test_rating_kinds():
    assert [rating_impact_kind(s) for s in (1, 2, 3, 4, 5)] == ["rated_low", "rated_low", "rated_neutral",
                                                                 "rated_high", "rated_high"]
    assert score_change("rated_neutral", 60, 0).applied == 0 and not score_change("rated_neutral", 60, 0).capped


def test_cap_windows():
    sunday = datetime(2026, 11, 22, 23, 30, tzinfo=timezone.utc)
    assert window_key("food_shared", sunday) == "2026-11-22"
    assert window_key("no_show", sunday) == "2026-W47"
    assert window_start("no_show", sunday) == datetime(2026, 11, 16, tzinfo=timezone.utc)
    assert window_start("food_shared", sunday) == datetime(2026, 11, 22, tzinfo=timezone.utc)
    assert window_end("food_shared", sunday) == datetime(2026, 11, 23, tzinfo=timezone.utc)
    assert window_end("no_show", sunday) == datetime(2026, 11, 23, tzinfo=timezone.utc)
    december = datetime(2026, 12, 31, 23, 59, tzinfo=timezone.utc)
    assert (window_key("spam_report", december), window_end("spam_report", december)) == (
        "2026-12", datetime(2027, 1, 1, tzinfo=timezone.utc))


def test_taking_back_an_impact_whose_line_is_not_there_yet_forestalls_it():
    assert take_back(None, "appeal") == FORESTALL  # its event comes later (SQS keeps no order)
    assert take_back((-10.0, None), "appeal") == REVERSE
    assert take_back((-10.0, "appeal"), "appeal") == take_back((0.0, "appeal"), "appeal") == DONE  # a duplicate
    assert take_back((-10.0, "ring"), "appeal") == take_back((0.0, None), "appeal") == NOTHING


def test_a_rings_rating_is_taken_out_of_the_counts_once_even_when_it_moved_no_score():
    """Taking back a ring's ratings takes them out of ratingsReceived and the stars total, each once: a 3-star
    rating, or one cut to nothing by its cap, still counted there."""
    assert take_back((0.0, None), "ring", counted=True) == take_back((3.0, None), "ring", counted=True) == REVERSE
    assert take_back((0.0, "ring"), "ring", counted=True) == DONE  # a redelivery of the very event
    assert take_back((3.0, "other ring"), "ring", counted=True) == NOTHING  # already out: never twice
    assert rating_counts([5]) == {"ratings_received": 1, "rating_stars_total": 5}
    assert rating_counts([5, 3, 4], sign=-1) == {"ratings_received": -3, "rating_stars_total": -12}
    assert rating_counts([], sign=-1) == {}


def test_a_reversal_of_many_lines_goes_in_chunks_and_a_redelivery_goes_on_with_the_lines_left():
    """DynamoDB holds 100 items a transaction, and each line taken back is two (its mark, its reversal line): a ring
    member's 120 ratings go in chunks of at most 40, each chunk's lines counted out with it; a delivery after some
    chunks committed (a crash in between) finds lines marked by this event and goes on, not "done"."""
    assert 2 * REVERSAL_CHUNK + 2 <= 100  # the marks, the reversal lines, the profile and a level change
    steps = [REVERSE] * 120
    assert reversal_chunk(steps) == (list(range(40)), True)
    steps[:40] = [DONE] * 40  # the first chunk committed, then the consumer stopped
    assert reversal_chunk(steps) == (list(range(40, 80)), True)
    steps[40:80] = [DONE] * 40
    steps[100] = NOTHING  # taken back by another ring: never twice
    assert reversal_chunk(steps) == ([*range(80, 100), *range(101, 120)], False)
    assert reversal_chunk([DONE] * 119 + [NOTHING]) is None  # all done: a duplicate
    assert reversal_chunk([NOTHING, NOTHING]) == ([], False)  # nothing to take back: nothing to write
    assert reversal_chunk([FORESTALL]) == ([0], False)  # an overturned penalty's one line, still to come
    assert reversal_chunk([DONE]) is None
    assert reversal_chunk([REVERSE] * 3, size=2) == ([0, 1], True)


def test_a_chunk_of_ring_ratings_counts_one_item_for_each_group_whose_rating_totals_it_updates():
    """Taking back a ring's ratings takes them out of their groups' rating totals in the same transaction (the group
    summary), one item a group: ratings given in many groups make a chunk smaller, so it still fits in 100 items."""
    assert REVERSAL_ITEMS + 2 <= 100  # the lines' items, the profile and a level change
    steps = [REVERSE] * 50
    assert reversal_chunk(steps, ["g1"] * 50) == (list(range(40)), True)  # one group: 81 items
    assert reversal_chunk(steps, [f"g{i}" for i in range(50)]) == (list(range(30)), True)  # a group each: 90
    assert reversal_chunk(steps, [None] * 50) == (list(range(30)), True)  # not known yet: as many as could be
    assert reversal_chunk([REVERSE, DONE, REVERSE], ["g1", "g2", "g1"]) == ([0, 2], False)
    assert group_rating_totals([("g1", 5), ("g2", 3), ("g1", 4), (None, 5)]) == {"g1": (2, 9), "g2": (1, 3)}
    assert group_rating_totals([("g1", 5), ("g1", 3)], sign=-1) == {"g1": (-2, -8)}
