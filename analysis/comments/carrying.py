"""Carrying an analyst's review forward to a new analysis of the same comments.

Analysing a survey again makes every free-text question's review afresh. So that this never
silently throws away an analyst's work, the new review takes over the old one's names,
merges, moves and quote decisions wherever the comments are the same:

- A :class:`ReviewRecord` is what is kept of a review for that: a digest of each comment's
  text and of its redacted text (never the text), the theme each comment is in, the themes
  (names, key phrases, whether an analyst confirmed the name), the quote decisions and the
  list of decisions. It is only ever stored sealed (inside a review workspace, or sealed to
  the survey's key when a release is published).
- :func:`carry_forward` matches comments by digest. If the new comments are exactly the old
  ones, the whole review is carried: themes, each comment's theme and every quote decision.
  Otherwise each new theme whose comments are exactly an old theme's comments takes that
  theme's name, and each quote decision on a matched comment is kept; the rest is reported
  as not carried.
- A quote decision is kept only if the comment's redacted text is unchanged (redaction may
  have improved since): otherwise the quote waits for a new decision.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from analysis.comments.model import (
    NO_THEME,
    Decision,
    QuestionReview,
    Quote,
    QuoteStatus,
    ThemeState,
)

#: The decision recorded on a review that was carried forward.
CARRY_ACTION = "carry"


def digest(text: str) -> str:
    """A comment's digest: SHA-256 of its text with runs of white space made one space."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RecordQuote:
    id: str
    comment: int  # index into ReviewRecord.comments
    status: QuoteStatus
    redacted: str  # digest of the comment's redacted text when the decision was made
    text: str | None  # an approved quote's text (as published); None otherwise


@dataclass(frozen=True)
class ReviewRecord:
    """What carrying forward needs of one question's review: no comment text."""

    question_id: str
    engine: str
    comments: tuple[str, ...]  # digest of each comment's text, in the review's order
    redacted: tuple[str, ...]  # digest of each comment's redacted text
    placed: tuple[int, ...]  # each comment's theme
    themes: tuple[ThemeState, ...]
    quotes: tuple[RecordQuote, ...]
    decisions: tuple[Decision, ...]

    @property
    def has_work(self) -> bool:
        """An analyst did something that a fresh analysis would not do again."""
        return bool(self.decisions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question_id": self.question_id,
            "engine": self.engine,
            "comments": list(self.comments),
            "redacted": list(self.redacted),
            "placed": list(self.placed),
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
            "quotes": [[q.id, q.comment, q.status, q.redacted, q.text] for q in self.quotes],
            "decisions": [[d.action, d.detail, d.actor, d.on] for d in self.decisions],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReviewRecord:
        return cls(
            question_id=str(data["question_id"]),
            engine=str(data["engine"]),
            comments=tuple(str(d) for d in data["comments"]),
            redacted=tuple(str(d) for d in data["redacted"]),
            placed=tuple(int(t) for t in data["placed"]),
            themes=tuple(
                ThemeState(
                    int(t["id"]),
                    str(t["label"]),
                    tuple(str(p) for p in t["key_phrases"]),
                    bool(t["reportable"]),
                    tuple(int(i) for i in t["representatives"]),
                    bool(t["confirmed"]),
                )
                for t in data["themes"]
            ),
            quotes=tuple(
                RecordQuote(str(i), int(c), s, str(r), None if t is None else str(t))
                for i, c, s, r, t in data["quotes"]
            ),
            decisions=tuple(
                Decision(str(a), str(d), str(w), str(o)) for a, d, w, o in data["decisions"]
            ),
        )


def record_of(review: QuestionReview) -> ReviewRecord:
    """The record of ``review`` (digests, themes and decisions; no comment text)."""
    return ReviewRecord(
        question_id=review.question_id,
        engine=review.engine,
        comments=tuple(digest(c.text) for c in review.comments),
        redacted=tuple(digest(c.redacted) for c in review.comments),
        placed=tuple(c.theme for c in review.comments),
        themes=review.themes,
        quotes=tuple(
            RecordQuote(
                q.id,
                q.comment,
                q.status,
                digest(review.comments[q.comment].redacted),
                q.text if q.status == "approved" else None,
            )
            for q in review.quotes
        ),
        decisions=review.decisions,
    )


@dataclass(frozen=True)
class Carried:
    """What carrying one question's review forward kept, and what it could not."""

    question_id: str
    whole: bool  # the comments were the same: everything was carried
    names: int  # analysts' theme names carried
    names_lost: int
    quotes: int  # quote decisions carried
    quotes_lost: int  # quote decisions not carried (the comment or its redaction changed)
    changes_lost: int  # merges, moves and splits not carried (the comments changed)

    @property
    def lost_anything(self) -> bool:
        return bool(self.names_lost or self.quotes_lost or self.changes_lost)

    def summary(self) -> str:
        """One line for the audit log and the decisions list (no comment text)."""
        kept = f"{self.names} names and {self.quotes} quote decisions carried forward"
        if not self.lost_anything:
            return kept + (" (the comments are unchanged)" if self.whole else "")
        return (
            f"{kept}; not carried: {self.names_lost} names, {self.quotes_lost} quote "
            f"decisions, {self.changes_lost} merges, moves or splits"
        )


_CHANGES = frozenset({"merge", "move", "split"})


def carry_forward(
    record: ReviewRecord, review: QuestionReview, *, actor: str, on: str
) -> tuple[QuestionReview, Carried]:
    """``review`` (a fresh analysis) with ``record``'s review work carried over where the
    comments are the same, and what was and was not carried."""
    confirmed = sum(1 for t in record.themes if t.confirmed)
    decided = sum(1 for q in record.quotes if q.status != "pending")
    changes = sum(1 for d in record.decisions if d.action in _CHANGES)
    if not record.has_work:
        return review, Carried(review.question_id, False, 0, 0, 0, 0, 0)
    matches = _match(record.comments, [digest(c.text) for c in review.comments])
    whole = (
        review.status == "ready"
        and len(matches) == len(review.comments) == len(record.comments)
        and bool(record.themes)
    )
    if whole:
        carried, quotes_lost = _whole(record, review, matches)
        names, names_lost, changes_lost = confirmed, 0, 0
    else:
        carried, names, quotes_lost = _partial(record, review, matches)
        names_lost, changes_lost = confirmed - names, changes
    report = Carried(
        review.question_id,
        whole,
        names,
        names_lost,
        decided - quotes_lost,
        quotes_lost,
        changes_lost,
    )
    note = Decision(CARRY_ACTION, report.summary(), actor, on)
    return replace(carried, decisions=(*record.decisions, note)), report


def _match(old: Sequence[str], new: Sequence[str]) -> dict[int, int]:
    """New comment index → old comment index, pairing equal digests in order."""
    waiting: dict[str, list[int]] = defaultdict(list)
    for index, value in enumerate(old):
        waiting[value].append(index)
    found: dict[int, int] = {}
    for index, value in enumerate(new):
        if waiting.get(value):
            found[index] = waiting[value].pop(0)
    return found


def _kept_quote(
    record: RecordQuote, review: QuestionReview, index: int, quote_id: str
) -> tuple[Quote, bool]:
    """The quote on new comment ``index`` with ``record``'s decision if its redacted text
    is unchanged (True), else waiting for a new decision (False)."""
    redacted = review.comments[index].redacted
    if digest(redacted) != record.redacted:
        return Quote(quote_id, index, redacted), False
    text = record.text if record.status == "approved" and record.text else redacted
    return Quote(quote_id, index, text, record.status), True


def _whole(
    record: ReviewRecord, review: QuestionReview, matches: dict[int, int]
) -> tuple[QuestionReview, int]:
    back = {old: new for new, old in matches.items()}
    comments = tuple(
        replace(c, theme=record.placed[matches[i]]) for i, c in enumerate(review.comments)
    )
    themes = tuple(
        replace(t, representatives=tuple(back[r] for r in t.representatives if r in back))
        for t in record.themes
    )
    quotes, lost = [], 0
    for kept in record.quotes:
        quote, same = _kept_quote(kept, review, back[kept.comment], kept.id)
        quotes.append(quote)
        lost += int(not same and kept.status != "pending")
    carried = replace(
        review, engine=record.engine, comments=comments, themes=themes, quotes=tuple(quotes)
    )
    return carried, lost


def _partial(
    record: ReviewRecord, review: QuestionReview, matches: dict[int, int]
) -> tuple[QuestionReview, int, int]:
    """Names of themes whose comments are exactly an old theme's; quote decisions on
    matched comments. Returns the review, the names carried and the decisions lost."""
    names = 0
    themes = list(review.themes)
    if review.status == "ready":
        old_members: dict[int, set[int]] = defaultdict(set)
        for old_index, owner_id in enumerate(record.placed):
            old_members[owner_id].add(old_index)
        for position, theme in enumerate(themes):
            members = review.members(theme.id)
            if not members or any(i not in matches for i in members):
                continue
            old = {matches[i] for i in members}
            owners = {record.placed[j] for j in old}
            if len(owners) != 1 or NO_THEME in owners:
                continue
            (owner,) = owners
            if old_members[owner] != old:
                continue
            source = next((t for t in record.themes if t.id == owner), None)
            if source is None:
                continue
            themes[position] = replace(
                theme,
                label=source.label,
                reportable=source.reportable,
                confirmed=source.confirmed,
            )
            names += int(source.confirmed)
    back = {old: new for new, old in matches.items()}
    quotes = {q.comment: q for q in review.quotes}
    lost = 0
    for kept in record.quotes:
        if kept.status == "pending":
            continue
        target = back.get(kept.comment)
        if target is None or review.status != "ready":
            lost += 1
            continue
        existing = quotes.get(target)
        quote_id = existing.id if existing else _next_id(quotes.values())
        quote, same = _kept_quote(kept, review, target, quote_id)
        quotes[target] = quote
        lost += int(not same)
    ordered = tuple(sorted(quotes.values(), key=lambda q: int(q.id[1:] or 0)))
    return replace(review, themes=tuple(themes), quotes=ordered), names, lost


def _next_id(quotes: Any) -> str:
    numbers = [int(q.id[1:]) for q in quotes if q.id[1:].isdigit()]
    return f"q{max(numbers, default=0) + 1}"
