"""CSV and XLSX exports: every value is the release's own, ``c`` is the only marker, and
nothing about a respondent is in them."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from analysis.disclosure import ProtectedRelease
from analysis.exports import COLUMNS, tidy_rows, write_csv, write_workbook
from analysis.report import HIDDEN, Report, Table, build_report, percent

from .report_data import INFO, QUESTIONS, VIEWS, hand_labels, hand_release, protected_report

NUMBER = re.compile(r"^(c|[0-9]+)$")
OTHER_MARKERS = re.compile(r"<\s*[0-9]|\*|\.\.|≤|n/a|\[c\]|suppressed", re.I)


@pytest.fixture(scope="module")
def made() -> tuple[ProtectedRelease, Report]:
    return protected_report()


def read_csv(report: Report) -> list[dict[str, str]]:
    text = write_csv(report).decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


def question_name(report: Report, table: Table) -> str:
    for result in report.questions:
        if table in result.tables:
            several = len(result.question.items) > 1
            return f"{result.question.title} – {table.title}" if several else table.title
    return table.title


def expected_cells(release: ProtectedRelease, report: Report) -> dict[tuple[str, ...], tuple]:
    """(view, group, question, option) → (count, percent) straight from the release."""
    cells: dict[tuple[str, ...], tuple] = {}
    for table in report.respondents:
        for row in table.rows:
            size = release.size(row.population)
            key = (table.view_label, row.label, table.title, "Respondents")
            cells[key] = (size, percent(size, release.size(())))
    for result in report.questions:
        for table in result.tables:
            assert table.item is not None
            name = question_name(report, table)
            for row in table.rows:
                total = release.size(row.population)
                for code, label in zip(table.column_codes, table.column_labels, strict=True):
                    value = release.value(table.item, row.population, code)
                    cells[(table.view_label, row.label, name, label)] = (
                        value,
                        percent(value, total),
                    )
                cells[(table.view_label, row.label, name, "Total")] = (
                    total,
                    percent(total, total),
                )
    return cells


def text_of(value: int | None) -> str:
    return HIDDEN if value is None else str(value)


def test_every_csv_value_is_the_releases_own(made: tuple[ProtectedRelease, Report]) -> None:
    release, report = made
    rows = read_csv(report)
    expected = expected_cells(release, report)
    found = {(r["view"], r["group"], r["question"], r["option"]): r for r in rows}
    assert len(found) == len(rows), "one row per figure"
    assert set(found) == set(expected)
    for key, (count, share) in expected.items():
        row = found[key]
        assert row["count"] == text_of(count), key
        assert row["percent"] == text_of(share), key
        assert row["status"] == ("hidden" if count is None else "shown"), key
    statuses = {r["status"] for r in rows}
    assert statuses == {"hidden", "shown"}


def test_c_is_the_only_marker_in_the_csv(made: tuple[ProtectedRelease, Report]) -> None:
    _release, report = made
    rows = read_csv(report)
    for row in rows:
        assert NUMBER.match(row["count"]), row
        assert NUMBER.match(row["percent"]), row
        if row["status"] == "hidden":
            assert row["count"] == row["percent"] == "c"
    text = write_csv(report).decode("utf-8-sig")
    assert not OTHER_MARKERS.search(text)


def test_csv_text_cannot_start_a_formula() -> None:
    release = hand_release()
    questions = [QUESTIONS[0].__class__("multiple", "What would help?", "counts", ("multiple",))]
    report = build_report(release, [()], questions, hand_labels(), INFO)
    options = {row[3] for row in tidy_rows(report)}
    assert "'=Flexible hours" in options and "=Flexible hours" not in options


def sheet_blocks(sheet: Worksheet) -> list[list[tuple[object, ...]]]:
    """The tables of a sheet: from each "Group" header row to the next empty first cell."""
    rows = list(sheet.iter_rows(values_only=True))
    blocks: list[list[tuple[object, ...]]] = []
    for index, row in enumerate(rows):
        if row[0] == "Group":
            block = []
            for line in rows[index + 1 :]:
                if line[0] is None or str(line[0]).startswith("People could"):
                    break
                block.append(line)
            blocks.append(block)
    return blocks


def test_every_workbook_value_is_the_releases_own(made: tuple[ProtectedRelease, Report]) -> None:
    release, report = made
    book = load_workbook(io.BytesIO(write_workbook(report)))
    counted = [r for r in report.questions if r.question.kind == "counts"]
    assert book.sheetnames[:2] == ["Notes", "Respondents"]
    assert len(book.sheetnames) == 2 + len(counted)
    checked = 0
    for sheet_name, result in zip(book.sheetnames[2:], counted, strict=True):
        sheet = book[sheet_name]
        assert sheet["A1"].value == result.question.title
        assert sheet["A1"].font.bold
        blocks = sheet_blocks(sheet)
        assert len(blocks) == len(result.tables)
        for block, table in zip(blocks, result.tables, strict=True):
            assert [line[0] for line in block] == [row.label for row in table.rows]
            assert table.item is not None
            for line, row in zip(block, table.rows, strict=True):
                total = release.size(row.population)
                assert line[1] == (HIDDEN if total is None else total)
                for index, code in enumerate(table.column_codes):
                    value = release.value(table.item, row.population, code)
                    count, share = line[2 + 2 * index], line[3 + 2 * index]
                    assert count == (HIDDEN if value is None else value)
                    expected = percent(value, total)
                    if expected is None:
                        assert share == HIDDEN
                    else:
                        assert isinstance(share, float | int)
                        assert round(share * 100) == expected
                    checked += 1
    assert checked > 100


def test_workbook_formats_hidden_values_and_percentages(
    made: tuple[ProtectedRelease, Report],
) -> None:
    _release, report = made
    book = load_workbook(io.BytesIO(write_workbook(report)))
    texts: set[str] = set()
    percents = 0
    for sheet in book.worksheets[1:]:
        header: tuple[object, ...] = ()
        for row in sheet.iter_rows(min_row=4):
            if row[0].value == "Group":
                header = tuple(cell.value for cell in row)
                continue
            for cell in row[1:]:
                assert cell.data_type != "f", f"a formula in {sheet.title}!{cell.coordinate}"
                if cell.value is None:
                    continue
                if isinstance(cell.value, str):
                    texts.add(cell.value)
                    assert cell.alignment.horizontal == "right"
                elif str(header[cell.column - 1]).endswith("(%)"):
                    assert cell.number_format == "0%"
                    percents += 1
                else:
                    assert cell.number_format == "#,##0"
    assert texts == {HIDDEN}, "c is the only text among the figures"
    assert percents > 50


def test_the_notes_sheet_explains_c_and_the_parameters(
    made: tuple[ProtectedRelease, Report],
) -> None:
    _release, report = made
    book = load_workbook(io.BytesIO(write_workbook(report)))
    notes = {
        str(row[0]): row[1]
        for row in book["Notes"].iter_rows(min_row=2, values_only=True)
        if row[0] is not None
    }
    assert notes["What c means"] == report.footnote
    assert notes["Survey"] == "Staff survey 2026"
    assert notes["Results as at"] == "4 May 2026"
    assert notes["Smallest group shown (k)"] == 5
    assert notes["Smallest answer count shown (k_cell)"] == 3
    assert notes["Responses"] == 60
    assert notes["Status"] == "Published"
    titles = [row[1] for row in book["Notes"].iter_rows(values_only=True)]
    assert "What would help?" in titles and "Anything else?" not in titles


def test_exports_hold_nothing_but_labels_and_published_numbers(
    made: tuple[ProtectedRelease, Report],
) -> None:
    """No ids or dates: the only date is the release's "as at" date."""
    _release, report = made
    text = write_csv(report).decode("utf-8-sig")
    assert not re.search(r"[0-9a-f]{16,}", text)
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}", text)
    with zipfile.ZipFile(io.BytesIO(write_workbook(report))) as archive:
        for name in archive.namelist():
            if name == "docProps/core.xml":
                continue  # the file's own creation time, written by openpyxl
            body = archive.read(name).decode("utf-8")
            assert not re.search(r"\d{4}-\d{2}-\d{2}", body), name


def test_free_text_questions_are_not_exported(made: tuple[ProtectedRelease, Report]) -> None:
    _release, report = made
    assert all(row[2] != "Anything else?" for row in tidy_rows(report))
    assert all(r.question.kind == "counts" or not r.tables for r in report.questions)
    assert len(VIEWS) == len(report.respondents)
