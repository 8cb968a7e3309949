"""Characters a name or title must not hold.

Titles and theme names are typed once and then shown everywhere: pages, the report, its
XLSX and CSV files, the PDF, the audit log. A control character in one can break a file
(XLSX refuses most C0 controls outright), hide part of the text, or reorder what a reader
sees (the bidirectional overrides U+202A..U+202E and U+2066..U+2069 are format characters).

Refused: Unicode's control characters (category Cc: NUL, tab, line feed, escape, DEL and the
C1 range), format characters (Cf: bidirectional overrides, zero-width space, soft hyphen,
byte-order mark…), line and paragraph separators (Zl, Zp) and lone surrogates (Cs). The
ordinary space is a separator (Zs) and is allowed, like every other visible character.
Two format characters are allowed because correct spelling needs them: the zero-width
non-joiner and joiner (U+200C, U+200D), used in Persian, Urdu, Hindi and other scripts and
inside emoji sequences. They neither reorder text nor break a file.
"""

from __future__ import annotations

import unicodedata

_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_ALLOWED = frozenset({"\u200c", "\u200d"})


def is_control_character(character: str) -> bool:
    """Whether one character is one that titles and names refuse (see the module's notes)."""
    if character in _ALLOWED:
        return False
    return unicodedata.category(character) in _REFUSED_CATEGORIES


def control_characters(text: str) -> list[str]:
    """The refused characters of ``text``, each once, in the order they first appear."""
    return list(dict.fromkeys(c for c in text if is_control_character(c)))


def has_control_characters(text: str) -> bool:
    return any(is_control_character(c) for c in text)
