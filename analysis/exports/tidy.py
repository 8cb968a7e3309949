"""The tidy CSV: one long file, one row per published (or hidden) figure of a report.

One file holds every view the reader chose — overall and each chosen breakdown — told apart
by the ``view`` column ("Overall", "By council", "By council and ethnic group"), so a
spreadsheet filter on that column gives one view's figures. A view the release does not
publish is never in it.

Columns: ``view, group, question, option, count, percent, status``. A hidden figure has
``c`` as its count and percent and the status ``hidden``; a shown figure has the status
``shown`` (its percent is ``c`` when the group's total is hidden). Each row's ``Total`` is a
figure too. Encoded as UTF-8 with a byte-order mark, so spreadsheet programs read it right.

A table that is not published for a view (too few responses, or theme counts shown for
everyone only) has one row with its note in ``option`` and the status ``note``. Free-text
questions add, after their theme tables, each theme's key phrases and approved quotes as
text rows: the phrase or quote in ``option``, empty count and percent, status ``key phrase``
or ``quote``.
"""

from __future__ import annotations

import csv
import io

from analysis.exports.cells import as_text
from analysis.report import HIDDEN, OVERALL_LABEL, Figure, Report, Table, TextResult, percent

COLUMNS = ("view", "group", "question", "option", "count", "percent", "status")
TOTAL_LABEL = "Total"
SHOWN, HIDDEN_STATUS, NOTE_STATUS = "shown", "hidden", "note"


def _number(value: int | None) -> str:
    return HIDDEN if value is None else str(value)


def _figure_row(
    table: Table, group: str, question: str, option: str, figure: Figure
) -> tuple[str, ...]:
    return (
        as_text(table.view_label),
        as_text(group),
        as_text(question),
        as_text(option),
        _number(figure.count),
        _number(figure.percent),
        HIDDEN_STATUS if figure.hidden else SHOWN,
    )


def _table_rows(table: Table, question: str, with_total: bool) -> list[tuple[str, ...]]:
    if not table.rows:  # published overall only: one text row says why
        return [
            (as_text(table.view_label), "", as_text(question), as_text(note), "", "", NOTE_STATUS)
            for note in table.notes
        ]
    rows = []
    for row in table.rows:
        for label, figure in zip(table.column_labels, row.figures, strict=True):
            rows.append(_figure_row(table, row.label, question, label, figure))
        if with_total:
            total = Figure(row.total, percent(row.total, row.total))
            rows.append(_figure_row(table, row.label, question, TOTAL_LABEL, total))
    return rows


def tidy_rows(report: Report) -> list[tuple[str, ...]]:
    """Every figure of ``report`` as a row of text (the header not included)."""
    rows: list[tuple[str, ...]] = []
    for table in report.respondents:
        rows.extend(_table_rows(table, table.title, with_total=False))
    for result in report.questions:
        several = len(result.question.items) > 1 or result.question.kind == "text"
        for table in result.tables:
            name = f"{result.question.title} – {table.title}" if several else table.title
            rows.extend(_table_rows(table, name, with_total=True))
        text = report.themes.get(result.question.id)
        if text is not None:
            rows.extend(_text_rows(result.question.title, text))
    return rows


def _text_rows(question: str, text: TextResult) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for theme in text.themes:
        name = as_text(f"{question} – {theme.label}")
        for kind, texts in (("key phrase", theme.key_phrases), ("quote", theme.quotes)):
            for value in texts:
                rows.append(
                    (as_text("Overall"), as_text(OVERALL_LABEL), name, as_text(value), "", "", kind)
                )
    return rows


def write_csv(report: Report) -> bytes:
    """The tidy CSV of ``report``, with a header row."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(tidy_rows(report))
    return buffer.getvalue().encode("utf-8-sig")
