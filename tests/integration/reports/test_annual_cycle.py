"""Two published cycles of one survey: the year-on-year page shows each year's published
percentages and a change only where both years show the figure; the annual report builds as
HTML and as a PDF whose text has its headings; without the layout engine, a clear page."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader

from analysis.report import percent
from survey_app.cli import surveys_cli
from survey_app.extensions import get_db, get_keyring, get_questionnaires, get_theme_options
from survey_app.services import analysis, cycles, headcounts, pdf, publishing, reports, surveys
from survey_app.services.submission import submit_response
from tests.helpers.databases import TestDatabases
from tests.helpers.journey import PASSPHRASE, create_survey
from tests.helpers.pages import check_page
from tests.helpers.prepared import Prepared, prepare_sample
from tests.integration.reports.support import QUESTIONNAIRE, SUBMITTED_ON, answers
from tests.integration.staff.support import signed_in

FIRST, SECOND = "yearly-2025-26", "yearly-2026-27"
NEW_PASSPHRASE = "the second cycle's own passphrase"


def later_answers(index: int) -> dict[str, Any]:
    """The second year: more people say they witnessed racism; East has grown."""
    found = answers(index % 40)
    found["witnessed"] = ["yes", "yes", "yes", "no"][index % 4]
    if index >= 40:
        found["council"] = "east"
    return found


def publish_newest(app: Flask, slug: str, passphrase: str) -> None:
    with app.app_context():
        info = surveys.get_survey(get_db(), slug)
        questionnaire = get_questionnaires()[info.questionnaire_id]
        release_id = analysis.run_analysis(
            get_db(),
            get_keyring(),
            questionnaire,
            slug,
            passphrase,
            actor="test",
            theme_options=get_theme_options(),
        )
        publishing.publish(
            get_db(), get_keyring(), questionnaire, slug, release_id, passphrase, actor="test"
        )


def next_cycle_open(
    app: Flask, previous: str, slug: str, cycle: str, passphrase: str
) -> surveys.SurveyInfo:
    """The cycle after ``previous``, its key holder's invitation accepted, open (inside an
    application context)."""
    made = cycles.next_cycle(
        get_db(),
        get_keyring(),
        get_questionnaires(),
        previous,
        cycle=cycle,
        new_slug=slug,
        actor="test",
        log2_n=app.config["SURVEY_SCRYPT_LOG2_N"],
    )
    cycles.accept_invitation(
        get_db(),
        slug,
        label=made.invitations[0].label,
        code=made.invitations[0].code,
        passphrase=passphrase,
        log2_n=app.config["SURVEY_SCRYPT_LOG2_N"],
        actor="test",
    )
    return surveys.open_survey(get_db(), slug)


def build_two_cycles(app: Flask) -> None:
    """Two yearly cycles of the staff survey, each closed and its report published, and the
    second one's headcounts."""
    info = create_survey(app, QUESTIONNAIRE, slug=FIRST, min_group=5)
    with app.app_context():
        questionnaire = get_questionnaires()[QUESTIONNAIRE]
        for index in range(40):
            submit_response(get_db(), info, questionnaire, answers(index), today=SUBMITTED_ON)
        surveys.close_survey(get_db(), FIRST)
    assert app.test_cli_runner().invoke(surveys_cli, ["cycle", FIRST, "2025-26"]).exit_code == 0
    publish_newest(app, FIRST, PASSPHRASE)
    with app.app_context():
        info = next_cycle_open(app, FIRST, SECOND, "2026-27", NEW_PASSPHRASE)
        for index in range(48):
            submit_response(get_db(), info, questionnaire, later_answers(index))
        surveys.close_survey(get_db(), SECOND)
    publish_newest(app, SECOND, NEW_PASSPHRASE)
    with app.app_context():
        info = surveys.get_survey(get_db(), SECOND)
        headcounts.set_headcounts(
            get_db(),
            info,
            get_questionnaires()[QUESTIONNAIRE],
            {"north": 60, "south": 50, "east": 40},
            reports.published_group_sizes(get_db(), get_keyring(), info, headcounts.COUNCIL),
            actor="test",
        )


@pytest.fixture(scope="module")
def prepared_cycles(
    tmp_path_factory: pytest.TempPathFactory, test_databases: TestDatabases
) -> Prepared[None]:
    """The two cycles, built once for the module (tests/helpers/prepared.py)."""
    return prepare_sample(tmp_path_factory, test_databases, "cycles", build_two_cycles)


@pytest.fixture
def two_cycles(prepared_cycles: Prepared[None], tmp_path: Path) -> Iterator[Flask]:
    """The sample application on a copy of the two cycles (SQLite)."""
    app = prepared_cycles.app(tmp_path)
    yield app
    with app.app_context():
        get_db().dispose()


def published(app: Flask, slug: str) -> Any:
    with app.app_context():
        info = surveys.get_survey(get_db(), slug)
        release = analysis.load_release(get_db(), get_keyring(), info, published_only=True)
    assert release is not None
    return release.protected


def test_year_on_year_uses_only_what_both_years_show(two_cycles: Flask) -> None:
    app = two_cycles
    earlier, later = published(app, FIRST), published(app, SECOND)
    viewer, _ = signed_in(app, "viewer")
    for view in ("overall", "council"):
        address = f"/staff/surveys/{SECOND}/report/year-on-year?view={view}&question=witnessed"
        page = check_page(viewer.get(address))
        assert "2025-26 and 2026-27" in page.one("#year-cycles").get_text()
        table = page.one("table[data-item=witnessed]")
        rows = table.select("tbody tr")
        assert rows
        hidden_seen = 0
        for row in rows:
            option = str(row["data-answer"])
            council = row.get("data-group")
            assert (council is None) == (view == "overall")
            population = () if council is None else (("council", str(council)),)
            cells = row.select("td[data-cycle]")
            for cell, release in zip(cells, (earlier, later), strict=True):
                value = release.items["witnessed"].get(population, {}).get(option)
                size = release.sizes.get(population)
                expected = percent(value, size)
                assert cell.get_text(strip=True) == ("c" if expected is None else f"{expected}%")
            texts = [c.get_text(strip=True) for c in cells]
            change = row.select_one(".cd-year-change")
            assert change is not None
            if "c" in texts:
                hidden_seen += 1
                assert change.get_text(strip=True) == "No change shown"
            else:
                delta = int(texts[1][:-1]) - int(texts[0][:-1])
                assert int(change["data-change"]) == delta
        if view == "council":
            assert hidden_seen, "East's small first year hides figures, and no change is shown"


def test_the_annual_report_builds_as_html_and_pdf(two_cycles: Flask) -> None:
    app = two_cycles
    viewer, _ = signed_in(app, "viewer")
    overview = check_page(viewer.get(f"/staff/surveys/{SECOND}/report"))
    assert overview.one("#annual-link")["href"] == f"/staff/surveys/{SECOND}/annual-report"
    html = viewer.get(f"/staff/surveys/{SECOND}/annual-report")
    assert html.status_code == 200
    assert "default-src 'none'" in html.headers["Content-Security-Policy"]
    text = html.get_data(as_text=True)
    for heading in ("Summary", "Results by section", "Changes since 2025-26", "How this report"):
        assert heading in text
    assert "Response rates by council" in text
    document = viewer.get(f"/staff/surveys/{SECOND}/annual-report.pdf")
    assert document.status_code == 200, document.get_data(as_text=True)[:500]
    assert document.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(document.data))
    assert len(reader.pages) >= 5
    words = "\n".join(page.extract_text() for page in reader.pages)
    for heading in ("Contents", "Summary", "Results by section", "Changes since 2025-26"):
        assert heading in words, heading
    assert "How this report was made" in words
    assert f"Page 2 of {len(reader.pages)}" in words


def test_a_pdf_without_the_layout_engine_says_what_to_install(
    two_cycles: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing() -> None:
        raise OSError("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(pdf, "_load_engine", missing)
    pdf.engine_problem.cache_clear()
    try:
        viewer, _ = signed_in(two_cycles, "viewer")
        response = viewer.get(f"/staff/surveys/{SECOND}/annual-report.pdf")
        assert response.status_code == 503
        message = check_page(response, status=503).one("#pdf-problem").get_text()
        assert "weasyprint" in message and "libpango-1.0-0" in message
    finally:
        pdf.engine_problem.cache_clear()


def test_no_annual_report_before_publication(sample_app: Flask) -> None:
    create_survey(sample_app, QUESTIONNAIRE, slug=FIRST, min_group=5)
    viewer, _ = signed_in(sample_app, "viewer")
    assert viewer.get(f"/staff/surveys/{FIRST}/annual-report").status_code == 404
    assert viewer.get(f"/staff/surveys/{FIRST}/annual-report.pdf").status_code == 404


def test_three_cycles_show_a_trend(two_cycles: Flask) -> None:
    """A third cycle after the two: the year-on-year page compares its last two and draws a
    trend over all three, each bar a figure its own cycle's report shows."""
    app = two_cycles
    third = "yearly-2027-28"
    passphrase = "the third cycle's own passphrase"
    with app.app_context():
        info = next_cycle_open(app, SECOND, third, "2027-28", passphrase)
        questionnaire = get_questionnaires()[QUESTIONNAIRE]
        for index in range(40):
            submit_response(get_db(), info, questionnaire, answers(index))
        surveys.close_survey(get_db(), third)
    publish_newest(app, third, passphrase)
    releases = [published(app, slug) for slug in (FIRST, SECOND, third)]
    viewer, _ = signed_in(app, "viewer")
    page = check_page(viewer.get(f"/staff/surveys/{third}/report/year-on-year"))
    assert "2026-27 and 2027-28, with a trend over 2025-26, 2026-27, 2027-28" in page.one(
        "#year-cycles"
    ).get_text(" ", strip=True)
    trend = page.one("#trends ~ .cd-trend[data-question=witnessed]")
    bars = trend.select(".cd-chart__bar")
    assert len(bars) == 3 * 3  # yes, no, not sure; three cycles each
    for group in trend.select(".cd-chart__group"):
        answer = str(group["data-answer"])
        shown = [bar["data-percent"] for bar in group.select(".cd-chart__bar")]
        expected = [percent(r.items["witnessed"][()][answer], r.sizes[()]) for r in releases]
        assert shown == [str(p) for p in expected]
    annual = viewer.get(f"/staff/surveys/{third}/annual-report").get_data(as_text=True)
    assert "Trends since 2025-26" in annual
