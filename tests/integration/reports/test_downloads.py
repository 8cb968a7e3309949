"""Downloads from the report page and from ``flask report export``: made from the release
only, audited, never cached, and with no trace of a response."""

from __future__ import annotations

import csv
import io
import re
import stat
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from openpyxl import load_workbook

from analysis.report import percent, published_views, view_key
from tests.helpers.pages import check_page
from tests.integration.reports.support import (
    HTML_LABEL,
    SLUG,
    SUBMITTED_ON,
    Built,
    check_figure_table,
    check_respondent_table,
    closed_survey,
    publish,
    release_of,
    staff_member,
)
from tests.integration.staff.support import events

DOWNLOAD = f"/staff/surveys/{SLUG}/report/download"
TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html",
}


def date_forms(day) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        day.isoformat(),
        day.strftime("%d/%m/%Y"),
        day.strftime("%-d %B %Y"),
        day.strftime("%d %B %Y"),
        day.strftime("%Y%m%d"),
    ]


def texts_of(content: bytes, file_format: str) -> list[str]:
    """Everything a file says: the text of a CSV or HTML file, each part of an XLSX file."""
    if file_format != "xlsx":
        return [content.decode("utf-8-sig")]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return [archive.read(name).decode("utf-8") for name in archive.namelist()]


def assert_no_trace_of_responses(content: bytes, file_format: str, built: Built) -> None:
    for text in texts_of(content, file_format):
        for response_id in built.response_ids:
            assert response_id not in text
        for form in date_forms(SUBMITTED_ON):
            assert form not in text
        assert "Comment number" not in text


@pytest.mark.parametrize("file_format", ["csv", "xlsx", "html"])
def test_web_downloads_are_files_that_are_never_cached(
    sample_app: Flask, built: Built, file_format: str
) -> None:
    client, staff = staff_member(sample_app, "analyst", assigned_to=SLUG)
    response = client.get(f"{DOWNLOAD}/{file_format}")
    assert response.status_code == 200
    assert response.mimetype == TYPES[file_format]
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=report-survey-report-")
    assert disposition.endswith(f".{file_format}")
    assert_no_trace_of_responses(response.get_data(), file_format, built)
    assert [(e.actor, e.survey_slug) for e in events(sample_app, "export")] == [(staff.email, SLUG)]
    assert events(sample_app, "export")[0].detail.startswith(f"report {file_format}, release ")


def test_web_downloads_show_the_downloads_on_the_overview(sample_app: Flask, built: Built) -> None:
    client, _staff = staff_member(sample_app, "admin")
    page = BeautifulSoup(
        client.get(f"/staff/surveys/{SLUG}/report").get_data(as_text=True), "html.parser"
    )
    links = [a["href"] for a in page.select("#downloads a")]
    codebook = f"/staff/surveys/{SLUG}/report/codebook.yaml"
    assert links == [DOWNLOAD, codebook]
    response = client.get(codebook)
    assert response.status_code == 200 and response.mimetype == "application/yaml"
    assert client.get(f"{DOWNLOAD}/pdf").status_code == 404
    assert client.get(f"{DOWNLOAD}/CSV").status_code == 404
    assert client.get(f"{DOWNLOAD}?format=pdf").status_code == 404
    assert events(sample_app, "export") == []


def test_the_download_page_offers_the_published_breakdowns(sample_app: Flask, built: Built) -> None:
    client, _staff = staff_member(sample_app, "admin")
    page = check_page(client.get(DOWNLOAD))
    assert page.h1 == "Download the results"
    form = page.one("#download-form")
    assert form["method"] == "get" and form["action"] == DOWNLOAD
    assert [(i["name"], i["value"]) for i in form.select("input[type=hidden]")] == [
        ("view", "overall")
    ]
    boxes = form.select("input[type=checkbox][name=view]")
    published = [view_key(v) for v in published_views(release_of(sample_app).protected)]
    assert [b["value"] for b in boxes] == published[1:]
    ticked = [b["value"] for b in boxes if b.has_attr("checked")]
    assert ticked == [v for v in published[1:] if "+" not in v]
    labels = [page.one(f"label[for={b['id']}]").get_text(strip=True) for b in boxes]
    assert labels[0] == "By council"
    buttons = [(b["name"], b["value"], b.get_text(strip=True)) for b in form.select("button")]
    assert buttons == [
        ("format", "html", "Download printable report"),
        ("format", "csv", "Download CSV"),
        ("format", "xlsx", "Download spreadsheet"),
    ]
    assert events(sample_app, "export") == []


def test_the_download_page_sends_the_views_that_were_ticked(
    sample_app: Flask, built: Built
) -> None:
    client, staff = staff_member(sample_app, "admin")
    # As the form sends it: everyone (hidden), one ticked box, the button pressed.
    response = client.get(f"{DOWNLOAD}?view=overall&view=council&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert {r["view"] for r in rows} == {"Overall", "By council"}
    # Nothing ticked: everyone only.
    response = client.get(f"{DOWNLOAD}?view=overall&format=xlsx")
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames == ["Notes", "Overall"]
    # No choice at all (an old link): everyone and each one-way breakdown.
    rows = list(
        csv.DictReader(io.StringIO(client.get(f"{DOWNLOAD}/csv").get_data().decode("utf-8-sig")))
    )
    one_way = [v for v in published_views(release_of(sample_app).protected) if len(v) == 1]
    labels = {"council": "By council", "ethnic_group": "By ethnic group"}
    assert {r["view"] for r in rows} == {"Overall", *(labels[v[0]] for v in one_way)}
    details = [e.detail for e in reversed(events(sample_app, "export"))]
    assert details[0].endswith("views overall, council")
    assert details[1].endswith("views overall")
    assert all(e.actor == staff.email for e in events(sample_app, "export"))
    # A view that is not a published breakdown is "Page not found", and nothing is sent.
    for crafted in ("religion", "ethnic_group+council", "council+council", "x" * 500):
        assert client.get(f"{DOWNLOAD}?view={crafted}&format=csv").status_code == 404
        assert client.get(f"{DOWNLOAD}/html?view={crafted}").status_code == 404
    assert len(events(sample_app, "export")) == 3


def test_the_downloaded_csv_is_the_release(sample_app: Flask, built: Built) -> None:
    client, _staff = staff_member(sample_app, "admin")
    content = client.get(f"{DOWNLOAD}/csv").get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content, newline="")))
    release = release_of(sample_app).protected
    everyone = [r for r in rows if r["group"] == "All respondents" and r["view"] == "Overall"]
    by_option = {(r["question"], r["option"]): r for r in everyone}
    total = release.size(())
    for code, label in (("yes", "Yes"), ("no", "No"), ("not_sure", "Not sure")):
        value = release.value("witnessed", (), code)
        row = by_option[("In the last year, have you seen racism at work?", label)]
        assert row["count"] == ("c" if value is None else str(value))
        assert row["percent"] == ("c" if value is None else str(percent(value, total)))
    assert {r["count"] for r in rows if r["status"] == "hidden"} == {"c"}
    assert any(r["group"] == HTML_LABEL for r in rows)


def test_the_printable_report_stands_alone_and_matches_the_release(
    sample_app: Flask, built: Built
) -> None:
    client, _staff = staff_member(sample_app, "admin")
    views = [view_key(v) for v in published_views(release_of(sample_app).protected)]
    query = "&".join(f"view={quote(v, safe='')}" for v in views)
    response = client.get(f"{DOWNLOAD}/html?{query}")
    assert "style-src 'unsafe-inline'" in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    html = response.get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.select("link, script, img, iframe")
    assert not re.search(r"https?://", html)
    style = soup.select_one("head style")
    assert style is not None and "@page" in style.get_text()
    assert len(soup.select("h1")) == 1
    release = release_of(sample_app).protected
    seen = sum(check_respondent_table(t, release) for t in soup.select("table:not([data-item])"))
    seen += sum(check_figure_table(t, release) for t in soup.select("table[data-item]"))
    assert seen > 300
    assert {t["data-view"] for t in soup.select("table[data-item]")} == set(views)
    # Everyone's answers one per row with a bar beside each percentage; breakdowns are
    # tables of "number (percentage)" only: no separate charts.
    assert not soup.select(".cd-chart")
    for table in soup.select("table[data-item][data-view=overall]"):
        for cell in table.select("td[data-measure=percent]:not([data-column=Total])"):
            rect = cell.select_one("svg rect")
            text = cell.get_text(strip=True)
            assert (rect is None) if text == "c" else rect["width"] == text[:-1]
    wide = soup.select("table[data-item]:not([data-view=overall])")
    assert wide and all(t.select("td[data-measure='count percent']") for t in wide)
    themes = soup.select_one("#themes-comments")
    assert themes is not None and themes.select_one("#themes-engine") is not None
    assert not soup.select(".cd-quote")  # nothing approved: no comment appears
    assert "<b>East</b>" not in html and "&lt;b&gt;East&lt;/b&gt;" in html
    # c is explained once at the top, linking to the section that says how.
    note = soup.select_one("#hidden-footnote")
    assert note is not None and note.select_one("a")["href"] == "#how-figures-are-protected"
    assert soup.select_one("section#how-figures-are-protected #protection-rules") is not None
    contents = [a["href"] for a in soup.select("#contents a")]
    assert all(soup.select_one(href) is not None for href in contents)
    assert len(set(contents)) == len(contents)


def test_the_printable_report_holds_only_the_chosen_views(sample_app: Flask, built: Built) -> None:
    client, _staff = staff_member(sample_app, "admin")
    everyone = BeautifulSoup(
        client.get(f"{DOWNLOAD}/html?view=overall").get_data(as_text=True), "html.parser"
    )
    assert {t["data-view"] for t in everyone.select("table")} == {"overall"}
    assert everyone.select_one("#report-views").get_text(strip=True) == "For everyone"
    assert "results for everyone only" in everyone.select_one("#respondents").get_text()
    default = BeautifulSoup(client.get(f"{DOWNLOAD}/html").get_data(as_text=True), "html.parser")
    one_way = [v for v in published_views(release_of(sample_app).protected) if len(v) == 1]
    assert {t["data-view"] for t in default.select("table[data-item]")} == {
        "overall",
        *(v[0] for v in one_way),
    }
    assert len(everyone.encode()) < len(default.encode())


def test_viewers_download_only_published_reports(sample_app: Flask, built: Built) -> None:
    viewer, staff = staff_member(sample_app, "viewer")
    assert viewer.get(f"{DOWNLOAD}/csv").status_code == 404
    publish(sample_app)
    response = viewer.get(f"{DOWNLOAD}/xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    assert book.sheetnames[:2] == ["Notes", "Overall"]
    notes = {row[0]: row[1] for row in book["Notes"].iter_rows(values_only=True) if row[0]}
    assert notes["Status"] == "Published"
    assert [e.actor for e in events(sample_app, "export")] == [staff.email]


# --- flask report export ------------------------------------------------------------------------


def export(app: Flask, out: Path, file_format: str, slug: str = SLUG, *views: str):  # type: ignore[no-untyped-def]
    chosen = [arg for view in views for arg in ("--view", view)]
    return app.test_cli_runner().invoke(
        args=[
            "report",
            "export",
            "--survey",
            slug,
            "--format",
            file_format,
            "--out",
            str(out),
            *chosen,
        ]
    )


def test_the_cli_exports_the_breakdowns_named(
    sample_app: Flask, built: Built, tmp_path: Path
) -> None:
    out = tmp_path / "council.csv"
    result = export(sample_app, out, "csv", SLUG, "council")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert {r["view"] for r in rows} == {"Overall", "By council"}
    out = tmp_path / "everyone.xlsx"
    assert export(sample_app, out, "xlsx", SLUG, "overall").exit_code == 0
    assert load_workbook(out).sheetnames == ["Notes", "Overall"]
    result = export(sample_app, tmp_path / "bad.csv", "csv", SLUG, "council", "religion")
    assert result.exit_code == 1
    assert "'religion' is not a breakdown this report publishes. Choose from: overall" in (
        result.output
    )
    assert not (tmp_path / "bad.csv").exists()
    assert [e.detail.split("views ")[1] for e in reversed(events(sample_app, "export"))] == [
        "overall, council",
        "overall",
    ]


def test_the_cli_writes_every_format_for_its_owner_only(
    sample_app: Flask, built: Built, tmp_path: Path
) -> None:
    release = release_of(sample_app).protected
    for file_format in ("csv", "xlsx", "html"):
        out = tmp_path / f"report.{file_format}"
        result = export(sample_app, out, file_format)
        assert result.exit_code == 0, result.output
        assert f"to {out}" in result.output
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
        content = out.read_bytes()
        assert_no_trace_of_responses(content, file_format, built)
        if file_format == "html":
            soup = BeautifulSoup(content.decode("utf-8"), "html.parser")
            assert sum(check_figure_table(t, release) for t in soup.select("table[data-item]"))
            assert "Draft: these results have not been published" in soup.get_text()
    found = events(sample_app, "export")
    assert [(e.actor, e.survey_slug) for e in found] == [("cli", SLUG)] * 3
    assert sorted(e.detail.split(",")[0] for e in found) == [
        "report csv",
        "report html",
        "report xlsx",
    ]


def test_the_cli_never_writes_over_a_file(sample_app: Flask, built: Built, tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    out.write_text("keep me", encoding="utf-8")
    result = export(sample_app, out, "csv")
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert out.read_text(encoding="utf-8") == "keep me"
    assert events(sample_app, "export") == []


def test_the_cli_refuses_surveys_without_results(sample_app: Flask, tmp_path: Path) -> None:
    closed_survey(sample_app, analyse=False)
    result = export(sample_app, tmp_path / "a.csv", "csv")
    assert result.exit_code == 1
    assert "Survey 'report-survey' has not been analysed yet" in result.output
    result = export(sample_app, tmp_path / "b.csv", "csv", slug="no-such-survey")
    assert result.exit_code == 1
    assert "There is no survey with the slug 'no-such-survey'" in result.output
    result = export(sample_app, tmp_path / "c.pdf", "pdf")
    assert result.exit_code == 2
    assert not list(tmp_path.glob("*.*"))
