"""The one rule for text people are shown (titles, names, labels, descriptions, reasons): it has something to see.

`str.strip()` leaves characters that render as nothing (a zero-width space, a byte-order mark, a braille
blank, a Hangul filler), so a title made of them passes a minimum length and is shown as nothing; a control
character (NUL, escape) is not text at all; an explicit bidirectional formatting character left open (U+202E
RIGHT-TO-LEFT OVERRIDE) reorders what is shown after the text on its line: a tag ending in one wrote the bots'
"contains gluten" after it backwards. No pydantic here: the HTTP API's request models
(`api/requests.py`) and the chat bots' parsers use the same rule.
"""

from __future__ import annotations

import unicodedata

# Letters that render blank without being white space or format characters (Unicode category Cf).
BLANK_FILLERS = frozenset("\u2800\u3164\u115f\u1160\uffa0")
# The control characters text of several lines may hold.
LINE_CONTROLS = frozenset("\n\r\t")
# Explicit bidirectional formatting (Unicode's UAX #9): embeddings and overrides (LRE, RLE, LRO, RLO) are closed by
# PDF, isolates (LRI, RLI, FSI) by PDI, each within its paragraph.
OPEN_EMBEDDINGS, CLOSE_EMBEDDING = frozenset("\u202a\u202b\u202d\u202e"), "\u202c"
OPEN_ISOLATES, CLOSE_ISOLATE = frozenset("\u2066\u2067\u2068"), "\u2069"
PARAGRAPH_ENDS = frozenset("\n\r\u2029")
_BIDI = OPEN_EMBEDDINGS | OPEN_ISOLATES | {CLOSE_EMBEDDING, CLOSE_ISOLATE}


def problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` cannot be shown as it is (a field's error message), or None when it can.

    `multiline`: free text (a description, a reason) may hold line breaks and tabs; a one-line value
    (a title, a name, a label) no control character at all."""
    allowed = LINE_CONTROLS if multiline else frozenset()
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in value):
        return "must not contain control characters"
    if blank(value):
        return "must contain a visible character"
    if not _bidi_closed(value):
        return "must close each bidirectional formatting character it opens (U+202A-U+202E, U+2066-U+2069)"
    return None


def blank(value: str) -> bool:
    """Nothing of `value` would be seen (empty, white space, format characters, fillers): an optional text's absence."""
    return not any(_visible(c) for c in value)


def _visible(c: str) -> bool:
    return not c.isspace() and c not in BLANK_FILLERS and unicodedata.category(c) != "Cf"


def _bidi_closed(value: str) -> bool:
    """Whether every embedding, override and isolate `value` opens is closed, in order, within its paragraph, and
    nothing is closed that was not opened."""
    if _BIDI.isdisjoint(value):  # most text: nothing to walk through
        return True
    opened: list[str] = []
    for c in value:
        if c in OPEN_EMBEDDINGS:
            opened.append(CLOSE_EMBEDDING)
        elif c in OPEN_ISOLATES:
            opened.append(CLOSE_ISOLATE)
        elif c in (CLOSE_EMBEDDING, CLOSE_ISOLATE):
            if not opened or opened.pop() != c:
                return False
        elif c in PARAGRAPH_ENDS and opened:
            return False
    return not opened


def label_key(value: str) -> str:
    """What a label (a dietary tag, an allergen) is compared by: the characters that show (no format characters such
    as a soft hyphen or a zero-width space), in Unicode's compatibility form (full-width letters, a decomposed "é"
    as the one character), case-folded, white space runs as one space. A post's labels are kept as written; a filter
    matches them by this key, so "glu<soft hyphen>ten" is excluded by "gluten"."""
    if value.isascii():  # most labels: no format character, their own compatibility form (discovery's hot path)
        return " ".join(value.lower().split())
    shown = "".join(c for c in unicodedata.normalize("NFKC", value) if unicodedata.category(c) != "Cf")
    return " ".join(shown.casefold().split())
