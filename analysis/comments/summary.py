"""A reviewed question in a release: its counts as release items, and what readers see.

Theme and code counts are ordinary release items, protected with every other table of the
release (``theme_items`` / ``theme_columns`` feed ``analysis.counting.release_input``). What
is published beside them — labels, key phrases and approved quotes — is built here from the
*protected* release, so nothing in it can say more than the tables:

- a theme whose name no analyst confirmed is published as "Automatic theme N (not
  reviewed)", never under its automatic name, and the summary records which themes were
  reviewed so a report can say so truthfully;
- quotes (approved by a moderator, redacted, no labels, random order) appear only for a
  reportable theme whose published overall count is at least ``k_text`` (DESIGN.md §6);
- a comment's tone is never published (it is an experimental, analyst-only sort key).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.comments.building import publication_check
from analysis.comments.model import NO_THEME, OTHER, QuestionReview
from analysis.counting import Item
from analysis.disclosure import ProtectedRelease

#: Approved quotes shown per theme at most.
MAX_QUOTES = 5
OTHER_THEME_LABEL = "Other comments"
OTHER_CODE_LABEL = "Other (no code)"
#: A report shows at most this many themes of a question, the largest; smaller reportable
#: themes are counted together as "Other themes" (each stays a theme under review).
MAX_REPORTED_THEMES = 12
GROUPED = "grouped"  # the option of the smaller themes counted together
GROUPED_LABEL = "Other themes"
#: How a theme whose name no analyst confirmed is published (``number`` counts from 1).
AUTOMATIC_LABEL = "Automatic theme {number} (not reviewed)"


def theme_item(question_id: str) -> str:
    return f"{question_id}__themes"


def code_item(question_id: str) -> str:
    return f"{question_id}__codes"


def theme_option(theme_id: int) -> str:
    return f"t{theme_id}"


def _reportable(review: QuestionReview) -> list[int]:
    """Reportable themes, largest first (ties by id)."""
    sizes = {t.id: review.size(t.id) for t in review.themes if t.reportable}
    return sorted(sizes, key=lambda t: (-sizes[t], t))


def reported_themes(review: QuestionReview) -> list[int]:
    """The reportable themes a report shows on their own: the :data:`MAX_REPORTED_THEMES`
    largest (ties by id)."""
    return _reportable(review)[:MAX_REPORTED_THEMES]


def grouped_themes(review: QuestionReview) -> list[int]:
    """Reportable themes beyond the largest :data:`MAX_REPORTED_THEMES`, which a report
    counts together as "Other themes"."""
    return _reportable(review)[MAX_REPORTED_THEMES:]


def theme_items(review: QuestionReview, *, sensitive: bool) -> list[Item]:
    """The release items of a question: its themes (one per comment) and, with a codebook,
    its codes (any number per comment)."""
    found: list[Item] = []
    if review.status == "ready":
        grouped = (GROUPED,) if grouped_themes(review) else ()
        options = (*(theme_option(t) for t in reported_themes(review)), *grouped, OTHER)
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
        grouped = set(grouped_themes(review))
        values: list[str | None] = [None] * rows
        for comment in review.comments:
            theme = comment.theme
            if theme in shown:
                values[comment.row] = theme_option(theme)
            else:
                values[comment.row] = GROUPED if theme in grouped else OTHER
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
    quotes: tuple[str, ...]
    #: True: an analyst named the theme; False: found automatically and not reviewed (``label``
    #: is then ``AUTOMATIC_LABEL``); None: "Other comments", or a release made before this
    #: was recorded.
    reviewed: bool | None = None


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

    @property
    def named_themes(self) -> tuple[PublishedTheme, ...]:
        """The themes found in the comments, each on its own ("Other themes" and "Other
        comments" left out)."""
        return tuple(t for t in self.themes if t.option not in (OTHER, GROUPED))

    @property
    def reviewed(self) -> int:
        """How many themes an analyst named."""
        return sum(1 for t in self.named_themes if t.reviewed is True)

    @property
    def automatic(self) -> int:
        """How many themes are published as found, not reviewed by an analyst."""
        return sum(1 for t in self.named_themes if t.reviewed is False)

    @property
    def review_recorded(self) -> bool:
        """False for a release made before Candour recorded which themes were reviewed."""
        return all(t.reviewed is not None for t in self.named_themes)

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
                    "quotes": list(t.quotes),
                    "reviewed": t.reviewed,
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
                    quotes=tuple(str(q) for q in t["quotes"]),
                    # Older releases also stored tone shares: they are no longer read.
                    reviewed=None if t.get("reviewed") is None else bool(t["reviewed"]),
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
        automatic = 0
        # Key phrases and names never carry a word that points at someone or that fewer than
        # k_text people used; an analyst's name that does is published as automatic.
        check = publication_check(review, k_text=k_text)
        for theme_id in reported_themes(review):
            theme = review.theme(theme_id)
            option = theme_option(theme_id)
            count = release.value(item, (), option)
            named = theme.confirmed and check.label_is_safe(theme.label)
            if not named:
                automatic += 1
            themes.append(
                PublishedTheme(
                    option=option,
                    label=theme.label if named else AUTOMATIC_LABEL.format(number=automatic),
                    key_phrases=check.keep(theme.key_phrases),
                    quotes=_quotes(review, theme_id, count, k_text, shuffle),
                    reviewed=named,
                )
            )
        grouped = grouped_themes(review)
        if grouped:
            themes.append(PublishedTheme(GROUPED, grouped_label(len(grouped)), (), ()))
        themes.append(PublishedTheme(OTHER, OTHER_THEME_LABEL, (), ()))
    codes: list[PublishedCode] = []
    if code_item(review.question_id) in release.items:
        codes = [PublishedCode(c.id, c.label, c.description) for c in review.codes]
        codes.append(PublishedCode(OTHER, OTHER_CODE_LABEL, ""))
    return QuestionThemes(
        review.question_id, review.status, review.engine, tuple(themes), tuple(codes)
    )


def grouped_label(count: int) -> str:
    """The name of the smaller themes counted together: "Other themes (3 smaller themes)"."""
    smaller = "1 smaller theme" if count == 1 else f"{count} smaller themes"
    return f"{GROUPED_LABEL} ({smaller})"


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
