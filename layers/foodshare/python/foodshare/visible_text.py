"""The one rule for text people are shown (titles, names, labels, descriptions, reasons): it has something to see.

`str.strip()` leaves characters that render as nothing (a zero-width space, a byte-order mark, a braille
blank, a Hangul filler), so a title made of them passes a minimum length and is shown as nothing; a control
character (NUL, escape) is not text at all. No pydantic here: the HTTP API's request models
(`api/requests.py`) and the chat bots' parsers use the same rule.
"""

from __future__ import annotations

import unicodedata

# Letters that render blank without being white space or format characters (Unicode category Cf).
BLANK_FILLERS = frozenset("\u2800\u3164\u115f\u1160\uffa0")
# The control characters text of several lines may hold.
LINE_CONTROLS = frozenset("\n\r\t")


def problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` cannot be shown as it is (a field's error message), or None when it can.

    `multiline`: free text (a description, a reason) may hold line breaks and tabs; a one-line value
    (a title, a name, a label) no control character at all."""
    allowed = LINE_CONTROLS if multiline else frozenset()
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in value):
        return "must not contain control characters"
    if blank(value):
        return "must contain a visible character"
    return None


def blank(value: str) -> bool:
    """Nothing of `value` would be seen (empty, white space, format characters, fillers): an optional text's absence."""
    return not any(_visible(c) for c in value)


def _visible(c: str) -> bool:
    return not c.isspace() and c not in BLANK_FILLERS and unicodedata.category(c) != "Cf"
