"""What admins do from the browser that once needed ``flask users``: create an account (with a
temporary password shown once), change its role (never leaving no active admin), and give it
surveys and series to work on or take them away. POST forms with CSRF tokens, admins only,
every change in the audit log, bad input answered with an error summary."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from survey_app.extensions import get_db
from survey_app.services import accounts
from survey_app.services.surveys import SurveyInfo
from tests.helpers.journey import create_survey
from tests.helpers.pages import Page, check_page
from tests.integration.services.test_sessions import make_series
from tests.integration.staff.support import (
    CHANGE_PASSWORD,
    ENROL,
    HOME,
    LOGIN,
    Staff,
    account_id,
    events,
    form_token,
    make_user,
    post_form,
    session_rows,
    signed_in,
    submit_password,
)

NEW = "/staff/users/new"
SETUP_EVENTS = {"login", "totp_enrolled", "user_created"}


@pytest.fixture
def admin(app: Flask) -> tuple[FlaskClient, Staff]:
    return signed_in(app, "admin", "lead@example.org")


def user_url(app: Flask, email: str, action: str | None = None) -> str:
    url = f"/staff/users/{account_id(app, email)}"
    return f"{url}/{action}" if action else url


def changes(app: Flask) -> list[str]:
    """Audit actions other than the ones signing in and making test accounts leave."""
    return [e.action for e in events(app) if e.action not in SETUP_EVENTS]


def find(app: Flask, email: str) -> accounts.StaffAccount | None:
    with app.app_context():
        return accounts.find_account(get_db(), email)


# --- creating an account ----------------------------------------------------------------------


def test_the_users_page_no_longer_sends_admins_to_a_shell(
    app: Flask, admin: tuple[FlaskClient, Staff]
) -> None:
    client, _me = admin
    page = check_page(client.get("/staff/users"))
    assert "flask" not in page.text()
    assert page.one("main a[href='/staff/users/new']").get_text(strip=True) == "Create an account"


@pytest.mark.parametrize(
    ("role", "after_password"), [("viewer", CHANGE_PASSWORD), ("analyst", ENROL)]
)
def test_an_admin_creates_an_account_with_a_temporary_password(
    app: Flask, admin: tuple[FlaskClient, Staff], role: str, after_password: str
) -> None:
    client, me = admin
    page = check_page(client.get(NEW))
    assert page.h1 == "Create an account"
    assert [str(i["value"]) for i in page.select("input[name=role]")] == list(accounts.ROLES)
    assert page.one("main form[method=post]")["action"] == NEW
    response = post_form(client, NEW, {"email": " New.Person@Example.org ", "role": role})
    assert response.headers["Cache-Control"] == "no-store"
    page = check_page(response)
    assert page.one(".cd-panel__title").get_text(strip=True) == "Account created"
    temporary = page.one("#temporary-password").get_text(strip=True)
    assert len(temporary) == 19
    account = find(app, "new.person@example.org")
    assert account is not None
    assert (account.role, account.active, account.must_change_password) == (role, True, True)
    assert page.one(f"main a[href='{user_url(app, account.email)}']")
    [created] = events(app, "user_created")[:1]
    assert (created.actor, created.detail) == (me.email, f"new.person@example.org as {role}")
    # Its owner signs in with it and must choose a password of their own (after two-factor).
    response = submit_password(app.test_client(), account.email, temporary)
    assert response.headers["Location"] == after_password
    # The password is in that one response only: not on later pages, not in the database.
    assert temporary not in client.get(user_url(app, account.email)).get_data(as_text=True)
    with app.app_context(), get_db().engine.connect() as connection:
        for table in ("staff_users", "audit_events", "staff_sessions"):
            rows = connection.execute(text(f"SELECT * FROM {table}")).all()
            assert temporary not in repr(rows), table


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "", "role": "analyst"}, "#email", "Enter their email address"),
        ({"email": "   ", "role": "analyst"}, "#email", "Enter their email address"),
        ({"email": "not-an-address", "role": "analyst"}, "#email", "Enter an email address in "
         "the correct format, like name@example.com"),
        ({"email": "x" * 250 + "@example.org", "role": "viewer"}, "#email",
         "Enter an email address of 254 characters or fewer"),
        ({"email": "someone@example.org"}, "#role", "Select a role"),
        ({"email": "someone@example.org", "role": "owner"}, "#role", "Select a role"),
        ({"email": "LEAD@example.org", "role": "viewer"}, "#email",
         "There is already a staff account for lead@example.org"),
    ],
)  # fmt: skip
def test_bad_input_shows_the_form_again_with_an_error_summary(
    app: Flask,
    admin: tuple[FlaskClient, Staff],
    data: dict[str, Any],
    field: str,
    message: str,
) -> None:
    client, _me = admin
    page = check_page(post_form(client, NEW, data))
    assert page.h1 == "Create an account"
    assert page.error_messages() == [message]
    assert page.one(".cd-error-summary a")["href"] == field
    assert page.select("#temporary-password") == []
    assert changes(app) == []
    assert len(events(app, "user_created")) == 1  # the admin's own, made by the test


# --- changing a role --------------------------------------------------------------------------


def role_page(client: FlaskClient, app: Flask, email: str) -> Page:
    return check_page(client.get(user_url(app, email, "role")))


def test_an_admin_changes_a_role_and_signs_its_owner_out(
    app: Flask, admin: tuple[FlaskClient, Staff]
) -> None:
    client, me = admin
    target_client, target = signed_in(app, "analyst")
    page = check_page(client.get(user_url(app, target.email)))
    assert page.one("a[href$='/role']")["href"] == user_url(app, target.email, "role")
    page = role_page(client, app, target.email)
    assert page.h1 == "Change the role"
    assert page.one("input[name=role][checked]")["value"] == "analyst"
    response = post_form(client, user_url(app, target.email, "role"), {"role": "facilitator"})
    assert response.status_code == 303
    assert response.headers["Location"] == user_url(app, target.email) + "?done=role_changed"
    page = check_page(client.get(response.headers["Location"]))
    assert "role is changed" in page.one(".cd-notification-banner").get_text()
    account = find(app, target.email)
    assert account is not None and account.role == "facilitator"
    assert session_rows(app, target.email) == []
    assert target_client.get(HOME).headers["Location"].startswith(LOGIN)
    [event] = events(app, "role_changed")
    assert (event.actor, event.detail) == (me.email, f"{target.email} from analyst to facilitator")
    # Choosing the role it already has changes nothing and records nothing.
    response = post_form(client, user_url(app, target.email, "role"), {"role": "facilitator"})
    assert response.headers["Location"] == user_url(app, target.email)
    assert len(events(app, "role_changed")) == 1


def test_a_role_without_assignments_loses_them(
    app: Flask, admin: tuple[FlaskClient, Staff]
) -> None:
    client, _me = admin
    create_survey(app, "reflective-space-feedback", slug="feedback")
    target = make_user(app, "analyst")
    with app.app_context():
        accounts.assign(get_db(), email=target.email, slug="feedback", actor="test")
    post_form(client, user_url(app, target.email, "role"), {"role": "viewer"})
    with app.app_context():
        assert accounts.assignments(get_db(), account_id(app, target.email)) == []
    [event] = events(app, "role_changed")
    assert event.detail == f"{target.email} from analyst to viewer; 1 survey assignment removed"


def test_the_last_active_admin_keeps_their_role(
    app: Flask, admin: tuple[FlaskClient, Staff]
) -> None:
    client, me = admin
    deactivated = make_user(app, "admin", "gone@example.org")
    with app.app_context():
        accounts.deactivate(get_db(), email=deactivated.email, actor="test")
    page = role_page(client, app, me.email)
    assert "This is your own account" in page.one(".cd-warning-text").get_text()
    response = post_form(client, user_url(app, me.email, "role"), {"role": "analyst"})
    page = check_page(response)
    assert page.error_messages() == [
        "You are the only active admin. Make another account an admin before changing your own role"
    ]
    assert page.one(".cd-error-summary a")["href"] == "#role"
    me_now = find(app, me.email)
    assert me_now is not None and me_now.role == "admin"
    assert events(app, "role_changed") == []
    # With a second active admin, an admin may hand over and is signed out at once.
    make_user(app, "admin", "deputy@example.org")
    response = post_form(client, user_url(app, me.email, "role"), {"role": "analyst"})
    assert response.headers["Location"] == LOGIN
    assert client.get("/staff/users").headers["Location"].startswith(LOGIN)
    me_now = find(app, me.email)
    assert me_now is not None and me_now.role == "analyst"
    [event] = events(app, "role_changed")
    assert (event.actor, event.detail) == (me.email, f"{me.email} from admin to analyst")


@pytest.mark.parametrize("data", [{}, {"role": ""}, {"role": "superuser"}])
def test_a_role_must_be_one_of_the_roles(
    app: Flask, admin: tuple[FlaskClient, Staff], data: dict[str, str]
) -> None:
    client, _me = admin
    target = make_user(app, "viewer")
    page = check_page(post_form(client, user_url(app, target.email, "role"), data))
    assert page.error_messages() == ["Select a role"]
    assert page.one(".cd-error-summary a")["href"] == "#role"
    account = find(app, target.email)
    assert account is not None and account.role == "viewer"
    assert changes(app) == []


# --- surveys and series -----------------------------------------------------------------------


def surveys_and_series(app: Flask) -> tuple[SurveyInfo, SurveyInfo]:
    survey = create_survey(app, "reflective-space-feedback", slug="feedback")
    return survey, make_series(app)


def give(client: FlaskClient, app: Flask, email: str, data: dict[str, str]) -> Any:
    page = check_page(client.get(user_url(app, email)))
    token = str(page.select("form[method=post] input[name=csrf_token]")[0]["value"])
    return client.post(user_url(app, email, "surveys"), data={**data, "csrf_token": token})


def test_an_admin_gives_an_analyst_a_survey_and_takes_it_away(
    app: Flask, admin: tuple[FlaskClient, Staff]
) -> None:
    client, me = admin
    survey, series = surveys_and_series(app)
    analyst = make_user(app, "analyst")
    page = check_page(client.get(user_url(app, analyst.email)))
    assert page.one("#assigned-none")
    offered = [str(o["value"]) for o in page.select("select#survey option") if o["value"]]
    assert sorted(offered) == sorted([survey.slug, series.slug])
    response = give(client, app, analyst.email, {"survey": survey.slug})
    assert response.headers["Location"] == user_url(app, analyst.email) + "?done=assigned"
    page = check_page(client.get(response.headers["Location"]))
    assert [a.get_text(strip=True) for a in page.select("#assigned li a")] == [survey.title]
    offered = [str(o["value"]) for o in page.select("select#survey option") if o["value"]]
    assert offered == [series.slug]
    with app.app_context():
        assert accounts.may_work_on(get_db(), find(app, analyst.email), survey)  # type: ignore[arg-type]
    [event] = events(app, "user_assigned")
    assert (event.actor, event.survey_slug, event.detail) == (me.email, survey.slug, analyst.email)

    response = give(client, app, analyst.email, {"survey": survey.slug, "action": "remove"})
    assert response.headers["Location"] == user_url(app, analyst.email) + "?done=unassigned"
    page = check_page(client.get(response.headers["Location"]))
    assert page.select("#assigned") == []
    [event] = events(app, "user_unassigned")
    assert (event.actor, event.survey_slug, event.detail) == (me.email, survey.slug, analyst.email)
    # Taking away what is not there changes nothing and records nothing.
    response = give(client, app, analyst.email, {"survey": survey.slug, "action": "remove"})
    assert response.headers["Location"] == user_url(app, analyst.email)
    assert len(events(app, "user_unassigned")) == 1


def test_facilitators_are_offered_series_only(app: Flask, admin: tuple[FlaskClient, Staff]) -> None:
    client, _me = admin
    survey, series = surveys_and_series(app)
    facilitator = make_user(app, "facilitator")
    page = check_page(client.get(user_url(app, facilitator.email)))
    offered = [str(o["value"]) for o in page.select("select#survey option") if o["value"]]
    assert offered == [series.slug]
    page = check_page(give(client, app, facilitator.email, {"survey": survey.slug}))
    assert page.error_messages() == ["Select a survey or series to give them"]
    assert give(client, app, facilitator.email, {"survey": series.slug}).status_code == 303
    assert [e.survey_slug for e in events(app, "user_assigned")] == [series.slug]


@pytest.mark.parametrize(
    ("role", "data", "target"),
    [
        ("analyst", {"survey": ""}, "#survey"),
        ("analyst", {"survey": "no-such-survey"}, "#survey"),
        ("analyst", {"survey": "x" * 500}, "#survey"),
        ("analyst", {"survey": "no-such-survey", "action": "remove"}, "#assignments"),
        ("viewer", {"survey": "feedback"}, "#assignments"),
        ("admin", {"survey": "feedback"}, "#assignments"),
    ],
)
def test_bad_choices_show_the_account_page_with_an_error_summary(
    app: Flask, admin: tuple[FlaskClient, Staff], role: str, data: dict[str, str], target: str
) -> None:
    client, _me = admin
    surveys_and_series(app)
    person = make_user(app, role, "person@example.org")
    page = check_page(give(client, app, person.email, data))
    assert page.h1 == person.email
    assert page.error_messages() == ["Select a survey or series to give them"]
    assert page.one(".cd-error-summary a")["href"] == target
    assert changes(app) == []


def test_admins_and_viewers_are_not_offered_surveys(
    app: Flask, admin: tuple[FlaskClient, Staff]
) -> None:
    client, me = admin
    surveys_and_series(app)
    viewer = make_user(app, "viewer")
    for email, says in [(me.email, "every survey"), (viewer.email, "change their role")]:
        page = check_page(client.get(user_url(app, email)))
        assert page.select("select#survey") == []
        assert says in page.text()


# --- who may, and CSRF ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["analyst", "facilitator", "viewer"])
def test_only_admins_may(app: Flask, role: str) -> None:
    client, staff = signed_in(app, role)
    create_survey(app, "reflective-space-feedback", slug="feedback")
    target = make_user(app, "analyst", "target@example.org")
    token = form_token(check_page(client.get(CHANGE_PASSWORD)))
    assert client.get(NEW).status_code == 403
    assert client.get(user_url(app, target.email, "role")).status_code == 403
    posts: list[tuple[str, dict[str, str]]] = [
        (NEW, {"email": "new@example.org", "role": "admin"}),
        (user_url(app, target.email, "role"), {"role": "admin"}),
        (user_url(app, staff.email, "role"), {"role": "admin"}),
        (user_url(app, target.email, "surveys"), {"survey": "feedback"}),
    ]
    for url, data in posts:
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 403, url
    assert find(app, "new@example.org") is None
    assert changes(app) == []


def test_every_change_needs_a_csrf_token(app: Flask, admin: tuple[FlaskClient, Staff]) -> None:
    client, _me = admin
    create_survey(app, "reflective-space-feedback", slug="feedback")
    target = make_user(app, "analyst", "target@example.org")
    posts: list[tuple[str, dict[str, str]]] = [
        (NEW, {"email": "new@example.org", "role": "admin"}),
        (user_url(app, target.email, "role"), {"role": "admin"}),
        (user_url(app, target.email, "surveys"), {"survey": "feedback"}),
    ]
    for url, data in posts:
        assert client.post(url, data=data).status_code == 400, url
        assert client.post(url, data={**data, "csrf_token": "x"}).status_code == 400, url
    assert find(app, "new@example.org") is None
    assert changes(app) == []


def test_signed_out_visitors_are_sent_to_sign_in(app: Flask) -> None:
    target = make_user(app, "viewer")
    client = app.test_client()
    for url in (NEW, user_url(app, target.email, "role")):
        assert client.get(url).headers["Location"].startswith(LOGIN)
    token = check_page(client.get(LOGIN)).csrf_token()
    response = client.post(
        NEW, data={"email": "x@example.org", "role": "admin", "csrf_token": token}
    )
    assert response.headers["Location"].startswith(LOGIN)
    assert find(app, "x@example.org") is None


def test_unknown_accounts_are_not_found(app: Flask, admin: tuple[FlaskClient, Staff]) -> None:
    client, _me = admin
    token = form_token(check_page(client.get(NEW)))
    assert client.get("/staff/users/no-such-account/role").status_code == 404
    for action in ("role", "surveys"):
        url = f"/staff/users/no-such-account/{action}"
        assert client.post(url, data={"csrf_token": token, "role": "admin"}).status_code == 404
