"""Results of redaction: the redacted text and the words a moderator should look at."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: ``rare``: a word used in only one comment; ``name``: may be a person's name; ``place``: may
#: be a place; ``initials``: looks like someone's initials; ``identifying``: describes someone
#: as the only one of a kind ("the only Black manager in my team").
FlagKind = Literal["rare", "name", "place", "initials", "identifying"]

#: Kinds of flag whose words may point at a person or a place: never in a theme's name or key
#: phrases.
POINTING_KINDS: frozenset[str] = frozenset({"name", "place", "initials"})

#: Every marker redaction writes; nothing else in square brackets is ever produced.
MARKERS: tuple[str, ...] = ("[name]", "[email]", "[phone]", "[place]", "[team]", "[number]")


@dataclass(frozen=True)
class Flag:
    """Words left in the text that a moderator should check before the comment is quoted.

    ``start``/``end`` index ``Redaction.text``; ``reason`` says in plain English why the
    words were flagged, for the moderator.
    """

    kind: FlagKind
    token: str
    start: int
    end: int
    reason: str = ""


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
