"""The review state of one free-text question: comments, themes, codes and candidate quotes.

A :class:`QuestionReview` is made during an analysis run (``analysis.comments.building``),
changed only by the review actions in ``analysis.comments.reviewing`` (each returns a new
object and records a :class:`Decision`), and summarised for a release by
``analysis.comments.summary``. Everything here is plain data that round-trips through JSON;
it holds comment text, so it is stored only encrypted and never shown to report readers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ready", "too_few", "empty", "failed"]
QuoteStatus = Literal["pending", "approved", "rejected"]
#: A comment's tone (``analysis.themes.sentiment``): **experimental**, an analyst-only sort key
#: on the review pages. It has not been measured against people's own reading of workplace
#: comments, so it is never published: no report, export or summary carries it.
Tone = Literal["positive", "mixed", "negative"]

TONES: tuple[Tone, ...] = ("positive", "mixed", "negative")
NO_THEME = -1
OTHER = "other"  # the column for comments in no (reportable) theme or no code


@dataclass(frozen=True)
class Flag:
    """Something redaction was unsure of, at ``start:end`` of the redacted text, and why
    (``reason``, plain English for the moderator)."""

    kind: str
    token: str
    start: int
    end: int
    reason: str = ""


@dataclass(frozen=True)
class Comment:
    """One answer to the question. ``row`` is the respondent's row in the release's frame."""

    row: int
    text: str
    redacted: str
    flags: tuple[Flag, ...]
    tone: Tone  # experimental, analysts only: never published
    codes: tuple[str, ...]
    theme: int


@dataclass(frozen=True)
class ThemeState:
    """A theme under review. ``confirmed``: an analyst gave it its name (or kept the automatic
    one on purpose); until then a report shows it only as an automatic, unreviewed theme."""

    id: int
    label: str
    key_phrases: tuple[str, ...]
    reportable: bool = True
    representatives: tuple[int, ...] = ()  # comment indices, most typical first
    confirmed: bool = False


@dataclass(frozen=True)
class CodeInfo:
    id: str
    label: str
    description: str = ""
    seeds: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()  # labelled example comments: they set the coding threshold


@dataclass(frozen=True)
class Quote:
    """A candidate quote: a comment's redacted text, waiting for a moderator's decision."""

    id: str
    comment: int  # index into QuestionReview.comments
    text: str
    status: QuoteStatus = "pending"


@dataclass(frozen=True)
class Decision:
    """One review action, kept with the release (no comment text, no respondent)."""

    action: str
    detail: str
    actor: str
    on: str  # a date, ISO format: no time of day


@dataclass(frozen=True)
class QuestionReview:
    question_id: str
    status: Status
    engine: str
    comments: tuple[Comment, ...] = ()
    themes: tuple[ThemeState, ...] = ()
    codes: tuple[CodeInfo, ...] = ()
    quotes: tuple[Quote, ...] = ()
    decisions: tuple[Decision, ...] = ()
    random_state: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)

    # --- lookups ---------------------------------------------------------------------------

    def theme(self, theme_id: int) -> ThemeState:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise KeyError(theme_id)

    def has_theme(self, theme_id: int) -> bool:
        return any(t.id == theme_id for t in self.themes)

    def quote(self, quote_id: str) -> Quote:
        for quote in self.quotes:
            if quote.id == quote_id:
                return quote
        raise KeyError(quote_id)

    def members(self, theme_id: int) -> list[int]:
        """Indices of the comments in a theme."""
        return [i for i, c in enumerate(self.comments) if c.theme == theme_id]

    def size(self, theme_id: int) -> int:
        return sum(1 for c in self.comments if c.theme == theme_id)

    def quote_theme(self, quote: Quote) -> int:
        return self.comments[quote.comment].theme

    @property
    def unthemed(self) -> int:
        return sum(1 for c in self.comments if c.theme == NO_THEME)

    @property
    def pending_quotes(self) -> tuple[Quote, ...]:
        return tuple(q for q in self.quotes if q.status == "pending")

    # --- JSON ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "question_id": self.question_id,
            "status": self.status,
            "engine": self.engine,
            "random_state": self.random_state,
            "comments": [
                [
                    c.row,
                    c.text,
                    c.redacted,
                    [[f.kind, f.token, f.start, f.end, f.reason] for f in c.flags],
                    c.tone,
                    list(c.codes),
                    c.theme,
                ]
                for c in self.comments
            ],
            "themes": [
                {
                    "id": t.id,
                    "label": t.label,
                    "key_phrases": list(t.key_phrases),
                    "reportable": t.reportable,
                    "representatives": list(t.representatives),
                    "confirmed": t.confirmed,
                }
                for t in self.themes
            ],
            "codes": [
                {
                    "id": c.id,
                    "label": c.label,
                    "description": c.description,
                    "seeds": list(c.seeds),
                    "examples": list(c.examples),
                }
                for c in self.codes
            ],
            "quotes": [
                {"id": q.id, "comment": q.comment, "text": q.text, "status": q.status}
                for q in self.quotes
            ],
            "decisions": [
                {"action": d.action, "detail": d.detail, "actor": d.actor, "on": d.on}
                for d in self.decisions
            ],
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QuestionReview:
        named = _named_by_decision(data.get("decisions", ()))
        return cls(
            question_id=str(data["question_id"]),
            status=data["status"],
            engine=str(data["engine"]),
            random_state=int(data.get("random_state", 0)),
            comments=tuple(
                Comment(
                    row=int(row),
                    text=str(text),
                    redacted=str(redacted),
                    # Workspaces saved before reasons were recorded have four fields.
                    flags=tuple(
                        Flag(str(f[0]), str(f[1]), int(f[2]), int(f[3]), str(f[4] if f[4:] else ""))
                        for f in flags
                    ),
                    tone=tone,
                    codes=tuple(str(c) for c in codes),
                    theme=int(theme),
                )
                for row, text, redacted, flags, tone, codes, theme in data["comments"]
            ),
            themes=tuple(
                ThemeState(
                    id=int(t["id"]),
                    label=str(t["label"]),
                    key_phrases=tuple(str(p) for p in t["key_phrases"]),
                    reportable=bool(t["reportable"]),
                    representatives=tuple(int(i) for i in t["representatives"]),
                    # Workspaces saved before the flag existed: a theme was named if renamed.
                    confirmed=bool(t.get("confirmed", int(t["id"]) in named)),
                )
                for t in data["themes"]
            ),
            codes=tuple(
                CodeInfo(
                    str(c["id"]),
                    str(c["label"]),
                    str(c.get("description", "")),
                    tuple(str(s) for s in c.get("seeds", ())),
                    tuple(str(e) for e in c.get("examples", ())),
                )
                for c in data["codes"]
            ),
            quotes=tuple(
                Quote(str(q["id"]), int(q["comment"]), str(q["text"]), q["status"])
                for q in data["quotes"]
            ),
            decisions=tuple(
                Decision(str(d["action"]), str(d["detail"]), str(d["actor"]), str(d["on"]))
                for d in data["decisions"]
            ),
            extra=dict(data.get("extra", {})),
        )


def _named_by_decision(decisions: Any) -> set[int]:
    """Ids of the themes an analyst renamed, read in order from the decisions of a workspace
    saved before ``confirmed`` existed ("theme <id> named ‘…’"; a theme merged away, or a new
    one split off under a reused id, is not named)."""
    named: set[int] = set()
    for decision in decisions or ():
        action = decision.get("action")
        words = str(decision.get("detail", "")).split()
        try:
            if action == "rename" and words[:1] == ["theme"] and words[2:3] == ["named"]:
                named.add(int(words[1]))
            elif action == "merge" and words[:1] == ["theme"]:
                named.discard(int(words[1]))
            elif action == "split" and words[-2:-1] == ["theme"]:
                named.discard(int(words[-1]))
        except (IndexError, ValueError):
            continue
    return named
