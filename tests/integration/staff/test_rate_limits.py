"""Sign-in attempts are limited per account and per client address (see also
``test_sign_in_limits.py``), and never on the respondent pages."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.journey import create_survey
from tests.helpers.pages import check_page
from tests.integration.staff.support import (
    CODE,
    HOME,
    LOGIN,
    make_user,
    post_form,
    sign_in,
    submit_password,
)


def attempt(client: FlaskClient, email: str, password: str = "wrong password") -> int:
    token = check_page(client.get(LOGIN)).csrf_token()
    response = client.post(LOGIN, data={"email": email, "password": password, "csrf_token": token})
    return response.status_code


def test_sixth_attempt_in_a_minute_gets_the_too_many_attempts_page(
    app: Flask, client: FlaskClient
) -> None:
    staff = make_user(app, "viewer")
    assert [attempt(client, staff.email) for _ in range(5)] == [200] * 5
    token = check_page(client.get(LOGIN)).csrf_token()
    response = client.post(
        LOGIN, data={"email": staff.email, "password": staff.password, "csrf_token": token}
    )
    page = check_page(response, 429)
    assert page.h1 == "Sorry, there have been too many attempts"
    with client.session_transaction() as session:
        assert "staff_token" not in session  # even the right password is not tried


def test_limit_is_per_account_typed_in_any_case(app: Flask) -> None:
    first, second = make_user(app, "viewer"), make_user(app, "facilitator")
    client = app.test_client()
    emails = ["viewer@example.org", "VIEWER@example.org", " Viewer@Example.org "]
    assert [attempt(client, emails[i % 3]) for i in range(5)] == [200] * 5
    assert attempt(client, first.email) == 429
    # The same browser (and so the same address) can still sign in to another account.
    assert attempt(client, second.email, second.password) == 303


def test_limit_resets_after_the_window(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    staff = make_user(app, "viewer")
    client = app.test_client()
    for _ in range(5):
        attempt(client, staff.email)
    assert attempt(client, staff.email) == 429
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    assert attempt(client, staff.email, staff.password) == 303


def test_hourly_limit_per_account(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    staff = make_user(app, "viewer")
    client = app.test_client()
    start = time.time()
    for minute in range(4):
        monkeypatch.setattr(time, "time", lambda m=minute: start + 61 * m)
        assert [attempt(client, staff.email) for _ in range(5)] == [200] * 5
    monkeypatch.setattr(time, "time", lambda: start + 61 * 4)
    assert attempt(client, staff.email) == 429


def test_limit_per_client_address_across_accounts(app: Flask, client: FlaskClient) -> None:
    app.config["SURVEY_LOGIN_LIMIT_PER_ADDRESS"] = "8 per minute"
    statuses = [attempt(client, f"person{i}@example.org") for i in range(9)]
    assert statuses == [200] * 8 + [429]
    # Someone else, somewhere else, is not held up by it.
    staff = make_user(app, "viewer")
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert attempt(elsewhere, staff.email, staff.password) == 303


def test_two_factor_codes_are_limited_per_account(app: Flask) -> None:
    staff = make_user(app, "admin")
    sign_in(app.test_client(), staff)
    client = app.test_client()
    submit_password(client, staff.email, staff.password)
    page = check_page(client.get(CODE))
    statuses = [
        client.post(CODE, data={"code": "000000", "csrf_token": page.csrf_token()}).status_code
        for _ in range(6)
    ]
    assert statuses == [200] * 5 + [429]


def test_the_account_limit_is_not_kept_by_client_address(app: Flask) -> None:
    staff = make_user(app, "viewer")
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        assert attempt(client, staff.email) == 200
    # A new address does not help: the count belongs to the account.
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert attempt(client, staff.email, staff.password) == 429


def test_respondent_pages_are_never_limited(app: Flask, client: FlaskClient) -> None:
    app.config["SURVEY_LOGIN_LIMIT_PER_ADDRESS"] = "1 per minute"
    create_survey(app, "reflective-space-feedback", slug="coded", access="codes")
    assert attempt(client, "someone@example.org") == 200
    for _ in range(30):
        assert client.get("/").status_code == 200
        response = post_form(client, "/s/coded/", {"access_code": "AAAA-BBBB-CCCC-DDDD"})
        assert response.status_code == 200
    assert client.get(HOME).status_code == 303
