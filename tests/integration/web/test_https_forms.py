"""Forms sent over HTTPS with production's CSRF settings. Every page asks browsers to send no
Referer (Referrer-Policy: no-referrer), so a form arrives without one; Flask-WTF's "SSL
strict" check, which demands a Referer over HTTPS, once refused every answer and every staff
sign-in behind nginx while the same forms worked over plain HTTP."""

from __future__ import annotations

import pytest
from flask import Flask

from config import ProductionConfig
from tests.helpers.journey import create_survey
from tests.helpers.pages import check_page
from tests.integration.web.support import FIRST, section_url

HTTPS = "https://survey.example.org"


@pytest.fixture
def site(sample_app: Flask) -> Flask:
    """The sample survey, open, with production's CSRF settings."""
    sample_app.config["WTF_CSRF_SSL_STRICT"] = ProductionConfig.WTF_CSRF_SSL_STRICT
    create_survey(sample_app, "sample-survey")
    return sample_app


def test_a_respondent_sends_a_page_over_https_without_a_referer(site: Flask) -> None:
    client = site.test_client()
    page = check_page(client.get(section_url("first"), base_url=HTTPS))
    assert page.response.headers["Referrer-Policy"] == "no-referrer"
    sent = client.post(
        section_url("first"), data={**FIRST, "csrf_token": page.csrf_token()}, base_url=HTTPS
    )
    assert sent.status_code == 303
    assert sent.headers["Location"].endswith(section_url("second"))


def test_staff_sign_in_over_https_without_a_referer_reaches_the_password_check(
    site: Flask,
) -> None:
    client = site.test_client()
    page = check_page(client.get("/staff/login", base_url=HTTPS))
    data = {"email": "nobody@example.org", "password": "not the password"}
    answer = check_page(
        client.post("/staff/login", data={**data, "csrf_token": page.csrf_token()}, base_url=HTTPS)
    )
    # Refused for the password, on the sign-in page: not the "page timed out" page.
    assert answer.title.startswith("Error: Sign in")
