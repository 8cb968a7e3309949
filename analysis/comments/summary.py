"""A reviewed question in a release: its counts as release items, and what readers see.

Theme and code counts are ordinary release items, protected with every other table of the
release (``theme_items`` / ``theme_columns`` feed ``analysis.counting.release_input``). What
is published beside them — labels, key phrases, tone shares and approved quotes — is built
here from the *protected* release, so nothing in it can say more than the tables:

- a theme's tone shares are shown only when the theme's overall count is published, and are
  themselves protected as a one-row table (``protect_table``) whose total is that count;
- quotes (approved by a moderator, redacted, no labels, random order) appear only for a
  reportable theme whose published overall count is at least ``k_text`` (DESIGN.md §6).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.comments.model import NO_THEME, OTHER, TONES, QuestionReview
from analysis.counting import Item
from analysis.disclosure import ProtectedRelease, protect_table

#: Approved quotes shown per theme at most.
MAX_QUOTES = 5
OTHER_THEME_LABEL = "Other comments"
OTHER_CODE_LABEL = "Other (no code)"


def theme_item(question_id: str) -> str:
    return f"{question_id}__themes"


def code_item(question_id: str) -> str:
    return f"{question_id}__codes"


def theme_option(theme_id: int) -> str:
    return f"t{theme_id}"


def reported_themes(review: QuestionReview) -> list[int]:
    """Reportable themes, largest first (ties by id)."""
    sizes = {t.id: review.size(t.id) for t in review.themes if t.reportable}
    return sorted(sizes, key=lambda t: (-sizes[t], t))


def theme_items(review: QuestionReview, *, sensitive: bool) -> list[Item]:
    """The release items of a question: its themes (one per comment) and, with a codebook,
    its codes (any number per comment)."""
    found: list[Item] = []
    if review.status == "ready":
        options = (*(theme_option(t) for t in reported_themes(review)), OTHER)
        item = theme_item(review.question_id)
        found.append(Item(item, item, "exclusive", options, sensitive))
    if review.codes and review.status != "empty":
        options = (*(c.id for c in review.codes), OTHER)
        item = code_item(review.question_id)
        found.append(Item(item, item, "multiple", options, sensitive))
    return found


def theme_columns(review: QuestionReview, rows: int) -> dict[str, pd.Series[Any]]:
    """Analysis-table columns for :func:`theme_items`, one value per respondent row; people
    who wrote nothing are missing (the "no answer" column)."""
    columns: dict[str, pd.Series[Any]] = {}
    if review.status == "ready":
        shown = set(reported_themes(review))
        values: list[str | None] = [None] * rows
        for comment in review.comments:
            theme = comment.theme
            values[comment.row] = theme_option(theme) if theme in shown else OTHER
        columns[theme_item(review.question_id)] = pd.Series(values, dtype="string")
    if review.codes and review.status != "empty":
        prefix = code_item(review.question_id)
        chosen: dict[str, list[bool | None]] = {c.id: [None] * rows for c in review.codes}
        chosen[OTHER] = [None] * rows
        for comment in review.comments:
            for code, flags in chosen.items():
                flags[comment.row] = code in comment.codes if code != OTHER else not comment.codes
        for code, flags in chosen.items():
            columns[f"{prefix}__{code}"] = pd.Series(flags, dtype="boolean")
    return columns


# --- what readers see ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedTheme:
    option: str
    label: str
    key_phrases: tuple[str, ...]
    tones: Mapping[str, int | None] | None  # None: not shown (count hidden or too small)
    quotes: tuple[str, ...]


@dataclass(frozen=True)
class PublishedCode:
    option: str
    label: str
    description: str


@dataclass(frozen=True)
class QuestionThemes:
    """The published summary of one free-text question."""

    question_id: str
    status: str  # "ready", "too_few" or "empty"
    engine: str
    themes: tuple[PublishedTheme, ...] = ()
    codes: tuple[PublishedCode, ...] = ()

    def theme_labels(self) -> dict[str, str]:
        """Column labels of the theme item."""
        return {t.option: t.label for t in self.themes}

    def code_labels(self) -> dict[str, str]:
        """Column labels of the code item."""
        return {c.option: c.label for c in self.codes}

    def to_dict(self) -> dict[str, Any]:
        return {
            "question_id": self.question_id,
            "status": self.status,
            "engine": self.engine,
            "themes": [
                {
                    "option": t.option,
                    "label": t.label,
                    "key_phrases": list(t.key_phrases),
                    "tones": None if t.tones is None else dict(t.tones),
                    "quotes": list(t.quotes),
                }
                for t in self.themes
            ],
            "codes": [
                {"option": c.option, "label": c.label, "description": c.description}
                for c in self.codes
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QuestionThemes:
        return cls(
            question_id=str(data["question_id"]),
            status=str(data["status"]),
            engine=str(data["engine"]),
            themes=tuple(
                PublishedTheme(
                    option=str(t["option"]),
                    label=str(t["label"]),
                    key_phrases=tuple(str(p) for p in t["key_phrases"]),
                    tones=None
                    if t["tones"] is None
                    else {str(k): (None if v is None else int(v)) for k, v in t["tones"].items()},
                    quotes=tuple(str(q) for q in t["quotes"]),
                )
                for t in data["themes"]
            ),
            codes=tuple(
                PublishedCode(str(c["option"]), str(c["label"]), str(c["description"]))
                for c in data["codes"]
            ),
        )


def summarise(
    review: QuestionReview,
    release: ProtectedRelease,
    *,
    k_text: int,
    rng: random.Random | None = None,
) -> QuestionThemes:
    """What a report shows of ``review``, given the protected ``release`` it belongs to."""
    shuffle = rng or random.SystemRandom()
    themes: list[PublishedTheme] = []
    item = theme_item(review.question_id)
    if review.status == "ready" and item in release.items:
        for theme_id in reported_themes(review):
            theme = review.theme(theme_id)
            option = theme_option(theme_id)
            count = release.value(item, (), option)
            themes.append(
                PublishedTheme(
                    option=option,
                    label=theme.label,
                    key_phrases=theme.key_phrases,
                    tones=_tones(review, theme_id, count, release.k, release.k_cell),
                    quotes=_quotes(review, theme_id, count, k_text, shuffle),
                )
            )
        themes.append(PublishedTheme(OTHER, OTHER_THEME_LABEL, (), None, ()))
    codes: list[PublishedCode] = []
    if code_item(review.question_id) in release.items:
        codes = [PublishedCode(c.id, c.label, c.description) for c in review.codes]
        codes.append(PublishedCode(OTHER, OTHER_CODE_LABEL, ""))
    return QuestionThemes(
        review.question_id, review.status, review.engine, tuple(themes), tuple(codes)
    )


def _tones(
    review: QuestionReview, theme_id: int, published: int | None, k: int, k_cell: int
) -> dict[str, int | None] | None:
    members = [review.comments[i].tone for i in review.members(theme_id)]
    if published is None or published != len(members) or published < k:
        return None
    counts = pd.DataFrame(
        [[sum(1 for tone in members if tone == name) for name in TONES]],
        index=pd.Index([theme_option(theme_id)], name="theme"),
        columns=list(TONES),
    )
    table = protect_table(counts, k=k, k_cell=k_cell, sensitive=False)
    row = table.iloc[0]
    shown: dict[str, int | None] = {
        name: (None if row[name] is pd.NA else int(row[name])) for name in TONES
    }
    total = row["Total"]
    if total is pd.NA or int(total) != published:
        return None
    return shown


def _quotes(
    review: QuestionReview,
    theme_id: int,
    published: int | None,
    k_text: int,
    shuffle: random.Random,
) -> tuple[str, ...]:
    if theme_id == NO_THEME or published is None or published < max(k_text, 3):
        return ()
    approved = [
        q.text
        for q in review.quotes
        if q.status == "approved" and review.comments[q.comment].theme == theme_id
    ]
    shuffle.shuffle(approved)
    return tuple(approved[:MAX_QUOTES])
