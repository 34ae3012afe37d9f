"""The rule for text people are shown (`foodshare/visible_text.py`): the request models and the bots' parsers
use it, so it is tested once here, without a request."""

from __future__ import annotations

import pytest
from foodshare import visible_text


@pytest.mark.parametrize("blank", ["", " \u00a0 ", "\u200b", "\u200d\u2060", "\ufeff", "\u2800", "\u3164", "\u115f\u1160",
                                   "\uffa0", "\u00ad", "\u202e", "\u3000\u2028"])
def test_text_of_nothing_visible_is_refused(blank):
    assert visible_text.problem(blank) == "must contain a visible character"
    assert visible_text.problem(blank, multiline=True) == "must contain a visible character"


@pytest.mark.parametrize("text", ["Soup", "\u200bSoup", "Brot \u2800 und Suppe", "東京", "🍞", "١٢", "e\u0301"])
def test_text_with_a_visible_character_passes(text):
    assert visible_text.problem(text) is None


@pytest.mark.parametrize("control", ["\x00", "\x1b", "\x7f", "\x85", "\n", "\r", "\t"])
def test_one_line_text_holds_no_control_character(control):
    assert visible_text.problem(f"Soup{control}") == "must not contain control characters"


def test_free_text_may_hold_line_breaks_and_tabs_but_no_other_control_character():
    assert visible_text.problem("Soup\r\n\tand bread", multiline=True) is None
    assert visible_text.problem("Soup\x00", multiline=True) == "must not contain control characters"
    assert visible_text.problem("\n\n", multiline=True) == "must contain a visible character"
