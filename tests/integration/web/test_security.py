"""Response headers and page content that keep respondents safe: a strict content security
policy, no referrer, nothing cached, nothing loaded from elsewhere, answers escaped."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from survey_app.services.surveys import SurveyInfo
from tests.helpers.journey import create_survey, post_page
from tests.helpers.pages import check_page
from tests.integration.web.support import (
    CHECK,
    DONE,
    FIRST,
    SECOND,
    START,
    close,
    opened,
    section_url,
)

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def survey(sample_app: Flask) -> SurveyInfo:
    return create_survey(sample_app, "sample-survey")


@pytest.fixture
def respondent(sample_app: Flask, survey: SurveyInfo) -> FlaskClient:
    return sample_app.test_client()


def _pages(sample_app: Flask, respondent: FlaskClient) -> dict[str, TestResponse]:
    """One response of each kind of respondent page."""
    pages = {
        "landing": respondent.get("/"),
        "privacy": respondent.get("/privacy"),
        "accessibility": respondent.get("/accessibility"),
        "start": respondent.get(START),
        "section": respondent.get(section_url("first")),
        "not found": respondent.get("/s/no-such-survey/"),
        "timed out": respondent.post(section_url("first"), data=FIRST),
        "method": respondent.put(START),
    }
    assert post_page(respondent, section_url("first"), FIRST).status_code == 303
    pages["error"] = post_page(respondent, section_url("second"), {"years": "lots"})
    assert post_page(respondent, section_url("second"), SECOND).status_code == 303
    pages["check"] = respondent.get(CHECK)
    pages["done"] = respondent.get(DONE)
    close(sample_app)
    pages["closed"] = respondent.get(START)
    expected = {"not found": 404, "timed out": 400, "method": 405, "closed": 410}
    for name, response in pages.items():
        check_page(response, expected.get(name, 200))
    return pages


def _directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in policy.split(";"):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


def test_security_headers_on_every_respondent_page(
    sample_app: Flask, respondent: FlaskClient
) -> None:
    for name, response in _pages(sample_app, respondent).items():
        policy = response.headers.get("Content-Security-Policy", "")
        assert "unsafe-inline" not in policy, name
        assert "unsafe-eval" not in policy, name
        directives = _directives(policy)
        assert directives["default-src"] == ["'self'"], name
        assert directives["script-src"] == ["'self'"], name
        assert directives["style-src"] == ["'self'"], name
        assert directives["frame-ancestors"] == ["'none'"], name
        assert response.headers.get("Referrer-Policy") == "no-referrer", name
        assert response.headers.get("Cache-Control") == "no-store", name
        assert response.headers.get("X-Content-Type-Options") == "nosniff", name


def test_no_external_assets_on_respondent_pages(sample_app: Flask, respondent: FlaskClient) -> None:
    for name, response in _pages(sample_app, respondent).items():
        page = check_page(response, response.status_code)
        assets = [
            *(str(tag.get("href", "")) for tag in page.select("link")),
            *(str(tag.get("src", "")) for tag in page.select("script, img")),
        ]
        assert assets, name
        for address in assets:
            assert not address.startswith(("http://", "https://", "//")), (name, address)
        assert not page.select("script:not([src])"), f"inline script on {name}"
        assert not page.select("[style]"), f"inline style on {name}"
        assert not page.select("style"), f"style element on {name}"


def test_static_assets_are_served_from_this_site(respondent: FlaskClient) -> None:
    page = check_page(respondent.get(START))
    for address in [
        *(str(t["href"]) for t in page.select("link[rel=stylesheet]")),
        *(str(t["src"]) for t in page.select("script[src]")),
    ]:
        assert address.startswith("/static/"), address
        response = respondent.get(address)
        try:
            assert response.status_code == 200, address
            assert response.headers.get("Referrer-Policy") == "no-referrer"
        finally:
            response.close()


def test_free_text_with_markup_is_shown_as_text(sample_app: Flask, respondent: FlaskClient) -> None:
    comment = f"{SCRIPT} <b>bold</b> & \"quoted\" 'single' <img src=x onerror=alert(2)>"
    assert post_page(respondent, section_url("first"), FIRST).status_code == 303
    response = post_page(respondent, section_url("second"), {**SECOND, "comment": comment})
    assert response.status_code == 303

    check = check_page(respondent.get(CHECK))
    main = check.one("main")
    assert main.select("script") == []
    assert main.select("b") == []
    assert main.select("img") == []
    values = [dd.get_text(strip=True) for dd in main.select(".cd-summary-list__value")]
    assert comment in values

    section = check_page(respondent.get(section_url("second")))
    assert section.one("textarea#comment").get_text() == comment
    assert section.one("main").select("script") == []

    assert respondent.post(CHECK, data={"csrf_token": check.csrf_token()}).status_code == 303
    (sent,) = opened(sample_app)
    assert sent.answers["comment"] == comment


def test_markup_in_a_rejected_answer_is_shown_as_text(respondent: FlaskClient) -> None:
    assert post_page(respondent, section_url("first"), FIRST).status_code == 303
    page = check_page(
        post_page(respondent, section_url("second"), {**SECOND, "years": SCRIPT}), 200
    )
    assert page.title.startswith("Error: ")
    assert page.one("input#years")["value"] == SCRIPT
    assert page.one("main").select("script") == []


def test_markup_in_an_access_code_is_shown_as_text(sample_app: Flask) -> None:
    create_survey(sample_app, "sample-survey", slug="coded", access="codes")
    client = sample_app.test_client()
    page = check_page(post_page(client, "/s/coded/", {"access_code": SCRIPT}))
    assert page.one("input#access_code")["value"] == SCRIPT
    assert page.one("main").select("script") == []
