"""Two-factor sign-in for admins and analysts: setting up an authenticator app at the first
sign-in, then a code at every sign-in. Codes are computed with pyotp, as a phone would."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import get_db
from survey_app.services import accounts
from survey_app.storage.models import StaffUser
from tests.helpers.pages import check_page
from tests.integration.staff.support import (
    CODE,
    ENROL,
    HOME,
    LOGIN,
    Staff,
    events,
    make_user,
    post_form,
    read_secret,
    sign_in,
    submit_password,
)

STAFF_PAGES = [HOME, "/staff/surveys/new", "/staff/users", "/staff/audit", "/staff/releases"]


def wrong(code: str) -> str:
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_first_sign_in_sets_up_an_authenticator(app: Flask, client: FlaskClient, role: str) -> None:
    staff = make_user(app, role)
    response = submit_password(client, staff.email, staff.password)
    assert response.headers["Location"] == ENROL
    page = check_page(client.get(ENROL))
    assert page.h1 == "Set up two-factor authentication"
    secret = read_secret(page)
    grouped = page.one("#totp-secret").get_text(strip=True).split(" ")
    assert all(len(group) == 4 for group in grouped) and len(grouped) == 8
    assert base64.b32decode(secret)  # a real base32 key
    uri = page.one(".staff-uri").get_text(strip=True)
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    assert unquote(parsed.path) == f"/Candour:{staff.email}"
    assert parse_qs(parsed.query)["secret"] == [secret]
    qr = page.one("img.staff-qr")
    assert str(qr["src"]).startswith("data:image/svg+xml")  # made here, nothing fetched
    assert qr["alt"]
    staff.secret = secret
    response = post_form(client, ENROL, {"code": staff.code()})
    assert response.status_code == 303
    assert response.headers["Location"] == HOME
    assert check_page(client.get(HOME)).h1 == "Surveys"
    assert [e.actor for e in events(app, "totp_enrolled")] == [staff.email]
    assert [e.actor for e in events(app, "login")] == [staff.email]
    with app.app_context(), get_db().session() as session:
        row = session.scalar(select(StaffUser).where(StaffUser.email == staff.email))
        assert row is not None and row.totp_enabled
        assert row.totp_secret is not None and secret.encode() not in row.totp_secret


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_no_staff_page_before_the_second_factor(app: Flask, client: FlaskClient, role: str) -> None:
    staff = make_user(app, role)
    submit_password(client, staff.email, staff.password)
    for url in STAFF_PAGES:
        response = client.get(url)
        assert response.status_code == 303, url
        assert response.headers["Location"] == ENROL, url
    assert client.get(CODE).headers["Location"] == LOGIN  # not at that stage
    sign_in(app.test_client(), staff)  # enrol in another browser
    other = app.test_client()
    submit_password(other, staff.email, staff.password)
    for url in STAFF_PAGES:
        assert other.get(url).headers["Location"] == CODE, url
    assert other.get(ENROL).headers["Location"] == LOGIN


def test_wrong_code_at_enrolment_is_refused(app: Flask, client: FlaskClient) -> None:
    staff = make_user(app, "admin")
    submit_password(client, staff.email, staff.password)
    staff.secret = read_secret(check_page(client.get(ENROL)))
    page = check_page(post_form(client, ENROL, {"code": wrong(staff.code())}))
    assert page.title.startswith("Error: ")
    assert page.error_messages()[0].startswith("Enter the code your authenticator app shows now")
    assert read_secret(page) == staff.secret  # the same key, so a scanned code still works
    assert events(app, "totp_enrolled") == []
    page = check_page(post_form(client, ENROL, {"code": "12ab"}))
    assert page.error_messages() == [
        "Enter the code your authenticator app shows now. Each code works once: if you have "
        "just used one, wait for the next"
    ]
    assert client.get(HOME).headers["Location"] == ENROL


def enrolled(app: Flask, role: str = "admin") -> Staff:
    staff = make_user(app, role)
    sign_in(app.test_client(), staff)
    return staff


def test_later_sign_ins_ask_for_a_code(app: Flask, client: FlaskClient) -> None:
    staff = enrolled(app)
    response = submit_password(client, staff.email, staff.password)
    assert response.headers["Location"] == CODE
    page = check_page(client.get(CODE))
    assert page.h1 == "Enter the code from your authenticator app"
    assert page.one("#code")["autocomplete"] == "one-time-code"
    response = post_form(client, CODE, {"code": staff.code(1)})
    assert response.headers["Location"] == HOME
    assert check_page(client.get(HOME)).h1 == "Surveys"
    assert len(events(app, "login")) == 2


def test_wrong_and_reused_codes_are_refused(app: Flask) -> None:
    staff = enrolled(app)  # used the current step's code
    first = app.test_client()
    submit_password(first, staff.email, staff.password)
    # The code just used to enrol, and a wrong one, are refused.
    for code in (staff.code(), wrong(staff.code(1))):
        page = check_page(post_form(first, CODE, {"code": code}))
        assert page.error_messages()[0].startswith("Enter the code your authenticator app")
    assert first.get(HOME).headers["Location"] == CODE
    assert post_form(first, CODE, {"code": staff.code(1)}).headers["Location"] == HOME
    # Someone who saw that code cannot use it in another browser, even with the password.
    second = app.test_client()
    submit_password(second, staff.email, staff.password)
    page = check_page(post_form(second, CODE, {"code": staff.code(1)}))
    assert page.title.startswith("Error: ")
    assert second.get(HOME).headers["Location"] == CODE
    failures = events(app, "login_failed")
    assert [e.detail for e in failures] == ["wrong or reused two-factor code"] * 3


def test_facilitators_and_viewers_never_need_a_code(app: Flask) -> None:
    for role in ("facilitator", "viewer"):
        staff = make_user(app, role)
        client = app.test_client()
        response = submit_password(client, staff.email, staff.password)
        assert response.headers["Location"] == HOME
        assert client.get(ENROL).headers["Location"] == LOGIN


def test_reset_two_factor_means_setting_up_again(app: Flask, client: FlaskClient) -> None:
    staff = enrolled(app, "analyst")
    old_secret = staff.secret
    with app.app_context():
        accounts.reset_two_factor(get_db(), email=staff.email, actor="cli")
    response = submit_password(client, staff.email, staff.password)
    assert response.headers["Location"] == ENROL
    assert read_secret(check_page(client.get(ENROL))) != old_secret
    [reset] = events(app, "totp_reset")
    assert (reset.actor, reset.detail) == ("cli", staff.email)


def test_a_reset_while_half_signed_in_ends_the_sign_in(app: Flask, client: FlaskClient) -> None:
    staff = enrolled(app)
    submit_password(client, staff.email, staff.password)
    token = check_page(client.get(CODE)).csrf_token()
    with app.app_context():
        accounts.reset_two_factor(get_db(), email=staff.email, actor="cli")
    response = client.post(CODE, data={"code": staff.code(1), "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == LOGIN
    assert client.get(HOME).headers["Location"].startswith(LOGIN)
    assert len(events(app, "login")) == 1  # the enrolment's sign-in only
