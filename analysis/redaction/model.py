"""Results of redaction: the redacted text and the words a moderator should look at."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FlagKind = Literal["rare", "name"]

#: Every marker redaction writes; nothing else in square brackets is ever produced.
MARKERS: tuple[str, ...] = ("[name]", "[email]", "[phone]", "[place]", "[team]", "[number]")


@dataclass(frozen=True)
class Flag:
    """A word left in the text that a moderator should check before the comment is quoted.

    ``kind`` is ``"rare"`` for a word used in only one comment of the question, ``"name"`` for a
    capitalised word that looks like a personal name. ``start``/``end`` index ``Redaction.text``.
    """

    kind: FlagKind
    token: str
    start: int
    end: int


@dataclass(frozen=True)
class Redaction:
    """A comment after redaction."""

    text: str
    flags: tuple[Flag, ...]
    replacements: int

    @property
    def flagged(self) -> bool:
        """Whether a moderator has anything to look at beyond the markers."""
        return bool(self.flags)
