"""Small promises of the respondent pages (issue 10): each hint printed once, text boxes that
follow the writer's direction, grid answers that read as sentences on "Check your answers",
focus on the error summary."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from survey_app.web.presenting import statement_line
from tests.helpers.journey import create_survey, post_page
from tests.helpers.pages import check_page
from tests.integration.web.support import section_url


@pytest.fixture
def staff_survey(app: Flask) -> str:
    create_survey(app, "global-majority-staff-survey", slug="staff")
    return "staff"


def test_a_free_text_hint_about_names_is_printed_once(app: Flask, staff_survey: str) -> None:
    client = app.test_client()
    page = check_page(client.get(f"/s/{staff_survey}/q/your_views"))
    hints = [h.get_text(" ", strip=True) for h in page.select("main .cd-hint")]
    about_names = [h for h in hints if "do not include names" in h.lower()]
    assert len(about_names) == 2  # one per free-text question, each once
    assert all(h.lower().count("do not include names") == 1 for h in about_names)


def test_text_boxes_follow_the_writer_s_direction(app: Flask, staff_survey: str) -> None:
    client = app.test_client()
    page = check_page(client.get(f"/s/{staff_survey}/q/your_views"))
    boxes = page.select("main textarea")
    assert boxes
    assert all(box.get("dir") == "auto" for box in boxes)


def test_the_error_summary_takes_the_focus(sample_app: Flask) -> None:
    create_survey(sample_app, "sample-survey")
    client = sample_app.test_client()
    page = check_page(post_page(client, section_url("first"), {}), 200)
    summary = page.one(".cd-error-summary")
    assert summary.has_attr("autofocus") and summary.get("tabindex") == "-1"


@pytest.mark.parametrize(
    ("statement", "line"),
    [
        ("I can be myself at work.", "I can be myself at work: Disagree"),
        ("My views are listened to", "My views are listened to: Disagree"),
        ("Do you feel safe?", "Do you feel safe? – Disagree"),
    ],
)
def test_a_grid_answer_reads_as_a_sentence(statement: str, line: str) -> None:
    assert statement_line(statement, "Disagree") == line


def test_a_browser_without_cookies_is_told_cookies_are_needed(sample_app: Flask) -> None:
    create_survey(sample_app, "sample-survey")
    form = check_page(sample_app.test_client().get(section_url("first")))
    without_cookies = sample_app.test_client()  # a browser that keeps no cookie
    response = without_cookies.post(section_url("first"), data={"csrf_token": form.csrf_token()})
    page = check_page(response, 400)
    assert page.h1 == "Cookies are needed to answer"
    assert "unfinished answers, encrypted" in page.one("main").get_text()
    assert page.one("main a[href]")["href"] == section_url("first")


def test_the_cookies_page_lists_every_cookie_a_journey_sets(sample_app: Flask) -> None:
    """Answer an open survey from start to finish, collecting every cookie the service sets:
    each one is on the cookies page, with the lifetimes from the configuration."""
    from tests.integration.web.support import complete

    create_survey(sample_app, "sample-survey")
    client = sample_app.test_client()
    names: set[str] = set()
    original = client.open

    def recording(*args: Any, **kwargs: Any) -> Any:
        response = original(*args, **kwargs)
        for header in response.headers.getlist("Set-Cookie"):
            names.add(header.split("=", 1)[0])
        return response

    client.open = recording  # type: ignore[method-assign]
    complete(sample_app, client)
    page = check_page(client.get("/cookies"))
    listed = [h.get_text(strip=True) for h in page.select("#cookie-list h2")]
    assert names, "the journey set cookies"
    for name in names:
        assert any(name == shown or name.startswith(shown.rstrip("…")) for shown in listed), name
    text = page.one("main").get_text(" ", strip=True)
    assert f"{sample_app.config['SURVEY_ANSWERED_MARKER_DAYS']} days at most" in text
    footer = [a.get_text(strip=True) for a in page.select("footer a")]
    assert "Cookies" in footer


def test_the_confirmation_page_signposts_the_configured_support(sample_app: Flask) -> None:
    from tests.integration.web.support import complete

    sample_app.config["SURVEY_SUPPORT"] = (
        {"name": "Essex EAP", "detail": "Call 0800 000 0000 <any time>."},
    )
    create_survey(sample_app, "sample-survey")
    client = sample_app.test_client()
    complete(sample_app, client)
    page = check_page(client.get("/s/sample-survey/done"))
    items = [li.get_text(" ", strip=True) for li in page.select("#support li")]
    assert items == ["Essex EAP : Call 0800 000 0000 <any time>."]


def test_a_follow_up_posted_after_no_and_no_is_dropped(app: Flask, staff_survey: str) -> None:
    """No to experiencing and to seeing racism: the questions about the racism are not asked,
    and an answer posted to them anyway is never kept."""
    client = app.test_client()
    first = f"/s/{staff_survey}/q/experiences"
    response = post_page(client, first, {"experienced_racism": "no", "witnessed_racism": "no"})
    assert response.status_code == 303
    assert not response.headers["Location"].endswith("/q/about_the_racism")
    forced = f"/s/{staff_survey}/q/about_the_racism"
    token = check_page(client.get(first)).csrf_token()
    response = client.post(forced, data={"racism_from_whom": "colleagues", "csrf_token": token})
    assert response.status_code == 303  # not shown: sent on, nothing saved
    check = check_page(client.get(f"/s/{staff_survey}/check"))
    questions = [k.get_text(strip=True) for k in check.select(".cd-summary-list__key")]
    assert "Who was the racism from?" not in questions
    assert "In the last 12 months, have you experienced racism at work?" in questions
