"""The display model of a report: protected tables turned into rows, figures and labels.

Everything here reads a :class:`~analysis.disclosure.ProtectedRelease` through
``release.table(view, item)`` only, so a page, chart or export can never show a number the
release does not publish. Percentages are worked out from shown numbers only: a count and
its group's total, both shown. No web framework; rendering (HTML, SVG, CSV, XLSX) lives
elsewhere and reads these frozen objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd

from analysis.comments.model import OTHER
from analysis.comments.summary import QuestionThemes, code_item, theme_item
from analysis.counting import MISSING
from analysis.disclosure import NO_ANSWER, Population, ProtectedRelease
from analysis.disclosure.model import ALL, TOTAL

#: The one marker for a hidden value, everywhere: pages, charts, CSV, XLSX and print.
HIDDEN = "c"

#: The one footnote that explains the marker (``{k}`` and ``{k_cell}`` are filled in).
FOOTNOTE = (
    "c = hidden to protect anonymity. A figure is hidden when its group has fewer than {k} "
    "people, when fewer than {k_cell} people gave an answer, or when it could be worked out "
    "from other figures."
)

MULTIPLE_NOTE = "People could choose more than one answer, so the percentages do not add up to 100."
OVERALL_ONLY_NOTE = "These figures are shown for everyone only, not by group."
PERCENT_NOTE = "Percentages are of everyone in the group, including people who did not answer."

NO_ANSWER_LABEL = "No answer"
MISSING_LABEL = "Not answered"
OVERALL_LABEL = "All respondents"
OVERALL_VIEW = "overall"
VIEW_SEPARATOR = "+"
RESPONDENTS = "respondents"
RESPONDENTS_LABEL = "Respondents"
RESPONDENTS_TITLE = "Number of respondents"

RowKind = Literal["group", "margin", "overall"]
View = tuple[str, ...]


def footnote(k: int, k_cell: int) -> str:
    """The footnote explaining ``c``, with the release's parameters."""
    return FOOTNOTE.format(k=k, k_cell=k_cell)


def _frozen(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Labels:
    """What readers see instead of codes. Anything without a label shows its code.

    ``groups[dimension]`` and ``options[item]`` map codes to labels; the "not answered" group
    (``analysis.counting.MISSING``) and the no-answer column (``NO_ANSWER``) have default
    labels. ``multiple`` holds the items where people could choose more than one answer.
    ``overall_only[item]`` says in one sentence why an item is not broken down by group.
    """

    breakdowns: Mapping[str, str] = field(default_factory=dict)
    groups: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    items: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    multiple: frozenset[str] = frozenset()
    overall_only: Mapping[str, str] = field(default_factory=dict)

    def breakdown(self, dimension: str) -> str:
        return self.breakdowns.get(dimension, dimension)

    def group(self, dimension: str, code: str) -> str:
        found = self.groups.get(dimension, {}).get(code)
        if found is not None:
            return found
        return MISSING_LABEL if code == MISSING else code

    def item(self, item: str) -> str:
        return self.items.get(item, item)

    def option(self, item: str, code: str) -> str:
        found = self.options.get(item, {}).get(code)
        if found is not None:
            return found
        return NO_ANSWER_LABEL if code == NO_ANSWER else code

    def view(self, view: View) -> str:
        """The name of a view: "Overall", "By council" or "By council and ethnic group"."""
        if not view:
            return "Overall"
        names = [self.breakdown(d) for d in view]
        joined = " and ".join([names[0], *(n.lower() for n in names[1:])])
        return f"By {joined[:1].lower()}{joined[1:]}"


@dataclass(frozen=True)
class Figure:
    """One published figure: ``None`` means hidden (shown as ``c``)."""

    count: int | None
    percent: int | None

    @property
    def hidden(self) -> bool:
        return self.count is None


@dataclass(frozen=True)
class Row:
    """One row of a table: a group, a margin of a two-way table, or everyone."""

    population: Population
    label: str
    total: int | None
    figures: tuple[Figure, ...]
    kind: RowKind


@dataclass(frozen=True)
class Table:
    """One published table, ready to render. ``item`` is ``None`` for respondent counts."""

    view: View
    item: str | None
    title: str
    view_label: str
    column_codes: tuple[str, ...]
    column_labels: tuple[str, ...]
    rows: tuple[Row, ...]
    notes: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """A stable, HTML-id-safe name for this table (item and view)."""
        item = self.item or RESPONDENTS
        return f"{item}--{view_key(self.view).replace(VIEW_SEPARATOR, '-')}"


@dataclass(frozen=True)
class Question:
    """One question of a report: its counted items (one per grid statement) or free text."""

    id: str
    title: str
    kind: Literal["counts", "text"]
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuestionResult:
    """A question with its tables, item by item and, within an item, view by view."""

    question: Question
    tables: tuple[Table, ...]


@dataclass(frozen=True)
class ReportInfo:
    """About the release, for titles and notes (never anything about a respondent)."""

    survey_title: str
    survey_slug: str
    as_at: dt.date
    status: str


@dataclass(frozen=True)
class Report:
    """Every published table of a release, for the exports and the printable report."""

    info: ReportInfo
    k: int
    k_cell: int
    responses: int | None
    views: tuple[View, ...]
    respondents: tuple[Table, ...]
    questions: tuple[QuestionResult, ...]
    labels: Labels
    # Free-text questions: published themes, key phrases, tone shares and approved quotes.
    themes: Mapping[str, TextResult] = field(default_factory=dict)

    @property
    def footnote(self) -> str:
        return footnote(self.k, self.k_cell)


# --- views in addresses ------------------------------------------------------------------------


def view_key(view: View) -> str:
    """How a view is written in an address: ``overall``, ``council``, ``council+ethnic_group``."""
    return VIEW_SEPARATOR.join(view) if view else OVERALL_VIEW


def parse_view(text: str | None, permitted: Sequence[View]) -> View | None:
    """The permitted view written as ``text`` (``None``/empty means overall), else ``None``."""
    wanted = text or OVERALL_VIEW
    for view in permitted:
        if view_key(view) == wanted:
            return tuple(view)
    return None


# --- numbers -----------------------------------------------------------------------------------


def percent(count: int | None, total: int | None) -> int | None:
    """``count`` as a whole percentage of ``total``, rounded half up; ``None`` unless both are
    shown and the total is above 0."""
    if count is None or total is None or total <= 0:
        return None
    return (200 * count + total) // (2 * total)


def _cells(frame: pd.DataFrame) -> dict[str, list[int | None]]:
    """Each column of a published (``Int64``) table as a list, ``None`` where hidden."""
    return {str(column): [_value(cell) for cell in frame[column].array] for column in frame}


def _value(cell: object) -> int | None:
    if cell is None or cell is pd.NA:
        return None
    if isinstance(cell, int | np.integer):
        return int(cell)
    raise TypeError(f"a published table holds {cell!r}, not a count")


# --- tables ------------------------------------------------------------------------------------


def _row_parts(view: View, label: object, labels: Labels) -> tuple[Population, str, RowKind]:
    codes: tuple[str, ...]
    if not view:
        codes = ()
    elif len(view) == 1:
        codes = (str(label),)
    else:
        codes = tuple(str(part) for part in label)  # type: ignore[attr-defined]
    named = [(d, g) for d, g in zip(view, codes, strict=True) if g != ALL]
    population = tuple(sorted(named))
    if not named:
        return population, OVERALL_LABEL, "overall"
    if len(named) == len(view):
        return population, ", ".join(labels.group(d, g) for d, g in named), "group"
    parts = [
        labels.group(d, g) if g != ALL else f"any {labels.breakdown(d).lower()}"
        for d, g in zip(view, codes, strict=True)
    ]
    text = ", ".join(parts)
    return population, text[:1].upper() + text[1:], "margin"


def build_table(release: ProtectedRelease, view: View, item: str, labels: Labels) -> Table:
    """The published table of ``item`` broken down by ``view``, with percentages of each
    row's total worked out from shown numbers only. An item the release publishes overall only
    gives a table with no rows for any other view, and a note saying why."""
    if not release.publishes(item, tuple(view)):
        return Table(
            view=tuple(view),
            item=item,
            title=labels.item(item),
            view_label=labels.view(tuple(view)),
            column_codes=(),
            column_labels=(),
            rows=(),
            notes=(labels.overall_only.get(item, OVERALL_ONLY_NOTE),),
        )
    frame = release.table(tuple(view), item)
    codes = tuple(str(c) for c in frame.columns if c != TOTAL)
    cells = _cells(frame)
    rows = []
    for position, label in enumerate(frame.index):
        population, text, kind = _row_parts(tuple(view), label, labels)
        total = cells[TOTAL][position]
        figures = []
        for code in codes:
            count = cells[code][position]
            figures.append(Figure(count, percent(count, total)))
        rows.append(Row(population, text, total, tuple(figures), kind))
    notes = (MULTIPLE_NOTE,) if item in labels.multiple else ()
    return Table(
        view=tuple(view),
        item=item,
        title=labels.item(item),
        view_label=labels.view(tuple(view)),
        column_codes=codes,
        column_labels=tuple(labels.option(item, c) for c in codes),
        rows=tuple(rows),
        notes=notes,
    )


def respondent_table(release: ProtectedRelease, view: View, labels: Labels) -> Table:
    """How many people are in each group of ``view``, with each as a percentage of everyone."""
    frame = release.table(tuple(view), None)
    sizes = _cells(frame)[TOTAL]
    overall = sizes[-1]
    rows = []
    for position, label in enumerate(frame.index):
        population, text, kind = _row_parts(tuple(view), label, labels)
        size = sizes[position]
        rows.append(Row(population, text, size, (Figure(size, percent(size, overall)),), kind))
    return Table(
        view=tuple(view),
        item=None,
        title=RESPONDENTS_TITLE,
        view_label=labels.view(tuple(view)),
        column_codes=(RESPONDENTS,),
        column_labels=(RESPONDENTS_LABEL,),
        rows=tuple(rows),
    )


def question_tables(
    release: ProtectedRelease, question: Question, views: Sequence[View], labels: Labels
) -> tuple[Table, ...]:
    """Every table of a question: item by item, and for each item view by view."""
    return tuple(
        build_table(release, view, item, labels) for item in question.items for view in views
    )


def build_report(
    release: ProtectedRelease,
    views: Sequence[View],
    questions: Sequence[Question],
    labels: Labels,
    info: ReportInfo,
    *,
    themes: Mapping[str, QuestionThemes] | None = None,
) -> Report:
    """Every table a release publishes, for the exports and the printable report."""
    views = tuple(tuple(v) for v in views)
    return Report(
        info=info,
        k=release.k,
        k_cell=release.k_cell,
        responses=release.size(()),
        views=views,
        respondents=tuple(respondent_table(release, v, labels) for v in views),
        questions=tuple(
            QuestionResult(q, question_tables(release, q, views, labels)) for q in questions
        ),
        labels=labels,
        themes={qid: text_result(release, s) for qid, s in (themes or {}).items()},
    )


# --- free text ---------------------------------------------------------------------------------

TONE_LABELS: Mapping[str, str] = MappingProxyType(
    {"positive": "Positive", "mixed": "Mixed or neutral", "negative": "Negative"}
)
ENGINE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "lexical": "word and phrase patterns (lexical engine)",
        "semantic": "sentence meaning (semantic engine, MiniLM sentence embeddings)",
    }
)


TOO_FEW_TEXT = "Too few comments to form themes."
NO_COMMENTS_TEXT = "No one wrote an answer to this question."


def text_status_message(status: str) -> str:
    """What a report says instead of themes (empty for a question that has them)."""
    return {
        "too_few": TOO_FEW_TEXT,
        "empty": NO_COMMENTS_TEXT,
        "failed": "Themes could not be worked out for this question in this release.",
    }.get(status, "")


@dataclass(frozen=True)
class ThemeResult:
    """One theme as readers see it. ``share`` is a percentage of the people who commented."""

    label: str
    key_phrases: tuple[str, ...]
    count: int | None
    share: int | None
    tones: tuple[tuple[str, Figure], ...]  # empty when not shown
    quotes: tuple[str, ...]
    other: bool = False


@dataclass(frozen=True)
class TextResult:
    """A free-text question's published summary: its themes, in the release's order."""

    question_id: str
    status: str  # "ready", "too_few" or "empty"
    engine: str
    commented: int | None
    themes: tuple[ThemeResult, ...]
    has_codes: bool

    @property
    def engine_label(self) -> str:
        return ENGINE_LABELS.get(self.engine, self.engine)


def text_result(release: ProtectedRelease, summary: QuestionThemes) -> TextResult:
    """Key phrases, counts, tone shares and quotes of each theme, figures read from the
    protected release only (tone counts are protected in the summary itself)."""
    item = theme_item(summary.question_id)
    commented: int | None = None
    if item in release.items:
        size, silent = release.size(()), release.value(item, (), NO_ANSWER)
        commented = None if size is None or silent is None else size - silent
    themes = []
    for theme in summary.themes:
        count = release.value(item, (), theme.option) if item in release.items else None
        tones: tuple[tuple[str, Figure], ...] = ()
        if theme.tones is not None and count is not None:
            tones = tuple(
                (TONE_LABELS.get(name, name), Figure(value, percent(value, count)))
                for name, value in theme.tones.items()
            )
        themes.append(
            ThemeResult(
                label=theme.label,
                key_phrases=theme.key_phrases,
                count=count,
                share=percent(count, commented),
                tones=tones,
                quotes=theme.quotes,
                other=theme.option == OTHER,
            )
        )
    return TextResult(
        question_id=summary.question_id,
        status=summary.status,
        engine=summary.engine,
        commented=commented,
        themes=tuple(themes),
        has_codes=code_item(summary.question_id) in release.items,
    )


# --- words -------------------------------------------------------------------------------------


def chart_summary(table: Table) -> str:
    """A text alternative for a chart of ``table``: what it shows and the overall figures."""
    rows = [r for r in table.rows if r.kind != "margin"]
    groups = sum(1 for r in rows if r.kind == "group")
    scope = f"everyone and {groups} groups" if groups else "everyone"
    parts = [f"Bar chart of the percentage giving each answer to ‘{table.title}’, for {scope}."]
    overall = next((r for r in table.rows if r.kind == "overall"), None)
    if overall is not None:
        shown = ", ".join(
            f"{name} {HIDDEN if f.percent is None else f'{f.percent}%'}"
            for name, f in zip(table.column_labels, overall.figures, strict=True)
        )
        parts.append(f"Everyone: {shown}.")
    if any(f.percent is None for r in rows for f in r.figures):
        parts.append(f"Bars marked {HIDDEN} are hidden to protect anonymity.")
    parts.append("The table gives every figure.")
    return " ".join(parts)
