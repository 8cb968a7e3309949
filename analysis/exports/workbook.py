"""The report as an XLSX workbook: a ``Notes`` sheet, then one sheet per view the reader
chose ("Overall", "By council", "By council and ethnic group"), each holding the respondent
counts and every question's tables for that view, question by question and statement by
statement. Free-text questions add their themes' key phrases and approved quotes to the
"Overall" sheet.

Sheet names are unique (ignoring case), at most 31 characters and free of the characters a
sheet name cannot hold (see :func:`sheet_names`). Hidden values are the text ``c``
(right-aligned, like the numbers); percentages are stored as fractions with a whole-percent
format, so 45% is the cell value 0.45.

Every text cell is a string cell, in every sheet: a title, theme name or quote that starts
like a formula (``=HYPERLINK(…)``) or reads like an error value (``#N/A``) is written as text,
with the same leading apostrophe as in the CSV (:mod:`analysis.exports.cells`). Every value
goes through :func:`_write`, and :func:`_only_text` checks the whole book before it is saved.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from analysis.exports.cells import xlsx_text
from analysis.report import (
    COMMENTED_NOTE,
    HIDDEN,
    HIDDEN_NOTE,
    MULTIPLE_NOTE,
    PERCENT_NOTE,
    Report,
    Table,
    TextResult,
    View,
    text_status_message,
)

NOTES_SHEET = "Notes"
COUNT_FORMAT = "#,##0"
PERCENT_FORMAT = "0%"
SHEET_NAME_MAX = 31
# Excel keeps this name for itself.
_RESERVED = {"history"}
_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]+")

_TITLE = Font(bold=True, size=14)
_QUESTION = Font(bold=True, size=12)
_BOLD = Font(bold=True)
_ITALIC = Font(italic=True)
_RIGHT = Alignment(horizontal="right")
_WRAP = Alignment(wrap_text=True, vertical="top")
_RULE = Border(bottom=Side(style="thin"))


def write_workbook(report: Report) -> bytes:
    """The workbook for ``report``, as the bytes of an .xlsx file."""
    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = NOTES_SHEET
    labels = [report.labels.view(view) for view in report.views]
    names = sheet_names(labels, taken=(NOTES_SHEET,))
    _notes_sheet(notes, report, list(zip(names, report.views, strict=True)))
    for view, name in zip(report.views, names, strict=True):
        _view_sheet(book.create_sheet(name), report, view)
    _only_text(book)
    book.properties.creator = "Candour"
    book.properties.title = xlsx_text(f"{report.info.survey_title}: results")
    book.properties.created = dt.datetime.combine(report.info.as_at, dt.time())
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write(sheet: Worksheet, row: int, column: int, value: object) -> Cell:
    """Put ``value`` in a cell: text always as a string cell (see the module's notes)."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = xlsx_text(value)
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


def _only_text(book: Workbook) -> None:
    """Make sure no cell of ``book`` holds a formula or an error value: text is text."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.data_type != "s":
                    _write(sheet, cell.row, cell.column, cell.value)


def sheet_names(titles: Sequence[str], taken: Sequence[str] = ()) -> list[str]:
    """A valid, readable sheet name per title: the characters a sheet name cannot hold
    (``[ ] : * ? / \\``) become spaces, no apostrophe at either end, at most 31 characters
    (cut at a word with "…"), never blank, never Excel's own "History", and unique ignoring
    case, also against ``taken`` (a repeat gets " (2)", " (3)"…)."""
    used = {name.casefold() for name in taken}
    names: list[str] = []
    for title in titles:
        clean = " ".join(_FORBIDDEN.sub(" ", title).split()).strip("'").strip() or "Sheet"
        if clean.casefold() in _RESERVED:
            clean = f"{clean} (sheet)"
        name = _shorten(clean, SHEET_NAME_MAX)
        number = 2
        while name.casefold() in used:
            suffix = f" ({number})"
            name = _shorten(clean, SHEET_NAME_MAX - len(suffix)) + suffix
            number += 1
        used.add(name.casefold())
        names.append(name)
    return names


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if text[limit - 1] != " " and " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]  # whole words only
    return cut.rstrip(" ,;–-'") + "…"


def _notes_sheet(sheet: Worksheet, report: Report, sheets: list[tuple[str, View]]) -> None:
    info = report.info
    _write(sheet, 1, 1, f"{info.survey_title}: results").font = _TITLE
    rows: list[tuple[str, object]] = [
        ("What c means", report.footnote),
        ("Survey", info.survey_title),
        ("Results as at", _date(info.as_at)),
        ("Status", "Published" if info.status == "published" else "Draft, not published"),
        ("Responses", HIDDEN if report.responses is None else report.responses),
        ("Smallest group shown (k)", report.k),
        ("Smallest answer count shown (k_cell)", report.k_cell),
        ("Percentages", PERCENT_NOTE),
        ("Themes and codes of comments", COMMENTED_NOTE),
        ("Questions with more than one answer", MULTIPLE_NOTE),
    ]
    for offset, (key, value) in enumerate(rows, start=3):
        _write(sheet, offset, 1, key).font = _BOLD
        cell = _write(sheet, offset, 2, value)
        cell.alignment = _WRAP
        if isinstance(value, int):
            cell.number_format = COUNT_FORMAT
            cell.alignment = Alignment(horizontal="left")
    row = len(rows) + 4
    _write(sheet, row, 1, "Sheets").font = _BOLD
    for offset, (name, view) in enumerate(sheets, start=row + 1):
        holds = report.labels.by(view) if view else "for everyone"
        _write(sheet, offset, 1, name)
        _write(sheet, offset, 2, f"Every question {holds}").alignment = _WRAP
    row += len(sheets) + 2
    _write(sheet, row, 1, "Questions").font = _BOLD
    for offset, result in enumerate(report.questions, start=row + 1):
        _write(sheet, offset, 1, f"{offset - row}. {result.question.title}")
        if result.question.text:
            _write(sheet, offset, 2, result.question.text).alignment = _WRAP
    sheet.column_dimensions["A"].width = 48
    sheet.column_dimensions["B"].width = 90


def _view_sheet(sheet: Worksheet, report: Report, view: View) -> None:
    """Every table of ``view``: respondents first, then question by question."""
    tables = [t for t in report.respondents if t.view == view]
    for result in report.questions:
        tables += [t for t in result.tables if t.view == view]
    title = f"Results {report.labels.by(view)}" if view else "Results for everyone"
    _heading(sheet, title, report, hidden=any(t.has_hidden for t in tables))
    row = 4
    for table in report.respondents:
        if table.view == view:
            row = _block(sheet, row, table.title, table, with_total=False)
    for number, result in enumerate(report.questions, start=1):
        question = result.question
        mine = [t for t in result.tables if t.view == view]
        text = report.themes.get(question.id) if not view else None
        if not mine and text is None:
            continue
        _write(sheet, row, 1, f"{number}. {question.title}").font = _QUESTION
        row += 1
        if question.text:
            _write(sheet, row, 1, question.text).font = _ITALIC
            row += 1
        row += 1
        several = len(question.items) > 1 or question.kind == "text"
        for table in mine:
            row = _block(sheet, row, table.title if several else None, table, with_total=True)
        if text is not None:
            row = _text_block(sheet, row, text)


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _heading(sheet: Worksheet, title: str, report: Report, *, hidden: bool) -> None:
    _write(sheet, 1, 1, title).font = _TITLE
    about = f"{report.info.survey_title}, results as at {_date(report.info.as_at)}."
    if hidden:
        about += f" {HIDDEN_NOTE}; see the Notes sheet for how figures are protected."
    _write(sheet, 2, 1, about)
    sheet.column_dimensions["A"].width = 42


def _text_block(sheet: Worksheet, row: int, text: TextResult) -> int:
    """Each theme's key phrases and approved quotes, from ``row``."""
    if text.status != "ready":
        _write(sheet, row, 1, text_status_message(text.status)).font = Font(italic=True)
        return row + 2
    _write(sheet, row, 1, text.method).font = _BOLD
    row += 1
    for theme in text.themes:
        if theme.other:
            continue
        _write(sheet, row, 1, theme.label).font = _BOLD
        row += 1
        if theme.key_phrases:
            _write(sheet, row, 1, "Key phrases")
            _write(sheet, row, 2, ", ".join(theme.key_phrases)).alignment = _WRAP
            row += 1
        for quote in theme.quotes:
            _write(sheet, row, 1, "Quote")
            _write(sheet, row, 2, f"“{quote}”").alignment = _WRAP
            row += 1
        row += 1
    return row


def _put(sheet: Worksheet, row: int, column: int, value: int | None, fmt: str) -> None:
    if value is None:
        _write(sheet, row, column, HIDDEN).alignment = _RIGHT
        return
    cell = _write(sheet, row, column, value / 100 if fmt == PERCENT_FORMAT else value)
    cell.number_format = fmt


def _block(sheet: Worksheet, row: int, title: str | None, table: Table, *, with_total: bool) -> int:
    """Write one table from ``row`` (under ``title``, if any); returns the first free row
    after it."""
    if title:
        _write(sheet, row, 1, title).font = _BOLD
        row += 1
    if not table.rows:  # not published: its note says why
        for offset, note in enumerate(table.notes, start=row):
            _write(sheet, offset, 1, note).font = _ITALIC
        return row + len(table.notes) + 1
    header = ["Group"]
    if with_total:
        header.append("Total")
    for label in table.column_labels:
        header += [label, f"{label} (%)"]
    for column, text in enumerate(header, start=1):
        cell = _write(sheet, row, column, text)
        cell.font = _BOLD
        cell.border = _RULE
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")
        if column > 1:
            sheet.column_dimensions[get_column_letter(column)].width = 16
    for offset, line in enumerate(table.rows, start=row + 1):
        _write(sheet, offset, 1, line.label).font = _BOLD if line.kind == "overall" else Font()
        column = 2
        if with_total:
            _put(sheet, offset, column, line.total, COUNT_FORMAT)
            column += 1
        for figure in line.figures:
            _put(sheet, offset, column, figure.count, COUNT_FORMAT)
            _put(sheet, offset, column + 1, figure.percent, PERCENT_FORMAT)
            column += 2
    after = row + 1 + len(table.rows)
    for note in table.notes:
        _write(sheet, after, 1, note).font = _ITALIC
        after += 1
    return after + 1
