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


@pytest.mark.parametrize("text", ["Bread \u202e", "\u202dBread", "Bread \u2067x", "Bread\u202c", "Bread\u2069",
                                  "\u202ax\u2069", "\u2066x\u202ay\u2069\u202c"])
def test_a_bidirectional_override_embedding_or_isolate_left_open_or_closed_unopened_is_refused(text):
    assert visible_text.problem(text) == \
        "must close each bidirectional formatting character it opens (U+202A-U+202E, U+2066-U+2069)"


def test_bidirectional_formatting_closes_within_its_paragraph():
    assert visible_text.problem("\u202bone\n\u202ctwo", multiline=True) is not None
    assert visible_text.problem("\u202bone\u202c\n\u2067two\u2069", multiline=True) is None


@pytest.mark.parametrize("text", ["Bread \u2067\u062e\u0628\u0632\u2069", "\u202eBread\u202c", "\u2066a\u202bb\u202cc\u2069",
                                  "Bread \u200f", "\u200eBread"])
def test_closed_bidirectional_formatting_and_marks_pass(text):
    assert visible_text.problem(text) is None


@pytest.mark.parametrize("written", ["gluten", "GLUTEN", " Gluten ", "glu\u00adten", "glu\u200bten", "\uff47\uff4c\uff55\uff54\uff45\uff4e"])
def test_a_label_is_compared_by_what_shows_whatever_form_it_was_written_in(written):
    assert visible_text.label_key(written) == "gluten"


def test_a_label_key_keeps_letters_apart_that_look_different():
    assert visible_text.label_key("se\u0301same") == visible_text.label_key("s\u00e9same") != "sesame"
    assert visible_text.label_key("tree  nuts") == "tree nuts" != visible_text.label_key("treenuts")
