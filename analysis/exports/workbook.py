"""The report as an XLSX workbook: a ``Notes`` sheet, a ``Respondents`` sheet and one
formatted sheet per question, each with a table per statement and breakdown.

Hidden values are the text ``c`` (right-aligned, like the numbers); percentages are stored
as fractions with a whole-percent format, so 45% is the cell value 0.45.
"""

from __future__ import annotations

import datetime as dt
import io
import re

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from analysis.report import (
    HIDDEN,
    MULTIPLE_NOTE,
    PERCENT_NOTE,
    RESPONDENTS_TITLE,
    QuestionResult,
    Report,
    Table,
    TextResult,
    text_status_message,
)

NOTES_SHEET = "Notes"
RESPONDENTS_SHEET = "Respondents"
COUNT_FORMAT = "#,##0"
PERCENT_FORMAT = "0%"
SHEET_NAME_MAX = 31

_TITLE = Font(bold=True, size=14)
_BOLD = Font(bold=True)
_RIGHT = Alignment(horizontal="right")
_WRAP = Alignment(wrap_text=True, vertical="top")
_RULE = Border(bottom=Side(style="thin"))


def write_workbook(report: Report) -> bytes:
    """The workbook for ``report``, as the bytes of an .xlsx file."""
    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = NOTES_SHEET
    names = _sheet_names(report)
    _notes_sheet(notes, report, names)
    respondents = book.create_sheet(RESPONDENTS_SHEET)
    _heading(respondents, f"{RESPONDENTS_TITLE}: {report.info.survey_title}", report)
    row = 4
    for table in report.respondents:
        row = _block(respondents, row, table.view_label, table, with_total=False)
    for result, name in zip(report.questions, names, strict=True):
        if not _has_sheet(result, report):
            continue
        sheet = book.create_sheet(name)
        _heading(sheet, result.question.title, report)
        row = 4
        several = len(result.question.items) > 1 or result.question.kind == "text"
        for table in result.tables:
            title = f"{table.title} – {table.view_label}" if several else table.view_label
            row = _block(sheet, row, title, table, with_total=True)
        text = report.themes.get(result.question.id)
        if text is not None:
            _text_block(sheet, row, text)
    book.properties.creator = "Candour"
    book.properties.title = f"{report.info.survey_title}: results"
    book.properties.created = dt.datetime.combine(report.info.as_at, dt.time())
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_names(report: Report) -> list[str]:
    """A short, valid sheet name per question ("1. How far do you…"), unique by its number."""
    names: list[str] = []
    for number, result in enumerate(report.questions, start=1):
        clean = re.sub(r"[\[\]:*?/\\']+", " ", result.question.title).strip()
        name = f"{number}. {clean}"
        names.append(name if len(name) <= SHEET_NAME_MAX else name[: SHEET_NAME_MAX - 1] + "…")
    return names


def _notes_sheet(sheet: Worksheet, report: Report, names: list[str]) -> None:
    info = report.info
    sheet["A1"] = f"{info.survey_title}: results"
    sheet["A1"].font = _TITLE
    rows: list[tuple[str, object]] = [
        ("What c means", report.footnote),
        ("Survey", info.survey_title),
        ("Results as at", _date(info.as_at)),
        ("Status", "Published" if info.status == "published" else "Draft, not published"),
        ("Responses", HIDDEN if report.responses is None else report.responses),
        ("Smallest group shown (k)", report.k),
        ("Smallest answer count shown (k_cell)", report.k_cell),
        ("Percentages", PERCENT_NOTE),
        ("Questions with more than one answer", MULTIPLE_NOTE),
    ]
    for offset, (key, value) in enumerate(rows, start=3):
        sheet.cell(row=offset, column=1, value=key).font = _BOLD
        cell = sheet.cell(row=offset, column=2, value=value)
        cell.alignment = _WRAP
        if isinstance(value, int):
            cell.number_format = COUNT_FORMAT
            cell.alignment = Alignment(horizontal="left")
    row = len(rows) + 4
    sheet.cell(row=row, column=1, value="Sheets").font = _BOLD
    listed = [(RESPONDENTS_SHEET, RESPONDENTS_TITLE)] + [
        (name, result.question.title)
        for name, result in zip(names, report.questions, strict=True)
        if _has_sheet(result, report)
    ]
    for offset, (name, title) in enumerate(listed, start=row + 1):
        sheet.cell(row=offset, column=1, value=name)
        sheet.cell(row=offset, column=2, value=title).alignment = _WRAP
    sheet.column_dimensions["A"].width = 38
    sheet.column_dimensions["B"].width = 90


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _heading(sheet: Worksheet, title: str, report: Report) -> None:
    sheet["A1"] = title
    sheet["A1"].font = _TITLE
    sheet["A2"] = f"{report.info.survey_title}, results as at {_date(report.info.as_at)}. " + (
        report.footnote
    )
    sheet.column_dimensions["A"].width = 42


def _has_sheet(result: QuestionResult, report: Report) -> bool:
    return bool(result.tables) or result.question.id in report.themes


def _text_block(sheet: Worksheet, row: int, text: TextResult) -> int:
    """Each theme's key phrases, tone figures and approved quotes, from ``row``."""
    if text.status != "ready":
        sheet.cell(row=row, column=1, value=text_status_message(text.status)).font = Font(
            italic=True
        )
        return row + 2
    sheet.cell(row=row, column=1, value=f"Themes found from {text.engine_label}").font = _BOLD
    row += 1
    for theme in text.themes:
        if theme.other:
            continue
        sheet.cell(row=row, column=1, value=theme.label).font = _BOLD
        row += 1
        if theme.key_phrases:
            sheet.cell(row=row, column=1, value="Key phrases")
            sheet.cell(row=row, column=2, value=", ".join(theme.key_phrases)).alignment = _WRAP
            row += 1
        for tone, figure in theme.tones:
            sheet.cell(row=row, column=1, value=f"Tone: {tone}")
            _put(sheet, row, 2, figure.count, COUNT_FORMAT)
            _put(sheet, row, 3, figure.percent, PERCENT_FORMAT)
            row += 1
        for quote in theme.quotes:
            sheet.cell(row=row, column=1, value="Quote")
            sheet.cell(row=row, column=2, value=f"“{quote}”").alignment = _WRAP
            row += 1
        row += 1
    return row


def _put(sheet: Worksheet, row: int, column: int, value: int | None, fmt: str) -> None:
    cell = sheet.cell(row=row, column=column)
    if value is None:
        cell.value = HIDDEN
        cell.alignment = _RIGHT
        return
    cell.value = value / 100 if fmt == PERCENT_FORMAT else value
    cell.number_format = fmt


def _block(sheet: Worksheet, row: int, title: str, table: Table, *, with_total: bool) -> int:
    """Write one table from ``row``; returns the first free row after it."""
    sheet.cell(row=row, column=1, value=title).font = _BOLD
    if not table.rows:  # published overall only: its note says why
        for offset, note in enumerate(table.notes, start=row + 1):
            sheet.cell(row=offset, column=1, value=note).font = Font(italic=True)
        return row + len(table.notes) + 2
    header = ["Group"]
    if with_total:
        header.append("Total")
    for label in table.column_labels:
        header += [label, f"{label} (%)"]
    for column, text in enumerate(header, start=1):
        cell = sheet.cell(row=row + 1, column=column, value=text)
        cell.font = _BOLD
        cell.border = _RULE
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")
        if column > 1:
            sheet.column_dimensions[get_column_letter(column)].width = 16
    for offset, line in enumerate(table.rows, start=row + 2):
        sheet.cell(row=offset, column=1, value=line.label).font = (
            _BOLD if line.kind == "overall" else Font()
        )
        column = 2
        if with_total:
            _put(sheet, offset, column, line.total, COUNT_FORMAT)
            column += 1
        for figure in line.figures:
            _put(sheet, offset, column, figure.count, COUNT_FORMAT)
            _put(sheet, offset, column + 1, figure.percent, PERCENT_FORMAT)
            column += 2
    after = row + 2 + len(table.rows)
    for note in table.notes:
        sheet.cell(row=after, column=1, value=note).font = Font(italic=True)
        after += 1
    return after + 1
