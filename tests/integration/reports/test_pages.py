"""The report pages: who sees what, and that every figure shown is the release's own."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask import Flask

from survey_app.extensions import get_db
from survey_app.services import surveys
from tests.helpers.journey import PASSPHRASE, create_survey
from tests.helpers.pages import check_page
from tests.helpers.runs import wait_for_run
from tests.integration.reports.support import (
    HTML_LABEL,
    QUESTIONNAIRE,
    SLUG,
    VIEWS,
    Built,
    check_figure_table,
    check_respondent_table,
    closed_survey,
    publish,
    release_of,
    staff_member,
)
from tests.integration.staff.support import events, form_token

OVERVIEW = f"/staff/surveys/{SLUG}/report"
QUESTIONS = ("witnessed", "views", "support")
FOOTNOTE_START = "c = hidden to protect anonymity"


def question_url(question: str, view: str | None = None) -> str:
    return f"{OVERVIEW}/{question}" + ("" if view is None else f"?view={quote(view, safe='')}")


def test_an_assigned_analyst_sees_the_draft_and_can_publish_it(
    sample_app: Flask, built: Built
) -> None:
    client, staff = staff_member(sample_app, "analyst", assigned_to=SLUG)
    page = check_page(client.get(OVERVIEW))
    assert page.h1 == "Results"
    assert page.one("#release-status").get_text(strip=True) == "Draft, not published"
    assert page.one("#release-responses").get_text(strip=True) == "40"
    assert page.one("#release-k").get_text(strip=True) == "5 people"
    assert page.one("#release-k-cell").get_text(strip=True) == "3 people"
    assert (
        page.one(".cd-warning-text")
        .get_text(" ", strip=True)
        .startswith("! Warning This is a draft")
    )
    publish_url = page.one("#publish-form a")["href"]
    assert publish_url == f"/staff/surveys/{SLUG}/publish?release={built.release_id}"
    links = [a["href"] for a in page.select("#questions a")]
    assert links == [question_url(q) for q in (*QUESTIONS, "comments")]
    form_page = check_page(client.get(publish_url))
    assert form_page.h1 == "Publish the report"
    assert form_page.one("main form input[name=release]")["value"] == built.release_id
    response = client.post(
        f"/staff/surveys/{SLUG}/publish",
        data={
            "csrf_token": form_token(form_page),
            "release": built.release_id,
            "passphrase": PASSPHRASE,
        },
    )
    assert response.status_code == 303
    assert wait_for_run(client, response.headers["Location"]) == "The report is published"
    page = check_page(client.get(f"{OVERVIEW}?done=published"))
    assert "The report is published" in page.one(".cd-notification-banner").get_text()
    assert page.one("#release-status").get_text(strip=True) == "Published"
    assert not page.select("#publish-form")
    assert [
        (e.actor, e.survey_slug, e.detail) for e in events(sample_app, "release_published")
    ] == [(staff.email, SLUG, f"release {built.release_id}")]


def test_admins_see_the_draft_too(sample_app: Flask, built: Built) -> None:
    client, _staff = staff_member(sample_app, "admin")
    page = check_page(client.get(OVERVIEW))
    assert page.select("#publish-form")


def test_viewers_see_only_published_reports(sample_app: Flask, built: Built) -> None:
    viewer, _staff = staff_member(sample_app, "viewer")
    other_analyst, _other = staff_member(sample_app, "analyst")
    for client in (viewer, other_analyst):
        check_page(client.get(OVERVIEW), 404)
        check_page(client.get(question_url("witnessed")), 404)
        assert client.get(f"{OVERVIEW}/download/csv").status_code == 404
    page = check_page(viewer.get("/staff/releases"))
    assert not page.select("#releases")
    publish(sample_app)
    page = check_page(viewer.get("/staff/releases"))
    assert [a["href"] for a in page.select("#releases a")] == [OVERVIEW]
    for client in (viewer, other_analyst):
        page = check_page(client.get(OVERVIEW))
        assert page.one("#release-status").get_text(strip=True) == "Published"
        assert not page.select("#publish-form")
        check_page(client.get(question_url("witnessed", "council")))


def test_only_workers_can_publish(sample_app: Flask, built: Built) -> None:
    client, _staff = staff_member(sample_app, "admin")
    token = form_token(
        check_page(client.get(f"/staff/surveys/{SLUG}/publish?release={built.release_id}"))
    )
    viewer, _viewer = staff_member(sample_app, "viewer")
    publish(sample_app)  # so the viewer can open a page with a token of its own
    viewer_token = str(
        check_page(viewer.get(OVERVIEW)).one("form[method=post] input[name=csrf_token]")["value"]
    )
    response = viewer.post(
        f"/staff/surveys/{SLUG}/publish",
        data={"csrf_token": viewer_token, "release": built.release_id, "passphrase": PASSPHRASE},
    )
    assert response.status_code == 403
    response = client.post(
        f"/staff/surveys/{SLUG}/publish",
        data={"csrf_token": token, "release": "0" * 32, "passphrase": PASSPHRASE},
    )
    assert response.status_code == 404


def test_every_figure_on_every_page_is_the_releases_own(sample_app: Flask, built: Built) -> None:
    client, _staff = staff_member(sample_app, "admin")
    release = release_of(sample_app).protected
    page = check_page(client.get(OVERVIEW))
    tables = page.select("main table")
    assert [t["data-view"] for t in tables] == ["council", "ethnic_group"]
    seen = sum(check_respondent_table(t, release) for t in tables)
    assert FOOTNOTE_START in page.one("#hidden-footnote").get_text()
    hidden = shown = 0
    for question in QUESTIONS:
        for view in VIEWS:
            page = check_page(client.get(question_url(question, view)))
            tables = page.select("main table")
            assert tables and all(t["data-view"] == view for t in tables)
            assert len(tables) == (2 if question == "views" else 1)
            seen += sum(check_figure_table(t, release) for t in tables)
            texts = [c.get_text(strip=True) for t in tables for c in t.select("td")]
            hidden += texts.count("c")
            shown += sum(1 for t in texts if t != "c")
            assert FOOTNOTE_START in page.one("#hidden-footnote").get_text()
    assert seen > 500 and hidden > 50 and shown > 50


def test_charts_draw_exactly_the_published_percentages(sample_app: Flask, built: Built) -> None:
    client, _staff = staff_member(sample_app, "admin")
    for view in VIEWS:
        page = check_page(client.get(question_url("witnessed", view)))
        table = page.one("main table")
        chart = page.one("main svg")
        assert chart["role"] == "img"
        title_id, desc_id = str(chart["aria-labelledby"]).split()
        assert chart.select_one(f"title#{title_id}").get_text(strip=True)
        assert "percentage" in chart.select_one(f"desc#{desc_id}").get_text()
        published = {
            (row["data-population"], cell["data-column"]): cell.get_text(strip=True)
            for row in table.select("tbody tr")
            for cell in row.select("td[data-measure=percent]")
        }
        totals = {
            row["data-population"]: row.select_one("td[data-column=Total]").get_text(strip=True)
            for row in table.select("tbody tr")
        }
        bars = 0
        for group in chart.select("g[data-population]"):
            if totals[group["data-population"]] == "0":
                assert not group.select("g[data-column]")
                assert "No one in this group" in group.get_text()
                continue
            for bar in group.select("g[data-column]"):
                shown = published[(group["data-population"], bar["data-column"])]
                rect = bar.select_one("rect")
                if shown == "c":
                    assert rect is None
                    assert bar.select("text")[-1].get_text(strip=True) == "c"
                else:
                    assert rect is not None and rect["width"] == str(int(shown[:-1]) * 4)
                    assert bar.select("text")[-1].get_text(strip=True) == shown
                bars += 1
        charted = [
            r
            for r in table.select("tbody tr")
            if r["data-kind"] != "margin" and totals[r["data-population"]] != "0"
        ]
        assert bars == len(charted) * 4 > 0


def test_the_view_selector_lists_only_permitted_views(sample_app: Flask, built: Built) -> None:
    client, _staff = staff_member(sample_app, "admin")
    page = check_page(client.get(question_url("witnessed")))
    form = page.one("#view-selector")
    assert form.get("method") == "get"
    radios = form.select("input[type=radio][name=view]")
    assert [r["value"] for r in radios] == list(VIEWS)
    assert [r["value"] for r in radios if r.has_attr("checked")] == ["overall"]
    labels = [page.one(f"label[for={r['id']}]").get_text(strip=True) for r in radios]
    assert labels == ["Overall", "By council", "By ethnic group", "By council and ethnic group"]
    page = check_page(client.get(question_url("witnessed", "council+ethnic_group")))
    checked = page.select("#view-selector input[checked]")
    assert [r["value"] for r in checked] == ["council+ethnic_group"]


@pytest.mark.parametrize(
    "view",
    [
        "ethnic_group+council",
        "council+council",
        "witnessed",
        "support",
        "council+ethnic_group+council",
        "Overall",
        "../overall",
        "overall ",
        "council%00",
        "x" * 3000,
    ],
)
def test_a_crafted_view_is_not_found(sample_app: Flask, built: Built, view: str) -> None:
    client, _staff = staff_member(sample_app, "admin")
    check_page(client.get(question_url("witnessed", view)), 404)


@pytest.mark.parametrize(
    "question", ["council", "ethnic_group", "nope", "views__valued", "x" * 500]
)
def test_an_unknown_question_is_not_found(sample_app: Flask, built: Built, question: str) -> None:
    client, _staff = staff_member(sample_app, "admin")
    check_page(client.get(question_url(question)), 404)
    check_page(client.get(f"/staff/surveys/no-such-survey/report/{question}"), 404)


def test_free_text_questions_show_their_themes_and_no_comment(
    sample_app: Flask, built: Built
) -> None:
    client, _staff = staff_member(sample_app, "admin")
    page = check_page(client.get(question_url("comments")))
    assert page.one("#themes-heading").get_text(strip=True) == "Themes"
    release = release_of(sample_app)
    assert [t["data-item"] for t in page.select("main table")] == ["comments__themes"]
    for table in page.select("main table"):
        check_figure_table(table, release.protected)
    # No quote has been approved, so no comment is shown, whole or in part.
    assert not page.select(".cd-quote")
    for index in range(0, 40, 4):
        assert f"Comment number {index}" not in page.text()


def test_grid_statements_and_multiple_choice_notes(sample_app: Flask, built: Built) -> None:
    client, _staff = staff_member(sample_app, "admin")
    page = check_page(client.get(question_url("views", "council")))
    assert [h.get_text(strip=True) for h in page.select("main section h2")] == [
        "My manager listens to me",
        "I feel valued at work",
    ]
    assert [t["data-item"] for t in page.select("main table")] == [
        "views__listened",
        "views__valued",
    ]
    assert len(page.select("main svg[role=img]")) == 2
    assert "more than one answer" not in page.text()
    page = check_page(client.get(question_url("support")))
    assert "percentages do not add up to 100" in page.text()


def test_group_labels_with_html_show_as_text(sample_app: Flask, built: Built) -> None:
    client, _staff = staff_member(sample_app, "admin")
    for url in (OVERVIEW, question_url("witnessed", "council")):
        response = client.get(url)
        page = check_page(response)
        labels = [th.get_text(strip=True) for th in page.select("main tbody th")]
        assert HTML_LABEL in labels
        assert not page.select("main b")
        assert "&lt;b&gt;East&lt;/b&gt; &amp; Fens Council" in response.get_data(as_text=True)


def test_no_release_yet_is_a_clear_empty_state(sample_app: Flask) -> None:
    closed_survey(sample_app, analyse=False)
    client, _staff = staff_member(sample_app, "admin")
    page = check_page(client.get(OVERVIEW))
    assert "There are no results for this survey yet" in page.one("#report-empty").get_text()
    assert not page.select("main table") and not page.select("#downloads")
    check_page(client.get(question_url("witnessed")), 404)
    assert client.get(f"{OVERVIEW}/download/csv").status_code == 404
    viewer, _viewer = staff_member(sample_app, "viewer")
    check_page(viewer.get(OVERVIEW), 404)


def test_a_survey_nobody_answered_says_so(sample_app: Flask) -> None:
    closed_survey(sample_app, count=0)
    client, _staff = staff_member(sample_app, "admin")
    page = check_page(client.get(OVERVIEW))
    assert "Nobody answered this survey" in page.one("#report-empty").get_text()
    assert page.one("#release-responses").get_text(strip=True) == "0"
    assert not page.select("main table") and not page.select("#downloads")


def test_too_few_responses_show_only_the_count(sample_app: Flask) -> None:
    closed_survey(sample_app, count=4)
    client, _staff = staff_member(sample_app, "admin")
    page = check_page(client.get(OVERVIEW))
    assert "Fewer than 5 people answered" in page.one("#report-empty").get_text()
    assert page.one("#release-responses").get_text(strip=True) == "4"
    assert not page.select("main table") and not page.select("#questions")
    # A question page, if someone types its address, has nothing but c and the count.
    page = check_page(client.get(question_url("witnessed", "council")))
    shown = [c for c in page.select("main td") if c.get_text(strip=True) != "c"]
    assert [c.get_text(strip=True) for c in shown] == ["4"]
    assert shown[0].find_parent("tr")["data-kind"] == "overall"


def test_while_a_survey_is_open_no_report_is_reachable(sample_app: Flask) -> None:
    create_survey(sample_app, QUESTIONNAIRE, slug=SLUG)
    client, _staff = staff_member(sample_app, "admin")
    page = check_page(client.get(OVERVIEW))
    assert "This survey is still open" in page.one("#report-empty").get_text()
    assert not page.select("main table") and not page.select("#publish-form")
    check_page(client.get(question_url("witnessed")), 404)
    assert client.get(f"{OVERVIEW}/download/csv").status_code == 404
    viewer, _viewer = staff_member(sample_app, "viewer")
    check_page(viewer.get(OVERVIEW), 404)
    with sample_app.app_context():
        assert surveys.get_survey(get_db(), SLUG).status == "open"


def test_report_pages_need_sign_in(sample_app: Flask, built: Built) -> None:
    client = sample_app.test_client()
    for url in (OVERVIEW, question_url("witnessed"), f"{OVERVIEW}/download/csv"):
        response = client.get(url)
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/staff/login")
