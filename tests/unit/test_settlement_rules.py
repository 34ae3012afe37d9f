"""Settling exchanges nobody closed: the pure rule (no table)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from foodshare.domain.settlement_rules import COMPLETE, LAPSE, ExchangeFacts, decide_settlement, due_at, ended_by

END = datetime(2026, 5, 1, 19, 0, tzinfo=timezone.utc)
GRACE = timedelta(hours=72)


def facts(status: str = "claimed", sharer: bool = False, claimer: bool = False) -> ExchangeFacts:
    return ExchangeFacts(status, sharer, claimer, END)


@pytest.mark.parametrize(("sharer", "claimer", "outcome"), [
    (True, False, COMPLETE),  # the sharer handed it over, the claimer never said
    (False, True, COMPLETE),  # the claimer picked it up, the sharer never said
    (False, False, LAPSE),  # nobody said anything: no one is paid, the hold goes back
    (True, True, COMPLETE),  # (cannot stay claimed; were it so, it completes)
])
def test_once_due_one_confirmation_completes_and_none_lapses(sharer, claimer, outcome):
    assert decide_settlement(facts(sharer=sharer, claimer=claimer), END + GRACE, GRACE) == outcome


def test_nothing_before_the_grace_after_the_window_has_passed():
    assert decide_settlement(facts(claimer=True), END + GRACE - timedelta(seconds=1), GRACE) is None
    assert decide_settlement(facts(), END, GRACE) is None
    assert due_at(END, GRACE) == END + GRACE and ended_by(END + GRACE, GRACE) == END


@pytest.mark.parametrize("status", ["completed", "cancelled", "no_show", "lapsed"])
def test_an_exchange_someone_closed_is_left_alone(status):
    assert decide_settlement(facts(status, sharer=True), END + 10 * GRACE, GRACE) is None


def test_the_grace_is_a_setting():
    short = timedelta(hours=1)
    assert decide_settlement(facts(), END + short, short) == LAPSE
    assert decide_settlement(facts(), END + short, GRACE) is None
