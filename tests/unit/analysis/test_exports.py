"""CSV and XLSX exports: every value is the release's own, ``c`` is the only marker, only the
views the reader chose and the release publishes are in them, and nothing about a
respondent is."""

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
from analysis.exports.workbook import SHEET_NAME_MAX, sheet_names
from analysis.report import HIDDEN, Report, Table, build_report, percent, published_views

from .report_data import (
    INFO,
    QUESTIONS,
    SITE,
    TEAM,
    TWO_WAY_QUESTIONS,
    hand_labels,
    hand_release,
    protected_report,
    two_way_labels,
    two_way_release,
)

NUMBER = re.compile(r"^(c|[0-9]+)$")
OTHER_MARKERS = re.compile(r"<\s*[0-9]|\*|\.\.|≤|n/a|\[c\]|suppressed", re.I)
FORBIDDEN_IN_SHEET_NAMES = set("[]:*?/\\")


@pytest.fixture(scope="module")
def made() -> tuple[ProtectedRelease, Report]:
    return protected_report()


@pytest.fixture(scope="module")
def two_way() -> tuple[ProtectedRelease, Report]:
    release = two_way_release()
    every = [(), (TEAM,), (SITE,), (TEAM, SITE)]  # site is asked for but not published
    return release, build_report(release, every, TWO_WAY_QUESTIONS, two_way_labels(), INFO)


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


@pytest.mark.parametrize("which", ["made", "two_way"])
def test_every_csv_value_is_the_releases_own(which: str, request: pytest.FixtureRequest) -> None:
    release, report = request.getfixturevalue(which)
    rows = read_csv(report)
    figures = [r for r in rows if r["status"] in ("shown", "hidden")]
    expected = expected_cells(release, report)
    found = {(r["view"], r["group"], r["question"], r["option"]): r for r in figures}
    assert len(found) == len(figures), "one row per figure"
    assert set(found) == set(expected)
    for key, (count, share) in expected.items():
        row = found[key]
        assert row["count"] == text_of(count), key
        assert row["percent"] == text_of(share), key
        assert row["status"] == ("hidden" if count is None else "shown"), key
    assert {r["status"] for r in figures} == {"hidden", "shown"}


def test_the_csv_has_the_chosen_views_only_told_apart_by_the_view_column(
    two_way: tuple[ProtectedRelease, Report],
) -> None:
    _release, report = two_way
    rows = read_csv(report)
    assert {r["view"] for r in rows} == {"Overall", "By team", "By team and site"}
    assert not any("site" in r["view"].lower() and "team" not in r["view"].lower() for r in rows)
    assert not any(r["group"] in ("X", "Y") for r in rows), "by site alone is never exported"
    # A table the release does not publish is one row with its sentence.
    notes = [r for r in rows if r["status"] == "note"]
    assert [(r["view"], r["question"], r["option"]) for r in notes] == [
        (
            "By team",
            "When did it happen?",
            "There are too few responses to show this question by team.",
        ),
        (
            "By team and site",
            "When did it happen?",
            "There are too few responses to show this question by team and site.",
        ),
    ]
    assert all(r["count"] == r["percent"] == "" for r in notes)
    everyone = build_report(two_way_release(), [()], TWO_WAY_QUESTIONS, two_way_labels(), INFO)
    assert {r["view"] for r in read_csv(everyone)} == {"Overall"}


def test_c_is_the_only_marker_in_the_csv(made: tuple[ProtectedRelease, Report]) -> None:
    _release, report = made
    rows = read_csv(report)
    for row in rows:
        if row["status"] == "note":
            continue
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


def test_there_is_one_sheet_per_chosen_view(two_way: tuple[ProtectedRelease, Report]) -> None:
    _release, report = two_way
    book = load_workbook(io.BytesIO(write_workbook(report)))
    assert book.sheetnames == ["Notes", "Overall", "By team", "By team and site"]
    notes = [row for row in book["Notes"].iter_rows(values_only=True) if row[0]]
    listed = {row[0]: row[1] for row in notes if row[0] in book.sheetnames}
    assert listed == {
        "Overall": "Every question for everyone",
        "By team": "Every question by team",
        "By team and site": "Every question by team and site",
    }
    by_team = book["By team"]
    assert by_team["A1"].value == "Results by team"
    texts = [str(c) for row in by_team.iter_rows(values_only=True) for c in row if c]
    assert "There are too few responses to show this question by team." in texts
    assert "2. When did it happen?" in texts


def test_every_workbook_value_is_the_releases_own(made: tuple[ProtectedRelease, Report]) -> None:
    release, report = made
    book = load_workbook(io.BytesIO(write_workbook(report)))
    views = published_views(release)
    assert book.sheetnames == ["Notes"] + [report.labels.view(v) for v in views]
    checked = 0
    for view, sheet_name in zip(views, book.sheetnames[1:], strict=True):
        sheet = book[sheet_name]
        assert sheet["A1"].font.bold
        blocks = sheet_blocks(sheet)
        tables = [t for t in report.respondents if t.view == view]
        tables += [t for r in report.questions for t in r.tables if t.view == view]
        tables = [t for t in tables if t.published]
        assert len(blocks) == len(tables)
        for block, table in zip(blocks, tables, strict=True):
            assert [line[0] for line in block] == [row.label for row in table.rows]
            if table.item is None:
                continue
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
            if not header or row[0].value is None:
                header = () if row[0].value is None else header
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


def test_sheets_that_hide_figures_say_what_c_means(made: tuple[ProtectedRelease, Report]) -> None:
    _release, report = made
    book = load_workbook(io.BytesIO(write_workbook(report)))
    for sheet in book.worksheets[1:]:
        about = str(sheet["A2"].value)
        has_c = any(
            cell == HIDDEN for row in sheet.iter_rows(min_row=4, values_only=True) for cell in row
        )
        assert about.startswith("Staff survey 2026, results as at 4 May 2026.")
        assert ("c: hidden to protect small groups" in about) is has_c, sheet.title


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
    assert "wrote a comment" in notes["Themes and codes of comments"]
    assert "3. What would help?" in notes and "2. How far do you agree?" in notes


@pytest.mark.parametrize(
    ("titles", "expected"),
    [
        (["Overall", "By council"], ["Overall", "By council"]),
        (["Notes"], ["Notes (2)"]),  # the notes sheet is taken
        (["overall", "Overall", "OVERALL"], ["overall", "Overall (2)", "OVERALL (3)"]),
        (["By: council/ward [new]?*"], ["By council ward new"]),
        (["'quoted'"], ["quoted"]),
        (["History"], ["History (sheet)"]),
        (["", "   "], ["Sheet", "Sheet (2)"]),
        (
            [
                "By ethnic group and role group and gender",
                "By ethnic group and role group and years",
            ],
            ["By ethnic group and role group…", "By ethnic group and role… (2)"],
        ),
    ],
)
def test_sheet_names_are_valid_unique_and_readable(titles: list[str], expected: list[str]) -> None:
    names = sheet_names(titles, taken=("Notes",))
    assert names == expected
    assert len({n.casefold() for n in names} | {"notes"}) == len(names) + 1
    for name in names:
        assert 0 < len(name) <= SHEET_NAME_MAX
        assert not FORBIDDEN_IN_SHEET_NAMES & set(name)
        assert not name.startswith("'") and not name.endswith("'")


def test_long_view_names_make_a_workbook_excel_opens(
    two_way: tuple[ProtectedRelease, Report],
) -> None:
    _release, report = two_way
    long = report.labels.__class__(
        breakdowns={TEAM: "Team or service area: [east/west]", SITE: "Site or office location"},
        groups=report.labels.groups,
        items=report.labels.items,
        options=report.labels.options,
    )
    renamed = build_report(two_way_release(), report.views, TWO_WAY_QUESTIONS, long, INFO)
    book = load_workbook(io.BytesIO(write_workbook(renamed)))
    assert book.sheetnames[0] == "Notes"
    assert len(book.sheetnames) == 4
    assert len({n.casefold() for n in book.sheetnames}) == 4
    for name in book.sheetnames:
        assert len(name) <= SHEET_NAME_MAX and not FORBIDDEN_IN_SHEET_NAMES & set(name)


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
