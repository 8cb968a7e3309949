"""Text typed by people never becomes a formula in a download: every text cell of every sheet
of the workbook is a string cell, and text that starts like a formula gets the same leading
apostrophe in the workbook as in the CSV."""

from __future__ import annotations

import dataclasses
import io

import pytest
from openpyxl import load_workbook

from analysis.exports import tidy_rows, write_workbook
from analysis.exports.cells import as_text, xlsx_text
from analysis.report import Report, TextResult, ThemeResult

from .report_data import protected_report

LINK = '=HYPERLINK("http://attacker.example/","Open")'
HOSTILE = [
    LINK,
    "+1+2",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_starts_get_an_apostrophe(text: str) -> None:
    assert as_text(text) == "'" + text
    assert as_text(as_text(text)) == as_text(text)  # once is enough


@pytest.mark.parametrize("text", ["Staff survey", "'quoted'", "#N/A", "1+1", " =1"])
def test_other_text_is_unchanged(text: str) -> None:
    assert as_text(text) == text


def test_xlsx_text_drops_what_an_xlsx_file_cannot_hold() -> None:
    assert xlsx_text("Staff\x00 survey\x1b") == "Staff survey"
    assert xlsx_text("\x01=1+1") == "'=1+1"  # removed first, so the formula is still caught
    assert xlsx_text("line\nbreak\ttab") == "line\nbreak\ttab"


def hostile_report() -> Report:
    """A report whose survey title and theme names are formulas (or read like an error
    value, or hold characters an XLSX file cannot), with formula-like phrases and quotes."""
    _release, report = protected_report()
    info = dataclasses.replace(report.info, survey_title=LINK)
    themes = (
        ThemeResult(LINK, ("=1+1", "@SUM(A1)"), 12, 40, ("-2+3 is what they said",)),
        ThemeResult("#N/A", ("+44 20 7946 0000",), 10, 33, ()),
        ThemeResult("Work\x07load", ("caseload",), 8, 27, ("=cmd|' /C calc'!A0",)),
    )
    text = TextResult("comments", "ready", "lexical", 30, themes, False, method="=METHOD()")
    return dataclasses.replace(report, info=info, themes={"comments": text})


def test_the_workbook_holds_no_formula_in_any_sheet() -> None:
    book = load_workbook(io.BytesIO(write_workbook(hostile_report())))
    texts: list[str] = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"a formula in {sheet.title}!{cell.coordinate}"
                assert cell.data_type != "e", f"an error value in {sheet.title}!{cell.coordinate}"
                if isinstance(cell.value, str):
                    assert cell.data_type == "s"
                    assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
                    texts.append(cell.value)
    assert len(book.worksheets) > 1
    notes, overall = book.worksheets[0], book.worksheets[1]
    assert notes["A1"].value == f"'{LINK}: results"
    assert f"'{LINK}" in texts  # the survey row of the notes, and a theme's name
    assert "#N/A" in texts  # as text, not Excel's error value
    assert "Workload" in texts  # the bell character left out
    assert overall["A2"].value.startswith(f"'{LINK}, results as at")
    assert "“=cmd|' /C calc'!A0”" in texts  # quotes are in quotation marks already
    assert book.properties.title == f"'{LINK}: results"  # like the notes' first cell


def test_the_csv_and_the_workbook_write_formula_like_names_the_same_way() -> None:
    report = hostile_report()
    csv_texts = {value for row in tidy_rows(report) for value in row}
    book = load_workbook(io.BytesIO(write_workbook(report)))
    book_texts = {
        cell.value
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    }
    assert "'=1+1" in csv_texts  # a key phrase
    assert "'=1+1, @SUM(A1)" in book_texts  # a cell starts with the first phrase
    assert "'-2+3 is what they said" in csv_texts
