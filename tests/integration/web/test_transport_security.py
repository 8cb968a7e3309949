"""Strict-Transport-Security: sent with every response that came over HTTPS, never over plain
HTTP (where a browser would ignore it, and where it must not stick to a development server).
Behind a proxy, gunicorn decides what came over HTTPS: the X-Forwarded-Proto of the proxies it
trusts (``forwarded_allow_ips`` in survey_app/gunicorn_conf.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from survey_app.web import STRICT_TRANSPORT_SECURITY
from tests.helpers.journey import create_survey
from tests.integration.staff.test_server_logs import OUR_SETTINGS, environment, exchange, gunicorn

HSTS = "Strict-Transport-Security"
PATHS = [
    "/",
    "/privacy",
    "/s/sample-survey/",
    "/staff/login",
    "/staff/",  # a redirect to sign in
    "/staff/audit?page=%C2%B2",
    "/healthz",
    "/static/nope.css",  # not found
    "/no-such-page",
]


@pytest.fixture
def site(sample_app: Flask) -> Flask:
    create_survey(sample_app, "sample-survey")
    return sample_app


def test_the_header_asks_for_a_year_of_https_subdomains_too() -> None:
    assert STRICT_TRANSPORT_SECURITY == "max-age=31536000; includeSubDomains"


def test_every_response_over_https_has_it_and_none_over_plain_http(site: Flask) -> None:
    client = site.test_client()
    for path in PATHS:
        secure = client.get(path, base_url="https://survey.example.org")
        assert secure.headers.get(HSTS) == STRICT_TRANSPORT_SECURITY, (path, secure.status_code)
        plain = client.get(path, base_url="http://survey.example.org")
        assert HSTS not in plain.headers, path
    # A form sent over HTTPS too, refused or not.
    refused = client.post("/staff/login", data={}, base_url="https://survey.example.org")
    assert refused.status_code == 400  # no CSRF token
    assert refused.headers.get(HSTS) == STRICT_TRANSPORT_SECURITY
    assert HSTS not in client.post("/staff/login", data={}).headers


def test_behind_a_proxy_gunicorn_says_what_came_over_https(tmp_path: Path) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n%sConnection: close\r\n\r\n"
    with gunicorn(environment(tmp_path), OUR_SETTINGS, tmp_path / "log") as port:
        secure = exchange(port, request % b"X-Forwarded-Proto: https\r\n")
        plain = exchange(port, request % b"")
        told_plain = exchange(port, request % b"X-Forwarded-Proto: http\r\n")
    header = f"{HSTS}: {STRICT_TRANSPORT_SECURITY}".encode()
    assert secure.startswith(b"HTTP/1.1 200") and header in secure
    assert plain.startswith(b"HTTP/1.1 200") and HSTS.encode() not in plain
    assert told_plain.startswith(b"HTTP/1.1 200") and HSTS.encode() not in told_plain
