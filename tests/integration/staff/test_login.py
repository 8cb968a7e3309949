"""Signing in with a password: success, failure, unknown addresses, a fresh session each time,
timeouts and signing out."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient

from survey_app.extensions import get_db
from survey_app.services import accounts
from tests.helpers.pages import check_page
from tests.integration.staff.support import (
    HOME,
    LOGIN,
    PASSWORD,
    age_sessions,
    events,
    make_user,
    post_form,
    session_rows,
    sign_in,
    signed_in,
    submit_password,
)


def test_sign_in_page(client: FlaskClient) -> None:
    page = check_page(client.get(LOGIN))
    assert page.h1 == "Sign in to Candour"
    form = page.one("form[method=post]")
    assert form["action"] == LOGIN
    assert page.one("#email")["autocomplete"] == "username"
    assert page.one("#password")["type"] == "password"
    # Staff pages never offer "Exit this page".
    assert page.select(".cd-exit-this-page") == []


def test_facilitator_signs_in_with_a_password_only(app: Flask, client: FlaskClient) -> None:
    staff = make_user(app, "facilitator")
    response = submit_password(client, "  Facilitator@Example.org ", staff.password)
    assert response.status_code == 303
    assert response.headers["Location"] == HOME
    page = check_page(client.get(HOME))
    assert page.h1 == "Your series"
    assert page.one(".staff-nav__who").get_text(strip=True) == (
        "Signed in as facilitator@example.org"
    )
    [login] = events(app, "login")
    assert login.actor == "facilitator@example.org"
    assert login.occurred_at.tzinfo is not None


def test_viewer_home_is_the_published_reports_page(app: Flask) -> None:
    client, _staff = signed_in(app, "viewer")
    response = client.get(HOME)
    assert response.status_code == 303
    page = check_page(client.get(response.headers["Location"]))
    assert page.h1 == "Published reports"
    assert page.select("#releases") == []


@pytest.mark.parametrize("email", ["viewer@example.org", "nobody@example.org"])
def test_wrong_details_get_one_message_whoever_it_is(
    app: Flask, client: FlaskClient, email: str
) -> None:
    make_user(app, "viewer")
    response = submit_password(client, email, "not the password")
    page = check_page(response)
    assert page.title == "Error: Sign in – Candour"
    assert page.error_messages() == ["Enter a correct email address and password"]
    assert page.one("#email")["value"] == email
    assert not page.one("#password").has_attr("value")
    with client.session_transaction() as session:
        assert "staff_token" not in session
    assert session_rows(app) == []
    [failed] = events(app, "login_failed")
    # An address with no account is not recorded: it could be anything, even a password.
    assert failed.actor == (email if email == "viewer@example.org" else None)


def test_empty_form_says_what_to_enter(client: FlaskClient) -> None:
    page = check_page(post_form(client, LOGIN, {"email": "", "password": ""}))
    assert page.error_messages() == ["Enter your email address", "Enter your password"]


def test_sign_in_starts_a_new_session(app: Flask, client: FlaskClient) -> None:
    staff = make_user(app, "viewer")
    with client.session_transaction() as session:
        session["left_over"] = "from before"
    submit_password(client, staff.email, staff.password)
    with client.session_transaction() as session:
        assert "left_over" not in session
        assert isinstance(session["staff_token"], str)
    [row] = session_rows(app)
    assert row.stage == "done"


def test_signing_in_again_replaces_the_token(app: Flask, client: FlaskClient) -> None:
    """Session fixation: a token planted in a browser before sign-in never becomes signed in."""
    staff = make_user(app, "analyst")  # half-way (enrol) after the password: may sign in again
    submit_password(client, staff.email, staff.password)
    with client.session_transaction() as session:
        planted = session["staff_token"]
    [before] = session_rows(app)
    submit_password(client, staff.email, staff.password)
    with client.session_transaction() as session:
        assert session["staff_token"] != planted
    [after] = session_rows(app)
    assert after.id != before.id  # the planted token's session is gone


def test_pages_need_a_signed_in_user(client: FlaskClient) -> None:
    for url in (HOME, "/staff/surveys/new", "/staff/users", "/staff/audit", "/staff/releases"):
        response = client.get(url)
        assert response.status_code == 303, url
        assert response.headers["Location"].startswith(f"{LOGIN}?next=")


def test_after_signing_in_you_return_to_the_page_you_asked_for(
    app: Flask, client: FlaskClient
) -> None:
    staff = make_user(app, "facilitator")
    response = client.get("/staff/releases")
    login_url = response.headers["Location"]
    page = check_page(client.get(login_url))
    response = client.post(
        login_url,
        data={"email": staff.email, "password": PASSWORD, "csrf_token": page.csrf_token()},
    )
    assert response.headers["Location"] == "/staff/releases"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/s/x/"])
def test_sign_in_never_sends_you_elsewhere(app: Flask, client: FlaskClient, target: str) -> None:
    staff = make_user(app, "facilitator")
    url = f"{LOGIN}?next={target}"
    page = check_page(client.get(url))
    response = client.post(
        url, data={"email": staff.email, "password": PASSWORD, "csrf_token": page.csrf_token()}
    )
    assert response.headers["Location"] == HOME


def test_deactivated_account_cannot_sign_in_and_its_session_ends(app: Flask) -> None:
    client, staff = signed_in(app, "viewer")
    assert client.get("/staff/releases").status_code == 200
    with app.app_context():
        accounts.deactivate(get_db(), email=staff.email, actor="test")
    response = client.get("/staff/releases")
    assert response.status_code == 303
    assert response.headers["Location"].startswith(LOGIN)
    page = check_page(submit_password(app.test_client(), staff.email, staff.password))
    assert page.error_messages() == ["Enter a correct email address and password"]


def test_idle_session_is_signed_out(app: Flask) -> None:
    client, staff = signed_in(app, "facilitator")
    age_sessions(app, staff.email, idle=dt.timedelta(minutes=29))
    assert client.get(HOME).status_code == 200  # still inside the 30 minutes
    age_sessions(app, staff.email, idle=dt.timedelta(minutes=31))
    response = client.get(HOME)
    assert response.status_code == 303
    assert response.headers["Location"].startswith(LOGIN)
    page = check_page(client.get(response.headers["Location"]))
    banner = page.one(".cd-notification-banner__heading").get_text(strip=True)
    assert banner.startswith("You were signed out because you had not used Candour for 30")
    with client.session_transaction() as session:
        assert "staff_token" not in session
    assert session_rows(app) == []  # the stale row is deleted, not just ignored


def test_activity_keeps_a_session_alive_until_its_lifetime_ends(app: Flask) -> None:
    client, staff = signed_in(app, "facilitator")
    minute = dt.timedelta(minutes=1)
    age_sessions(app, staff.email, idle=minute, signed_in_for=dt.timedelta(hours=11))
    assert client.get(HOME).status_code == 200
    age_sessions(app, staff.email, idle=minute, signed_in_for=dt.timedelta(hours=12) + minute)
    response = client.get(HOME)
    assert response.headers["Location"].startswith(LOGIN)
    page = check_page(client.get(LOGIN))
    banner = page.one(".cd-notification-banner__heading").get_text(strip=True)
    assert "signed in for 12 hours" in banner


def test_idle_timeout_comes_from_configuration(app: Flask) -> None:
    app.config["SURVEY_STAFF_IDLE_MINUTES"] = 5
    client, staff = signed_in(app, "facilitator")
    age_sessions(app, staff.email, idle=dt.timedelta(minutes=4))
    assert client.get(HOME).status_code == 200
    age_sessions(app, staff.email, idle=dt.timedelta(minutes=6))
    assert client.get(HOME).status_code == 303


def test_sign_out(app: Flask) -> None:
    client, staff = signed_in(app, "viewer")
    page = check_page(client.get("/staff/releases"))
    form = page.one("form.staff-nav__sign-out")
    assert form["action"] == "/staff/logout"
    response = client.post("/staff/logout", data={"csrf_token": page.csrf_token()})
    assert response.status_code == 303
    assert response.headers["Location"] == LOGIN
    page = check_page(client.get(LOGIN))
    assert page.one(".cd-notification-banner__heading").get_text(strip=True) == (
        "You have signed out."
    )
    assert client.get("/staff/releases").status_code == 303
    [logout] = events(app, "logout")
    assert logout.actor == staff.email


def test_sign_out_needs_a_post_with_a_csrf_token(app: Flask) -> None:
    client, _staff = signed_in(app, "viewer")
    assert client.get("/staff/logout").status_code == 405
    assert client.post("/staff/logout").status_code == 400
    assert client.get("/staff/releases").status_code == 200
    assert events(app, "logout") == []


def test_signing_in_again_while_signed_in_goes_home(app: Flask) -> None:
    client, staff = signed_in(app, "facilitator")
    response = client.get(LOGIN)
    assert response.status_code == 303
    assert response.headers["Location"] == HOME
    sign_in(app.test_client(), staff)  # another browser may sign in too
    assert len(events(app, "login")) == 2
