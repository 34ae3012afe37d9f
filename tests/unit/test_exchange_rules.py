"""Who may cancel an exchange or report a no-show, what becomes of its post, and whether a departed sharer's post
may be claimed: the pure rules, without moto."""

from __future__ import annotations

import pytest

from foodshare.domain.exchange_rules import (
    CANCELLED,
    NO_SHOW,
    CloseFacts,
    decide_close,
    post_after_close,
    sharer_departed,
)
from foodshare.errors import Conflict, Forbidden


def facts(**changes) -> CloseFacts:
    base = {"status": "claimed", "by_sharer": True, "confirmed_by_them": False, "window_ended": True}
    return CloseFacts(**(base | changes))


def test_an_open_unconfirmed_exchange_may_be_closed_by_either_side():
    decide_close(facts(), NO_SHOW)
    decide_close(facts(), CANCELLED)
    decide_close(facts(by_sharer=False, window_ended=False), CANCELLED)


@pytest.mark.parametrize("outcome", [CANCELLED, NO_SHOW])
def test_a_side_that_confirmed_may_not_close_it(outcome):
    with pytest.raises(Conflict, match="You confirmed the pickup") as refused:
        decide_close(facts(confirmed_by_them=True), outcome)
    assert refused.value.code == "invalid_state"


def test_a_cause_nobody_chose_needs_only_an_open_exchange():
    decide_close(facts(confirmed_by_them=True), CANCELLED, chosen=False)
    with pytest.raises(Conflict):
        decide_close(facts(status="completed"), CANCELLED, chosen=False)


def test_no_show_is_the_sharers_after_the_window():
    with pytest.raises(Forbidden):
        decide_close(facts(by_sharer=False), NO_SHOW)
    with pytest.raises(Conflict) as early:
        decide_close(facts(window_ended=False), NO_SHOW)
    assert early.value.code == "too_early"
    with pytest.raises(Conflict, match="lapsed"):
        decide_close(facts(status="lapsed"), CANCELLED)


def test_a_cancel_within_the_window_relists_the_post_while_its_sharer_is_in_the_group():
    assert post_after_close(facts(window_ended=False, window_open=True), CANCELLED) == "available"


@pytest.mark.parametrize("departed", ["withdrawn", "removed"])
def test_a_cancel_within_the_window_after_the_sharer_departed_takes_the_post_off_as_the_departure_did(departed):
    open_window = facts(window_ended=False, window_open=True, sharer_departed=departed)
    assert post_after_close(open_window, CANCELLED) == departed
    assert post_after_close(open_window, CANCELLED) == post_after_close(
        facts(by_sharer=False, window_ended=False, window_open=True, sharer_departed=departed), CANCELLED)


@pytest.mark.parametrize("departed", [None, "withdrawn"])
def test_past_the_window_or_after_a_no_show_the_post_expires_whoever_departed(departed):
    assert post_after_close(facts(sharer_departed=departed), CANCELLED) == "expired"
    assert post_after_close(facts(sharer_departed=departed), NO_SHOW) == "expired"
    # the window's last second: no longer claimable, not yet ended
    assert post_after_close(facts(window_ended=False, window_open=False, sharer_departed=departed),
                            CANCELLED) == "expired"


def test_a_sharer_departed_from_the_post_s_group_only():
    assert sharer_departed({"g", "h"}, "g")
    assert not sharer_departed({"h"}, "g")
    assert not sharer_departed(None, "g")  # a profile that never left a group has no set
    assert not sharer_departed(set(), "g")
