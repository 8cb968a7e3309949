"""Reading a series' results from the web: the series page says where its reports stand, a
session page shows the session's own figures only when at least k people answered it, and a
facilitator reads the published reports of their own series, never a draft or anyone else's."""

from __future__ import annotations

from flask import Flask

from survey_app.extensions import get_db
from survey_app.services import accounts
from tests.helpers.pages import check_page
from tests.integration.services.test_series_reports import SESSIONS, analyse, publish, run_sessions
from tests.integration.services.test_sessions import make_series
from tests.integration.staff.support import signed_in
from tests.integration.staff.test_sessions_pages import assigned_facilitator


def test_results_reach_the_series_and_session_pages_only_when_published(app: Flask) -> None:
    series = make_series(app)
    sent = run_sessions(app, series, (SESSIONS[0], SESSIONS[1], SESSIONS[4]), seed=11)
    ids = list(dict.fromkeys(sid for sid, _ in sent))
    big, small = ids[1], ids[2]  # 12 and 2 responses; k is 5
    client = assigned_facilitator(app, series.slug)
    page = check_page(client.get(f"/staff/series/{series.slug}"))
    progress = [li.get_text(strip=True) for li in page.select("#report-progress li")]
    assert progress == [
        "Sessions in published reports: 0",
        "Closed sessions waiting for a report: 3",
    ]
    assert "Analyse the closed sessions" not in page.text(), "facilitators do not analyse"
    release_id = analyse(app, series.slug)
    # a draft: the facilitator sees neither it nor any of its figures
    assert client.get(f"/staff/surveys/{series.slug}/report").status_code == 404
    before = check_page(client.get(f"/staff/sessions/{big}"))
    assert not before.select("#session-results")
    assert "once a report of the series that covers this session is published" in before.text()
    publish(app, series.slug, release_id)

    page = check_page(client.get(f"/staff/series/{series.slug}"))
    assert "Sessions in published reports: 3" in page.text()
    report = check_page(client.get(f"/staff/surveys/{series.slug}/report"))
    assert "Publish" not in [b.get_text(strip=True) for b in report.select("button")]
    assert "Webinar: allyship, 24 Sep 2026" in report.text()  # a session, by its title
    assert "Oct–Dec 2026" in report.text()  # a quarter
    shown = check_page(client.get(f"/staff/sessions/{big}"))
    tables = shown.select("#session-results ~ .cd-table-container table")
    assert tables, "a session of 12 shows its own results"
    counts = [td.get_text(strip=True) for td in tables[0].select("tbody td")[::2]]
    assert any(c.isdigit() for c in counts)
    tiny = check_page(client.get(f"/staff/sessions/{small}"))
    assert not tiny.select("#session-results")
    assert "Fewer than 5 people answered this session" in tiny.text()


def test_a_facilitator_reads_only_their_own_series_reports(app: Flask) -> None:
    series = make_series(app)
    run_sessions(app, series, SESSIONS[:2], seed=12)
    publish(app, series.slug, analyse(app, series.slug))
    theirs = assigned_facilitator(app, series.slug)
    assert check_page(theirs.get(f"/staff/surveys/{series.slug}/report")).h1
    listed = check_page(theirs.get("/staff/releases"))
    assert series.title in listed.text()
    # another facilitator, not assigned: no report, no listing, no session
    other, staff = signed_in(app, "facilitator", "second.facilitator@example.org")
    assert other.get(f"/staff/surveys/{series.slug}/report").status_code == 404
    assert series.title not in check_page(other.get("/staff/releases")).text()
    assert other.get(f"/staff/series/{series.slug}").status_code == 403
    # once assigned, they read it too
    with app.app_context():
        accounts.assign(get_db(), email=staff.email, slug=series.slug, actor="test")
    assert other.get(f"/staff/surveys/{series.slug}/report").status_code == 200
    # a viewer reads every published report, as for surveys
    viewer, _ = signed_in(app, "viewer")
    assert viewer.get(f"/staff/surveys/{series.slug}/report").status_code == 200


def test_an_analyst_analyses_a_series_from_its_page(app: Flask) -> None:
    series = make_series(app)
    run_sessions(app, series, SESSIONS[:2], seed=13)
    client, staff = signed_in(app, "analyst")
    with app.app_context():
        accounts.assign(get_db(), email=staff.email, slug=series.slug, actor="test")
    page = check_page(client.get(f"/staff/series/{series.slug}"))
    links = {
        a.get_text(strip=True): a["href"] for a in page.select("#reports ~ .cd-button-group a")
    }
    assert links["Analyse the closed sessions"] == f"/staff/surveys/{series.slug}/analyse"
    form = check_page(client.get(links["Analyse the closed sessions"]))
    assert form.select("input[type=password]"), "the passphrase form, as for a survey"


def test_earlier_reports_of_a_series_stay_readable(app: Flask) -> None:
    series = make_series(app)
    run_sessions(app, series, SESSIONS[:2], seed=14)
    first = analyse(app, series.slug)
    publish(app, series.slug, first)
    run_sessions(app, series, SESSIONS[2:4], seed=15)
    second = analyse(app, series.slug)
    publish(app, series.slug, second)
    run_sessions(app, series, SESSIONS[4:], seed=16)
    draft = analyse(app, series.slug)
    client = assigned_facilitator(app, series.slug)
    page = check_page(client.get(f"/staff/series/{series.slug}"))
    listed = page.select("#published-reports li")
    assert [li.get_text(" ", strip=True).split(": ")[1] for li in listed] == [
        "2 sessions, 15 Oct 2026 to 5 Nov 2026",
        "2 sessions, 10 Sep 2026 to 24 Sep 2026",
    ]
    earlier = listed[1].a["href"]
    assert earlier == f"/staff/surveys/{series.slug}/report?release={first}"
    report = check_page(client.get(earlier))
    assert "Webinar: allyship, 24 Sep 2026" in report.text()
    assert "October Reflective Space" not in report.text()  # in the second report only
    links = [a["href"] for a in report.select("main a") if "/report/" in a["href"]]
    assert links and [h for h in links if f"release={first}" not in h] == []
    # a question page's breakdown chooser (a GET form) stays with that report
    page_link = next(h for h in links if "/report/usefulness" in h)
    question = check_page(client.get(page_link))
    assert question.one("#view-selector input[name=release]")["value"] == first
    chosen = check_page(client.get(f"{page_link}&view=_session"))
    assert "Webinar: allyship, 24 Sep 2026" in chosen.text()
    assert "October Reflective Space" not in chosen.text()
    # the newest without ?release=; a draft, a malformed id or another survey's: not found
    newest = check_page(client.get(f"/staff/surveys/{series.slug}/report"))
    assert "October Reflective Space, 15 Oct 2026" in newest.text()
    assert client.get(f"/staff/surveys/{series.slug}/report?release={draft}").status_code == 404
    assert client.get(f"/staff/surveys/{series.slug}/report?release=nope").status_code == 404
    download = client.get(f"/staff/surveys/{series.slug}/report/download/csv?release={first}")
    assert download.status_code == 200
    assert "October Reflective Space" not in download.get_data(as_text=True)
