"""The display model of a report: protected tables turned into rows, figures and labels.

Everything here reads a :class:`~analysis.disclosure.ProtectedRelease` through four things
only: ``release.views`` (the views it publishes), ``release.publishes(item, view)`` (whether
an item's table for a view is published), and the values in ``sizes`` and ``items``. So a
page, chart or export can never show a number, or a view, the release does not publish. A
view or an item table that is not published becomes one sentence ("There are too few
responses to show this question by council."), never a table of ``c``. Percentages are worked
out from shown numbers only: a count and its group's total, both shown. No web framework;
rendering (HTML, CSV, XLSX) lives elsewhere and reads these frozen objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from types import MappingProxyType
from typing import Literal

from analysis.comments.model import OTHER
from analysis.comments.summary import GROUPED, QuestionThemes, code_item, theme_item
from analysis.counting import MISSING
from analysis.disclosure import NO_ANSWER, Population, ProtectedRelease
from analysis.disclosure.model import ALL

#: The one marker for a hidden value, everywhere: pages, charts, CSV, XLSX and print.
HIDDEN = "c"

#: The short note on every page, sheet and printed section that has a hidden value.
HIDDEN_NOTE = "c: hidden to protect small groups"

#: The full explanation of the marker (``{k}`` and ``{k_cell}`` are filled in), for the
#: notes of a download and the page that explains how figures are protected.
FOOTNOTE = (
    "c = hidden to protect anonymity. A figure is hidden when its group has fewer than {k} "
    "people, when fewer than {k_cell} people gave an answer, or when it could be worked out "
    "from other figures."
)

#: What a report says instead of a table that is not published (``{breakdown}`` is "by
#: council", "by council and ethnic group").
TOO_FEW_NOTE = "There are too few responses to show this question {breakdown}."
NOT_PUBLISHED_NOTE = "There are too few responses to show this question."

MULTIPLE_NOTE = "People could choose more than one answer, so the percentages do not add up to 100."
OVERALL_ONLY_NOTE = "These figures are shown for everyone only, not by group."
PERCENT_NOTE = "Percentages are of everyone in the group, including people who did not answer."
#: Themes and codes of a free-text question: one denominator everywhere (pages, charts,
#: exports and print), the people who wrote a comment.
COMMENTED_NOTE = (
    "Percentages are of the people in the group who wrote a comment; "
    "people who wrote nothing are left out."
)
COMMENTED_BASE = "% of those who commented"
COMMENTED_TOTAL = "Everyone who commented"

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
    #: items whose percentages are of the people who answered (themes and codes of comments)
    commented: frozenset[str] = frozenset()

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
        return "B" + self.by(view)[1:]

    def by(self, view: View) -> str:
        """A view inside a sentence: "by council", "by council and ethnic group" ("" overall)."""
        if not view:
            return ""
        names = [self.breakdown(d) for d in view]
        joined = " and ".join([names[0], *(n.lower() for n in names[1:])])
        return f"by {joined[:1].lower()}{joined[1:]}"

    def too_few(self, view: View, subject: str = "this question") -> str:
        """The one sentence shown instead of a table that is not published: "There are too
        few responses to show this question by council." (``subject`` replaces "this
        question", e.g. "results")."""
        text = TOO_FEW_NOTE.format(breakdown=self.by(view)) if view else NOT_PUBLISHED_NOTE
        return text.replace("this question", subject).replace(" .", ".")

    def too_few_views(self, views: Sequence[View], subject: str = "results") -> str:
        """One sentence for several views that are not published ("" for none): "There are
        too few responses to show results by council and ethnic group, or by gender."""
        named = [self.by(v) for v in views if v]
        if not named:
            return ""
        return TOO_FEW_NOTE.format(breakdown=", or ".join(named)).replace("this question", subject)


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
    """One table, ready to render. ``item`` is ``None`` for respondent counts. A table the
    release does not publish has no rows and no columns, and its note says why."""

    view: View
    item: str | None
    title: str
    view_label: str
    column_codes: tuple[str, ...]
    column_labels: tuple[str, ...]
    rows: tuple[Row, ...]
    notes: tuple[str, ...] = ()
    #: 1, 2… for the parts of a table split by its columns (see ``parts``); 0 for a whole one
    part: int = 0
    #: what the percentages are of, and the name of the row every percentage is a share of
    base_label: str = "% of everyone"
    total_label: str = "Everyone"

    @property
    def key(self) -> str:
        """A stable, HTML-id-safe name for this table (item, view and part)."""
        item = self.item or RESPONDENTS
        key = f"{item}--{view_key(self.view).replace(VIEW_SEPARATOR, '-')}"
        return f"{key}--{self.part}" if self.part else key

    def parts(self, most: int) -> tuple[Table, ...]:
        """The table split by its columns into as few tables as keep each to ``most`` answer
        columns, evenly (25 columns, at most 8: 6, 6, 6 and 7), every row in every part; the
        table itself when it is narrow enough. For print, where a page cannot scroll."""
        count = len(self.column_codes)
        if count <= most:
            return (self,)
        pieces = -(-count // most)
        bounds = [count * i // pieces for i in range(pieces + 1)]
        return tuple(
            replace(
                self,
                column_codes=self.column_codes[start:end],
                column_labels=self.column_labels[start:end],
                rows=tuple(replace(r, figures=r.figures[start:end]) for r in self.rows),
                notes=self.notes if number == pieces else (),
                part=number,
            )
            for number, (start, end) in enumerate(pairwise(bounds), start=1)
        )

    @property
    def published(self) -> bool:
        return bool(self.rows)

    @property
    def charted(self) -> tuple[Row, ...]:
        """The rows a chart draws bars for: groups (not the margins of a two-way table) with
        a percentage to show, or with nobody in them."""
        return tuple(r for r in self.rows if r.kind != "margin" and r not in self.all_hidden)

    @property
    def all_hidden(self) -> tuple[Row, ...]:
        """Groups (not margins) with people in them whose every percentage is hidden: a chart
        names them in one line instead of drawing a row of ``c``."""
        return tuple(
            r
            for r in self.rows
            if r.kind != "margin" and r.total != 0 and all(f.percent is None for f in r.figures)
        )

    @property
    def has_hidden(self) -> bool:
        """Whether any figure of the table is ``c``."""
        return any(row.total is None or any(f.hidden for f in row.figures) for row in self.rows)


@dataclass(frozen=True)
class Question:
    """One question of a report: its counted items (one per grid statement) or free text.

    ``title`` is unique within a report and names the question in lists and headings (a
    grid's section title, say "Feeling safe at work", where several grids ask "How much do you
    agree or disagree with each statement?"); ``text`` is the question as it was asked, when
    that differs from the title.
    """

    id: str
    title: str
    kind: Literal["counts", "text"]
    items: tuple[str, ...] = ()
    text: str = ""


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
    # Free-text questions: published themes, key phrases and approved quotes.
    themes: Mapping[str, TextResult] = field(default_factory=dict)

    @property
    def footnote(self) -> str:
        return footnote(self.k, self.k_cell)

    @property
    def has_hidden(self) -> bool:
        """Whether any table of the report has a ``c``."""
        tables = [*self.respondents, *(t for q in self.questions for t in q.tables)]
        themes = (theme for text in self.themes.values() for theme in text.themes)
        return any(t.has_hidden for t in tables) or any(t.count is None for t in themes)


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


# --- tables ------------------------------------------------------------------------------------


def published_views(release: ProtectedRelease) -> tuple[View, ...]:
    """The views ``release`` publishes, overall first (overall is always published)."""
    return ((), *(tuple(v) for v in release.views if v))


def is_published(release: ProtectedRelease, item: str, view: View) -> bool:
    """Whether the release publishes ``item``'s table for ``view``: the view is published,
    the release says it publishes the item by it, and every row of the table is there."""
    view = tuple(view)
    if view and view not in {tuple(v) for v in release.views}:
        return False
    if item not in release.items or not release.publishes(item, view):
        return False
    rows = release.items[item]
    return all(population in rows for _codes, population in _view_rows(release, view))


def _view_rows(release: ProtectedRelease, view: View) -> list[tuple[tuple[str, ...], Population]]:
    """(group codes, population) for every row of a view, in display order: the groups, then
    for a two-way view its margins (``ALL`` for "any"), then everyone."""
    groups = {dim: tuple(release.dimensions.get(dim, ())) for dim in view}
    if not view:
        return [((), ())]
    if len(view) == 1:
        (dim,) = view
        return [((g,), ((dim, g),)) for g in groups[dim]] + [((ALL,), ())]
    first, second = view
    rows: list[tuple[tuple[str, ...], Population]] = [
        ((g, h), tuple(sorted(((first, g), (second, h)))))
        for g in groups[first]
        for h in groups[second]
    ]
    rows += [((g, ALL), ((first, g),)) for g in groups[first]]
    rows += [((ALL, h), ((second, h),)) for h in groups[second]]
    rows.append(((ALL, ALL), ()))
    return rows


def _row_parts(
    view: View, codes: tuple[str, ...], labels: Labels
) -> tuple[Population, str, RowKind]:
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


def _not_published(view: View, item: str | None, title: str, labels: Labels) -> Table:
    note = labels.overall_only.get(item, "") if item is not None else ""
    return Table(
        view=view,
        item=item,
        title=title,
        view_label=labels.view(view),
        column_codes=(),
        column_labels=(),
        rows=(),
        notes=(note or labels.too_few(view),),
    )


def _answered(total: int | None, silent: int | None) -> int | None:
    """The people in a group who answered: its size less those who did not, when both are
    shown (a percentage is only ever worked out from shown figures)."""
    if total is None or silent is None:
        return None
    return total - silent


def build_table(release: ProtectedRelease, view: View, item: str, labels: Labels) -> Table:
    """The table of ``item`` broken down by ``view``, with percentages of each row's total
    worked out from shown numbers only. A table the release does not publish has no rows and
    one sentence saying so."""
    view = tuple(view)
    if not is_published(release, item, view):
        return _not_published(view, item, labels.item(item), labels)
    rows_of = release.items[item]
    codes = tuple(str(c) for c in rows_of[()])
    rows = []
    # Themes and codes of comments: the people who wrote nothing are left out of the table, and
    # every row's total and percentages are of the people who commented (hidden, c, when the
    # group's size or its no-comment count is hidden).
    commented = item in labels.commented
    if commented:
        codes = tuple(c for c in codes if c != NO_ANSWER)
    for group_codes, population in _view_rows(release, view):
        _population, text, kind = _row_parts(view, group_codes, labels)
        total = release.size(population)
        values = rows_of[population]
        if commented:
            total = _answered(total, values.get(NO_ANSWER))
        figures = tuple(Figure(values[c], percent(values[c], total)) for c in codes)
        rows.append(Row(population, text, total, figures, kind))
    notes = (MULTIPLE_NOTE,) if item in labels.multiple else ()
    if commented:
        notes = (COMMENTED_NOTE, *notes)
    return Table(
        view=view,
        item=item,
        title=labels.item(item),
        view_label=labels.view(view),
        column_codes=codes,
        column_labels=tuple(labels.option(item, c) for c in codes),
        rows=tuple(rows),
        notes=notes,
        base_label=COMMENTED_BASE if commented else "% of everyone",
        total_label=COMMENTED_TOTAL if commented else "Everyone",
    )


def respondent_table(release: ProtectedRelease, view: View, labels: Labels) -> Table:
    """How many people are in each group of ``view``, with each as a percentage of everyone
    (no rows, and a sentence, for a view the release does not publish)."""
    view = tuple(view)
    rows_there = all(pop in release.sizes for _codes, pop in _view_rows(release, view))
    if view not in published_views(release) or not rows_there:
        return _not_published(view, None, RESPONDENTS_TITLE, labels)
    overall = release.size(())
    rows = []
    for group_codes, population in _view_rows(release, view):
        _population, text, kind = _row_parts(view, group_codes, labels)
        size = release.size(population)
        rows.append(Row(population, text, size, (Figure(size, percent(size, overall)),), kind))
    return Table(
        view=view,
        item=None,
        title=RESPONDENTS_TITLE,
        view_label=labels.view(view),
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


def report_views(release: ProtectedRelease, views: Sequence[View]) -> tuple[View, ...]:
    """Overall, then those of ``views`` the release publishes, in the release's order (a view
    it does not publish is left out, whoever asked for it)."""
    wanted = {tuple(v) for v in views}
    return tuple(v for v in published_views(release) if not v or v in wanted)


def build_report(
    release: ProtectedRelease,
    views: Sequence[View],
    questions: Sequence[Question],
    labels: Labels,
    info: ReportInfo,
    *,
    themes: Mapping[str, QuestionThemes] | None = None,
) -> Report:
    """Every table of ``questions`` for everyone and for each of ``views`` the release
    publishes, for the exports and the printable report."""
    chosen = report_views(release, views)
    return Report(
        info=info,
        k=release.k,
        k_cell=release.k_cell,
        responses=release.size(()),
        views=chosen,
        respondents=tuple(respondent_table(release, v, labels) for v in chosen),
        questions=tuple(
            QuestionResult(q, question_tables(release, q, chosen, labels)) for q in questions
        ),
        labels=labels,
        themes={qid: text_result(release, s) for qid, s in (themes or {}).items()},
    )


# --- free text ---------------------------------------------------------------------------------

ENGINE_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "lexical": "word and phrase patterns (lexical engine)",
        "semantic": "sentence meaning (semantic engine, MiniLM sentence embeddings)",
    }
)


TOO_FEW_TEXT = "Too few comments, or too few different comments, to form themes."
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
    quotes: tuple[str, ...]
    other: bool = False  # "Other themes" or "Other comments": not a theme of its own
    grouped: bool = False  # "Other themes": the smaller themes counted together


@dataclass(frozen=True)
class TextResult:
    """A free-text question's published summary: its themes, in the release's order."""

    question_id: str
    status: str  # "ready", "too_few" or "empty"
    engine: str
    commented: int | None
    themes: tuple[ThemeResult, ...]
    has_codes: bool
    #: what the methodology note says about who named the themes (``method_note``)
    method: str = ""

    @property
    def engine_label(self) -> str:
        return ENGINE_LABELS.get(self.engine, self.engine)


def method_note(summary: QuestionThemes) -> str:
    """How a question's themes were found and named, read from the release: which were
    named by an analyst and which are published as found, unreviewed, by which engine."""
    engine = ENGINE_LABELS.get(summary.engine, summary.engine)
    found = f"Themes were found automatically, by {engine}"
    total = len(summary.named_themes)
    if not summary.review_recorded:
        return f"{found}. This release does not record which of them an analyst reviewed."
    reviewed, automatic = summary.reviewed, summary.automatic
    if total == 0:
        return f"{found}."
    if automatic == 0:
        every = "the theme" if total == 1 else f"all {total} themes"
        return f"{found}, then an analyst reviewed and named {every}."
    if reviewed == 0:
        return (
            f"{found}. No analyst reviewed them: they are shown as automatic themes, "
            "not reviewed, with the key phrases that describe them."
        )
    named = "1 theme" if reviewed == 1 else f"{reviewed} themes"
    rest = "1 is" if automatic == 1 else f"{automatic} are"
    return (
        f"{found}. An analyst reviewed and named {named} of {total}; the other {rest} shown "
        "as automatic themes, not reviewed."
    )


def text_result(release: ProtectedRelease, summary: QuestionThemes) -> TextResult:
    """Key phrases, counts and quotes of each theme, figures read from the protected
    release only."""
    item = theme_item(summary.question_id)
    commented: int | None = None
    if item in release.items:
        commented = _answered(release.size(()), release.value(item, (), NO_ANSWER))
    themes = []
    for theme in summary.themes:
        count = release.value(item, (), theme.option) if item in release.items else None
        themes.append(
            ThemeResult(
                label=theme.label,
                key_phrases=theme.key_phrases,
                count=count,
                share=percent(count, commented),
                quotes=theme.quotes,
                other=theme.option in (OTHER, GROUPED),
                grouped=theme.option == GROUPED,
            )
        )
    return TextResult(
        question_id=summary.question_id,
        status=summary.status,
        engine=summary.engine,
        commented=commented,
        themes=tuple(themes),
        has_codes=code_item(summary.question_id) in release.items,
        method=method_note(summary),
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
