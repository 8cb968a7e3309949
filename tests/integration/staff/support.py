"""Shared steps for the staff page tests: accounts, signing in (with a real authenticator code
computed by pyotp), the server-side sessions and what the audit log holds."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.test import TestResponse

from survey_app.extensions import get_db
from survey_app.services import accounts
from survey_app.services.audit import Event, list_events
from survey_app.storage.models import StaffSession
from tests.helpers.pages import Page, check_page

PASSWORD = "a long staff password"
LOGIN = "/staff/login"
ENROL = "/staff/login/enrol"
CODE = "/staff/login/code"
HOME = "/staff/"
LOGOUT = "/staff/logout"
CHANGE_PASSWORD = "/staff/account/password"
COOKIE = "candour_session"


@dataclass
class Staff:
    email: str
    role: str
    password: str = PASSWORD
    secret: str | None = None  # the authenticator secret, once enrolled

    def code(self, offset_steps: int = 0) -> str:
        """The code the authenticator app shows now (or ``offset_steps`` × 30 s from now)."""
        assert self.secret is not None
        now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30 * offset_steps)
        return pyotp.TOTP(self.secret).at(now)


def hasher(app: Flask) -> Any:
    return accounts.password_hasher(
        app.config["SURVEY_ARGON2_TIME_COST"], app.config["SURVEY_ARGON2_MEMORY_COST"]
    )


def make_user(app: Flask, role: str, email: str | None = None, password: str = PASSWORD) -> Staff:
    email = email or f"{role}@example.org"
    with app.app_context():
        accounts.create_user(
            get_db(), hasher(app), email=email, role=role, password=password, actor="test"
        )
    return Staff(email=email, role=role, password=password)


def form_token(page: Page) -> str:
    """The CSRF token of the page's own form (signed-in pages have a sign-out form too)."""
    return str(page.one("main form[method=post] input[name=csrf_token]")["value"])


def post_form(client: FlaskClient, url: str, data: dict[str, Any]) -> TestResponse:
    """Open the page, then send its form with the page's own CSRF token."""
    page = check_page(client.get(url))
    return client.post(url, data={**data, "csrf_token": form_token(page)})


def submit_password(client: FlaskClient, email: str, password: str) -> TestResponse:
    return post_form(client, LOGIN, {"email": email, "password": password})


def read_secret(page: Page) -> str:
    return re.sub(r"\s", "", page.one("#totp-secret").get_text())


def sign_in(client: FlaskClient, staff: Staff, offset_steps: int = 1) -> TestResponse:
    """Sign in all the way: password, then set up or use the authenticator app.

    A later sign-in uses the next step's code (``offset_steps=1``): the code of the current
    step may already have been used to enrol, and a code is never accepted twice.
    """
    response = submit_password(client, staff.email, staff.password)
    assert response.status_code == 303, response.status_code
    if response.headers["Location"] == ENROL:
        staff.secret = read_secret(check_page(client.get(ENROL)))
        response = post_form(client, ENROL, {"code": staff.code()})
    elif response.headers["Location"] == CODE:
        response = post_form(client, CODE, {"code": staff.code(offset_steps)})
    assert response.status_code == 303, response.status_code
    assert not response.headers["Location"].startswith(LOGIN)
    return response


def signed_in(app: Flask, role: str, email: str | None = None) -> tuple[FlaskClient, Staff]:
    """A new browser, signed in as a new account with ``role``."""
    staff = make_user(app, role, email)
    client = app.test_client()
    sign_in(client, staff)
    return client, staff


def events(app: Flask, action: str | None = None) -> list[Event]:
    """Every audit event (newest first), or those with ``action``."""
    with app.app_context():
        found = list_events(get_db(), 1, per_page=10_000).events
    return [e for e in found if action is None or e.action == action]


def account_id(app: Flask, email: str) -> str:
    with app.app_context():
        account = accounts.find_account(get_db(), email)
    assert account is not None
    return account.id


@dataclass(frozen=True)
class SessionRow:
    id: str
    user_id: str
    stage: str
    credentials: str
    created_at: dt.datetime
    seen_at: dt.datetime


def session_rows(app: Flask, email: str | None = None) -> list[SessionRow]:
    """The stored sessions (of one account, or everyone's), with times in UTC."""
    query = select(StaffSession)
    if email is not None:
        query = query.where(StaffSession.user_id == account_id(app, email))
    with app.app_context(), get_db().session() as session:
        return [
            SessionRow(
                row.id,
                row.user_id,
                row.stage,
                row.credentials,
                _utc(row.created_at),
                _utc(row.seen_at),
            )
            for row in session.scalars(query)
        ]


def age_sessions(
    app: Flask, email: str, idle: dt.timedelta, signed_in_for: dt.timedelta | None = None
) -> None:
    """Move an account's stored session times back: last used ``idle`` ago, begun
    ``signed_in_for`` ago (at least ``idle``)."""
    now = dt.datetime.now(dt.UTC)
    begun = max(idle, signed_in_for or idle)
    with app.app_context(), get_db().transaction() as session:
        session.execute(
            update(StaffSession)
            .where(StaffSession.user_id == account_id(app, email))
            .values(seen_at=now - idle, created_at=now - begun)
        )


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def browser_with_cookie(app: Flask, value: str) -> FlaskClient:
    """A new browser holding a given session cookie (copied, or forged)."""
    other = app.test_client()
    other.set_cookie(COOKIE, value)
    return other


def sign_out(client: FlaskClient) -> TestResponse:
    page = check_page(client.get(CHANGE_PASSWORD))
    token = str(page.one("form.staff-nav__sign-out input[name=csrf_token]")["value"])
    return client.post(LOGOUT, data={"csrf_token": token})


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
