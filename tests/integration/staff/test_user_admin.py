"""What admins do to other accounts on /staff/users: deactivate (asks first), reactivate, reset
the password (a temporary one shown once) and reset two-factor (asks first). POST forms with
CSRF tokens; admins only; nobody does these to their own account."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from survey_app.extensions import get_db
from survey_app.services import accounts
from tests.helpers.pages import check_page
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
    session_rows,
    sign_in,
    signed_in,
    submit_password,
)

ACTIONS = ["deactivate", "reset-password", "reset-2fa"]


def user_url(app: Flask, staff: Staff, action: str | None = None) -> str:
    url = f"/staff/users/{account_id(app, staff.email)}"
    return f"{url}/{action}" if action else url


@pytest.fixture
def admin(app: Flask) -> tuple[FlaskClient, Staff]:
    return signed_in(app, "admin", "lead@example.org")


def test_the_users_page_links_to_each_account(app: Flask, admin: tuple[FlaskClient, Staff]) -> None:
    client, _me = admin
    analyst = make_user(app, "analyst")
    page = check_page(client.get("/staff/users"))
    links = {a.get_text(strip=True): a["href"] for a in page.select("#users tbody th a")}
    assert links["analyst@example.org"] == user_url(app, analyst)
    page = check_page(client.get(user_url(app, analyst)))
    assert page.h1 == "analyst@example.org"
    rows = {
        row.select_one("dt").get_text(strip=True): row.select_one("dd").get_text(strip=True)  # type: ignore[union-attr]
        for row in page.select(".cd-summary-list__row")
    }
    assert rows == {
        "Role": "Analyst",
        "Two-factor authentication": "Not set up yet",
        "Account": "Active",
        "Password": "Set by its owner",
        "Surveys": "None",
    }
    actions = [a.get_text(strip=True) for a in page.select("#user-actions a")]
    assert actions == ["Deactivate account", "Reset password", "Reset two-factor authentication"]
    assert client.get("/staff/users/no-such-account").status_code == 404


def test_deactivate_asks_first_then_ends_every_session(
    app: Flask, admin: tuple[FlaskClient, Staff]
) -> None:
    client, me = admin
    target_client, target = signed_in(app, "viewer")
    page = check_page(client.get(user_url(app, target, "deactivate")))
    assert page.h1 == "Are you sure you want to deactivate this account?"
    assert page.one("main form[method=post]")["action"] == user_url(app, target, "deactivate")
    assert page.one("form a.cd-link")["href"] == user_url(app, target)  # Cancel
    response = client.post(
        user_url(app, target, "deactivate"), data={"csrf_token": form_token(page)}
    )
    assert response.headers["Location"] == user_url(app, target) + "?done=deactivated"
    page = check_page(client.get(response.headers["Location"]))
    assert "is deactivated" in page.one(".cd-notification-banner__heading").get_text()
    assert target_client.get("/staff/releases").headers["Location"].startswith(LOGIN)
    assert session_rows(app, target.email) == []
    assert submit_password(app.test_client(), target.email, target.password).status_code == 200
    [event] = events(app, "user_deactivated")
    assert (event.actor, event.detail) == (me.email, target.email)


def test_reactivate(app: Flask, admin: tuple[FlaskClient, Staff]) -> None:
    client, me = admin
    target = make_user(app, "viewer")
    with app.app_context():
        accounts.deactivate(get_db(), email=target.email, actor="cli")
    page = check_page(client.get(user_url(app, target)))
    assert page.select("#user-actions a[href$='/deactivate']") == []
    response = client.post(
        user_url(app, target, "reactivate"), data={"csrf_token": form_token(page)}
    )
    assert response.headers["Location"] == user_url(app, target) + "?done=reactivated"
    assert submit_password(app.test_client(), target.email, target.password).status_code == 303
    [event] = events(app, "user_reactivated")
    assert (event.actor, event.detail) == (me.email, target.email)
    # A second click changes nothing and records nothing.
    client.post(user_url(app, target, "reactivate"), data={"csrf_token": form_token(page)})
    assert len(events(app, "user_reactivated")) == 1


def test_reset_password_shows_a_temporary_password_once(
    app: Flask, admin: tuple[FlaskClient, Staff]
) -> None:
    client, me = admin
    target_client, target = signed_in(app, "facilitator")
    page = check_page(client.get(user_url(app, target, "reset-password")))
    assert page.h1 == "Are you sure you want to reset this password?"
    response = client.post(
        user_url(app, target, "reset-password"), data={"csrf_token": form_token(page)}
    )
    assert response.headers["Cache-Control"] == "no-store"
    page = check_page(response)
    temporary = page.one("#temporary-password").get_text(strip=True)
    assert len(temporary) >= 12
    assert target_client.get(HOME).headers["Location"].startswith(LOGIN)
    assert submit_password(app.test_client(), target.email, target.password).status_code == 200
    browser = app.test_client()
    response = submit_password(browser, target.email, temporary)
    assert response.headers["Location"] == CHANGE_PASSWORD
    page = check_page(client.get(user_url(app, target)))
    assert "Reset: must be changed" in page.text()
    [event] = events(app, "password_reset")
    assert (event.actor, event.detail) == (me.email, target.email)
    # Not in the page that follows, nor anywhere in the database.
    assert temporary not in client.get(user_url(app, target)).get_data(as_text=True)
    with app.app_context(), get_db().engine.connect() as connection:
        for table in ("staff_users", "audit_events", "staff_sessions"):
            rows = connection.execute(text(f"SELECT * FROM {table}")).all()
            assert temporary not in repr(rows), table


def test_reset_two_factor_asks_first(app: Flask, admin: tuple[FlaskClient, Staff]) -> None:
    client, me = admin
    target = make_user(app, "analyst")
    target_client = app.test_client()
    sign_in(target_client, target)
    page = check_page(client.get(user_url(app, target)))
    assert "Set up" in page.text()
    page = check_page(client.get(user_url(app, target, "reset-2fa")))
    assert page.h1 == "Are you sure you want to reset two-factor authentication?"
    response = client.post(
        user_url(app, target, "reset-2fa"), data={"csrf_token": form_token(page)}
    )
    assert response.headers["Location"] == user_url(app, target) + "?done=two_factor_reset"
    assert target_client.get(HOME).headers["Location"].startswith(LOGIN)
    response = submit_password(app.test_client(), target.email, target.password)
    assert response.headers["Location"] == ENROL
    [event] = events(app, "totp_reset")
    assert (event.actor, event.detail) == (me.email, target.email)


def test_an_admin_cannot_change_their_own_account_here(
    app: Flask, admin: tuple[FlaskClient, Staff]
) -> None:
    client, me = admin
    page = check_page(client.get(user_url(app, me)))
    assert page.select("#user-actions") == []
    assert page.one("main a[href='/staff/account/password']")
    token = str(page.one("form.staff-nav__sign-out input[name=csrf_token]")["value"])
    for action, message in [
        ("deactivate", "You cannot deactivate your own account"),
        ("reset-password", "To change your own password, use Change your password"),
        ("reset-2fa", "You cannot reset your own two-factor authentication. Ask another admin"),
    ]:
        page = check_page(client.post(user_url(app, me, action), data={"csrf_token": token}))
        assert page.title.startswith("Error: ")
        assert page.error_messages() == [message]
        assert page.one(".cd-error-summary a")["href"] == "#confirm"
    assert check_page(client.get("/staff/audit")).h1 == "Audit log"  # still signed in
    with app.app_context():
        account = accounts.find_account(get_db(), me.email)
    assert account is not None and account.active and account.totp_enabled
    assert [
        e for e in events(app) if e.action not in {"login", "totp_enrolled", "user_created"}
    ] == []


@pytest.mark.parametrize("role", ["analyst", "facilitator", "viewer"])
def test_only_admins_may(app: Flask, role: str) -> None:
    client, _staff = signed_in(app, role)
    target = make_user(app, "viewer", "target@example.org")
    token = form_token(check_page(client.get(CHANGE_PASSWORD)))
    assert client.get(user_url(app, target)).status_code == 403
    for action in ACTIONS:
        assert client.get(user_url(app, target, action)).status_code == 403, action
    for action in [*ACTIONS, "reactivate"]:
        response = client.post(user_url(app, target, action), data={"csrf_token": token})
        assert response.status_code == 403, action
    assert [
        e.action for e in events(app) if e.action not in {"login", "totp_enrolled", "user_created"}
    ] == []


def test_every_change_needs_a_csrf_token(app: Flask, admin: tuple[FlaskClient, Staff]) -> None:
    client, _me = admin
    target = make_user(app, "admin", "other@example.org")
    for action in [*ACTIONS, "reactivate"]:
        assert client.post(user_url(app, target, action)).status_code == 400, action
        assert (
            client.post(user_url(app, target, action), data={"csrf_token": "x"}).status_code == 400
        )
    with app.app_context():
        account = accounts.find_account(get_db(), target.email)
    assert account is not None and account.active and not account.must_change_password
    assert events(app, "user_deactivated") == events(app, "password_reset") == []


def test_signed_out_visitors_are_sent_to_sign_in(app: Flask) -> None:
    target = make_user(app, "viewer")
    client = app.test_client()
    response = client.get(user_url(app, target, "deactivate"))
    assert response.headers["Location"].startswith(LOGIN)
    token = check_page(client.get(LOGIN)).csrf_token()
    response = client.post(user_url(app, target, "deactivate"), data={"csrf_token": token})
    assert response.headers["Location"].startswith(LOGIN)
    assert events(app, "user_deactivated") == []
