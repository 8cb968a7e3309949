"""Titles and names refuse control and invisible formatting characters, and nothing else."""

from __future__ import annotations

import pytest

from survey_app.domain.characters import control_characters, has_control_characters

REFUSED = [
    "\x00",  # NUL
    "\t",
    "\n",
    "\r",
    "\x1b",  # escape
    "\x7f",  # DEL
    "\x85",  # next line (C1)
    "\u00ad",  # soft hyphen
    "\u200b",  # zero-width space
    "\u200e",  # left-to-right mark
    "\u202e",  # right-to-left override: reorders what a reader sees
    "\u2066",  # left-to-right isolate
    "\u2028",  # line separator
    "\u2029",  # paragraph separator
    "\ufeff",  # byte-order mark
]


@pytest.mark.parametrize("character", REFUSED)
def test_control_and_format_characters_are_refused(character: str) -> None:
    assert has_control_characters(f"Staff{character}survey")
    assert control_characters(f"a{character}b{character}") == [character]


@pytest.mark.parametrize(
    "text",
    [
        "Global Majority staff survey 2026",
        "Caseload & allocation: ‘fair’?",
        '=HYPERLINK("http://example.org","Open")',  # the exports deal with formulas
        "Équipe de Saint-Étienne",
        "Śląsk – Łódź",
        "ميدان العمل",
        "کارمندان\u200cها",  # Persian, with the zero-width non-joiner its spelling needs
        "👩\u200d👩\u200d👧",  # an emoji sequence joined by zero-width joiners
        "non\u00a0breaking space",
        "",
    ],
)
def test_ordinary_text_is_allowed(text: str) -> None:
    assert not has_control_characters(text)
    assert control_characters(text) == []
