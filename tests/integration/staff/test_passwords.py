"""Changing your own password, and the change a password reset makes compulsory: nothing but
"Change your password" until it is done, the current password asked for unless forced,
12 characters or more, different from the old one, other sessions ended, this one kept."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from survey_app.extensions import get_db
from survey_app.services import accounts
from survey_app.services.accounts import PasswordChangeError
from tests.helpers.pages import check_page
from tests.integration.staff.support import (
    CHANGE_PASSWORD,
    CODE,
    HOME,
    LOGIN,
    PASSWORD,
    Staff,
    account_id,
    events,
    hasher,
    make_user,
    post_form,
    session_rows,
    sign_in,
    signed_in,
    submit_password,
)

NEW = "a brand new staff password"
CHANGED = "/staff/account/password/changed"


def reset(app: Flask, staff: Staff) -> str:
    with app.app_context():
        _account, password = accounts.reset_password(
            get_db(), hasher(app), email=staff.email, actor="cli"
        )
    staff.password = password
    return password


def change(client: FlaskClient, **fields: str) -> TestResponse:
    return post_form(client, CHANGE_PASSWORD, fields)


def test_every_signed_in_member_of_staff_can_reach_the_page(app: Flask) -> None:
    for role in ("viewer", "facilitator", "analyst", "admin"):
        client, _staff = signed_in(app, role)
        page = check_page(client.get(HOME if role != "viewer" else "/staff/releases"))
        link = page.one(f".staff-nav a[href='{CHANGE_PASSWORD}']")
        assert link.get_text(strip=True) == "Change your password"
        page = check_page(client.get(CHANGE_PASSWORD))
        assert page.h1 == "Change your password"
        assert page.one("#current_password")["autocomplete"] == "current-password"
        assert page.one("#new_password")["autocomplete"] == "new-password"
    assert app.test_client().get(CHANGE_PASSWORD).headers["Location"].startswith(LOGIN)


def test_change_keeps_this_session_and_ends_the_others(app: Flask) -> None:
    staff = make_user(app, "facilitator")
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here, staff)
    sign_in(elsewhere, staff)
    response = change(here, current_password=PASSWORD, new_password=NEW, confirm_password=NEW)
    assert response.headers["Location"] == CHANGED
    page = check_page(here.get(CHANGED))
    assert page.h1 == "Your password has been changed"
    assert here.get(HOME).status_code == 200
    assert elsewhere.get(HOME).headers["Location"].startswith(LOGIN)
    assert len(session_rows(app, staff.email)) == 1
    assert submit_password(app.test_client(), staff.email, PASSWORD).status_code == 200
    assert submit_password(app.test_client(), staff.email, NEW).status_code == 303
    [changed] = events(app, "password_changed")
    assert (changed.actor, changed.detail) == (staff.email, "")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"current_password": "", "new_password": NEW, "confirm_password": NEW},
            ["Enter your current password"],
        ),
        (
            {"current_password": "not my password", "new_password": NEW, "confirm_password": NEW},
            ["Enter your current password correctly"],
        ),
        (
            {"current_password": PASSWORD, "new_password": "", "confirm_password": ""},
            ["Enter a new password"],
        ),
        (
            {"current_password": PASSWORD, "new_password": "eleven char", "confirm_password": ""},
            [
                "Enter a new password of at least 12 characters",
                "Enter the same new password twice",
            ],
        ),
        (
            {"current_password": PASSWORD, "new_password": NEW, "confirm_password": NEW + "x"},
            ["Enter the same new password twice"],
        ),
        (
            {"current_password": PASSWORD, "new_password": PASSWORD, "confirm_password": PASSWORD},
            ["Enter a new password that is different from your current one"],
        ),
    ],
)
def test_mistakes_are_shown_with_links_to_the_fields(
    app: Flask, fields: dict[str, str], expected: list[str]
) -> None:
    client, staff = signed_in(app, "viewer")
    page = check_page(change(client, **fields))
    assert page.title == "Error: Change your password – Candour"
    assert page.error_messages() == expected
    assert all(not field.has_attr("value") for field in page.select("input[type=password]"))
    assert events(app, "password_changed") == []
    assert submit_password(app.test_client(), staff.email, PASSWORD).status_code == 303


def test_a_reset_password_must_be_changed_before_anything_else(app: Flask) -> None:
    staff = make_user(app, "facilitator")
    temporary = reset(app, staff)
    client = app.test_client()
    response = submit_password(client, staff.email, temporary)
    assert response.headers["Location"] == CHANGE_PASSWORD
    for url in (HOME, "/staff/releases", "/staff/users"):
        assert client.get(url).headers["Location"] == CHANGE_PASSWORD, url
    page = check_page(client.get(CHANGE_PASSWORD))
    assert page.select("#current_password") == []  # the temporary password was just used
    assert "An admin has reset your password" in page.one(".cd-inset-text").get_text()
    nav = [a["href"] for a in page.select(".staff-nav a")]
    assert nav == [CHANGE_PASSWORD]
    page = check_page(change(client, new_password=temporary, confirm_password=temporary))
    assert page.error_messages() == ["Enter a new password that is different from your current one"]
    response = change(client, new_password=NEW, confirm_password=NEW)
    assert response.headers["Location"] == CHANGED
    assert client.get(HOME).status_code == 200
    assert submit_password(app.test_client(), staff.email, temporary).status_code == 200
    [changed] = events(app, "password_changed")
    assert changed.detail == "after a reset"


def test_after_the_second_factor_an_admin_changes_a_reset_password(app: Flask) -> None:
    staff = make_user(app, "admin")
    sign_in(app.test_client(), staff)  # enrolled
    reset(app, staff)
    client = app.test_client()
    response = submit_password(client, staff.email, staff.password)
    assert response.headers["Location"] == CODE
    assert client.get(CHANGE_PASSWORD).headers["Location"] == CODE  # not before the code
    response = post_form(client, CODE, {"code": staff.code(1)})
    assert response.headers["Location"] == CHANGE_PASSWORD
    assert client.get("/staff/audit").headers["Location"] == CHANGE_PASSWORD
    change(client, new_password=NEW, confirm_password=NEW)
    assert check_page(client.get("/staff/audit")).h1 == "Audit log"


def test_where_you_were_going_waits_until_the_password_is_changed(app: Flask) -> None:
    staff = make_user(app, "facilitator")
    temporary = reset(app, staff)
    client = app.test_client()
    login_url = client.get("/staff/releases").headers["Location"]
    page = check_page(client.get(login_url))
    client.post(
        login_url,
        data={"email": staff.email, "password": temporary, "csrf_token": page.csrf_token()},
    )
    change(client, new_password=NEW, confirm_password=NEW)
    page = check_page(client.get(CHANGED))
    assert page.one("main a.cd-link")["href"] == "/staff/releases"


def test_the_service_refuses_what_the_form_would(app: Flask) -> None:
    staff = make_user(app, "viewer")
    user_id = account_id(app, staff.email)
    with app.app_context():
        db = get_db()
        for current, new, field in [
            (None, NEW, "current_password"),
            ("wrong password here", NEW, "current_password"),
            (PASSWORD, "short", "new_password"),
            (PASSWORD, PASSWORD, "new_password"),
        ]:
            with pytest.raises(PasswordChangeError) as caught:
                accounts.change_password(db, hasher(app), user_id, current=current, new=new)
            assert caught.value.field == field
        accounts.change_password(db, hasher(app), user_id, current=PASSWORD, new=NEW)
    assert session_rows(app) == []


def test_wrong_current_passwords_are_rate_limited(app: Flask) -> None:
    client, _staff = signed_in(app, "viewer")
    statuses = [
        change(
            client, current_password="a wrong guess!", new_password=NEW, confirm_password=NEW
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [200] * 5 + [429]
