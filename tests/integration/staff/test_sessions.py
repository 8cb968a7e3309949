"""Staff sessions live on the server: a cookie forged with the secret key, copied from another
browser, or made from a database copy opens nothing without a live row; the row (never the
cookie) says how far a sign-in has got; sign-out, deactivation and resets end sessions; idle
and absolute limits come from the stored times (services/staff_sessions.py and the pages)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text, update

from survey_app.extensions import get_db
from survey_app.services import accounts, staff_sessions
from survey_app.services.staff_sessions import Limits
from survey_app.storage.models import StaffSession, StaffUser
from tests.helpers.pages import check_page
from tests.integration.staff.support import (
    ENROL,
    HOME,
    LOGIN,
    PASSWORD,
    Staff,
    account_id,
    browser_with_cookie,
    events,
    hasher,
    make_user,
    session_cookie,
    session_rows,
    sign_in,
    sign_out,
    signed_in,
    submit_password,
)

STAFF_PAGES = [HOME, "/staff/users", "/staff/audit", "/staff/releases"]
LIMITS = Limits(idle=dt.timedelta(minutes=30), lifetime=dt.timedelta(hours=12))
T0 = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)


def forge(app: Flask, content: dict[str, object]) -> str:
    """A session cookie signed with the app's own secret key, as someone holding it could."""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    assert serializer is not None
    return str(serializer.dumps(content))


def refused(app: Flask, cookie: str) -> None:
    """Every staff page sends this browser to the sign-in page."""
    browser = browser_with_cookie(app, cookie)
    for url in STAFF_PAGES:
        response = browser.get(url)
        assert response.status_code == 303, url
        assert response.headers["Location"].startswith(LOGIN), url


def test_a_forged_cookie_opens_nothing(app: Flask) -> None:
    client, admin = signed_in(app, "admin")  # the admin is signed in elsewhere meanwhile
    admin_id = account_id(app, admin.email)
    now = int(time.time())
    # Control: a cookie forged this way is accepted as genuine (its notice is shown) ...
    page = check_page(
        browser_with_cookie(app, forge(app, {"staff_notice": "signed_out"})).get(LOGIN)
    )
    assert page.one(".cd-notification-banner__heading").get_text(strip=True) == (
        "You have signed out."
    )
    # ... yet claiming the admin, signed in all the way, with any token, opens no staff page:
    # the old cookie's fields, and a random token that has no row.
    claims = {
        "staff_user": admin_id,
        "staff_stage": "done",
        "staff_signed_in_at": now,
        "staff_seen_at": now,
    }
    refused(app, forge(app, claims))
    refused(app, forge(app, {**claims, "staff_token": secrets.token_urlsafe(32)}))
    assert client.get("/staff/audit").status_code == 200  # the real session is untouched
    assert [e.actor for e in events(app, "login")] == [admin.email]


def test_a_database_copy_does_not_hold_the_token(app: Flask) -> None:
    client, _staff = signed_in(app, "viewer")
    with client.session_transaction() as session:
        token = session["staff_token"]
    assert len(token) >= 43  # 32 random bytes
    with app.app_context(), get_db().engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(text("SELECT * FROM staff_sessions"))]
    [row] = session_rows(app)
    assert row.id == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(rows)
    url = app.config["SURVEY_DATABASE_URL"]
    if url.startswith("sqlite:///"):  # nor do the database's files, byte for byte
        files = Path(url.removeprefix("sqlite:///")).parent.glob("candour.db*")
        assert all(token.encode() not in path.read_bytes() for path in files)
    # What the copy does hold, put into a cookie as the token, opens nothing.
    refused(app, forge(app, {"staff_token": row.id}))
    assert client.get("/staff/releases").status_code == 200


def test_a_forged_cookie_cannot_skip_the_second_factor(app: Flask) -> None:
    """Someone with the password (and the secret key) but not the authenticator app."""
    staff = make_user(app, "analyst")
    client = app.test_client()
    submit_password(client, staff.email, staff.password)
    with client.session_transaction() as session:
        token = session["staff_token"]
    forged = forge(app, {"staff_token": token, "staff_stage": "done", "staff_user": "x"})
    browser = browser_with_cookie(app, forged)
    for url in STAFF_PAGES:
        assert browser.get(url).headers["Location"] == ENROL, url
    [row] = session_rows(app)
    assert row.stage == "enrol"


def test_a_copied_cookie_works_until_sign_out(app: Flask) -> None:
    client, staff = signed_in(app, "admin")
    copy = browser_with_cookie(app, session_cookie(client))
    assert check_page(copy.get("/staff/audit")).h1 == "Audit log"  # a copy works meanwhile
    response = sign_out(client)
    assert response.headers["Location"] == LOGIN
    assert session_rows(app) == []
    refused(app, session_cookie(copy))
    [logout] = events(app, "logout")
    assert logout.actor == staff.email


def two_browsers(app: Flask, role: str) -> tuple[Staff, list[FlaskClient]]:
    staff = make_user(app, role)
    first, second = app.test_client(), app.test_client()
    sign_in(first, staff)
    sign_in(second, staff)
    assert len(session_rows(app, staff.email)) == 2
    return staff, [first, second]


@pytest.mark.parametrize("change", ["deactivate", "reset_password", "reset_two_factor"])
def test_account_changes_end_every_session(app: Flask, change: str) -> None:
    staff, browsers = two_browsers(app, "admin")
    bystander, _other = signed_in(app, "viewer")
    with app.app_context():
        if change == "reset_password":
            accounts.reset_password(get_db(), hasher(app), email=staff.email, actor="cli")
        else:
            getattr(accounts, change)(get_db(), email=staff.email, actor="cli")
    assert session_rows(app, staff.email) == []
    for browser in browsers:
        response = browser.get("/staff/audit")
        assert response.headers["Location"].startswith(LOGIN)
    assert bystander.get("/staff/releases").status_code == 200  # other accounts carry on


@pytest.mark.parametrize(
    "values",
    [
        {"role": "viewer"},
        {"password_hash": "$argon2id$v=19$m=64,t=1,p=4$changed"},
        {"active": False},
        {"must_change_password": True},
    ],
)
def test_a_credentials_change_ends_the_session(app: Flask, values: dict[str, object]) -> None:
    """Even a change made straight in the database, without the service ending sessions."""
    client, staff = signed_in(app, "facilitator")
    with app.app_context(), get_db().transaction() as session:
        session.execute(update(StaffUser).where(StaffUser.email == staff.email).values(**values))
    response = client.get(HOME)
    assert response.headers["Location"].startswith(LOGIN)
    assert session_rows(app) == []


def test_the_sealed_totp_secret_is_not_part_of_the_credentials(app: Flask) -> None:
    """Every code used re-seals the secret; that must not end the account's other sessions."""
    _staff, browsers = two_browsers(app, "analyst")
    for browser in browsers:
        assert browser.get(HOME).status_code == 200


# --- the store itself, with an injected clock ---------------------------------------------


def begin_at(app: Flask, staff: Staff, now: dt.datetime, stage: str = "done") -> str:
    with app.app_context():
        account = accounts.find_account(get_db(), staff.email)
        assert account is not None
        return staff_sessions.begin(get_db(), account, stage, LIMITS, now=now)


def load_at(app: Flask, token: str, now: dt.datetime) -> staff_sessions.Lookup:
    with app.app_context():
        return staff_sessions.load(get_db(), token, LIMITS, now=now)


def test_idle_and_absolute_limits(app: Flask) -> None:
    staff = make_user(app, "viewer")
    token = begin_at(app, staff, T0)
    step = dt.timedelta(minutes=29)
    now = T0
    for _ in range(24):  # used every 29 minutes: alive for 11 h 36 min
        now += step
        assert load_at(app, token, now).session is not None
    now += step  # 12 h 05 min after signing in
    assert load_at(app, token, now) == staff_sessions.Lookup(None, "expired")
    assert session_rows(app) == []
    idle = begin_at(app, staff, T0)
    assert load_at(app, idle, T0 + dt.timedelta(minutes=30)).session is not None
    later = T0 + dt.timedelta(minutes=60, seconds=1)
    assert load_at(app, idle, later) == staff_sessions.Lookup(None, "idle")
    assert load_at(app, idle, later) == staff_sessions.Lookup(None)  # gone for good


def test_seen_at_is_written_at_most_once_a_minute(app: Flask) -> None:
    staff = make_user(app, "viewer")
    token = begin_at(app, staff, T0)
    load_at(app, token, T0 + dt.timedelta(seconds=59))
    assert session_rows(app)[0].seen_at == T0
    load_at(app, token, T0 + dt.timedelta(seconds=60))
    assert session_rows(app)[0].seen_at == T0 + dt.timedelta(seconds=60)
    assert session_rows(app)[0].created_at == T0


def test_expired_sessions_are_purged_when_someone_signs_in(app: Flask) -> None:
    staff = make_user(app, "viewer")
    begin_at(app, staff, T0)  # idle by T0 + 31 min
    begin_at(app, staff, T0 - dt.timedelta(hours=13))  # past the 12 hours
    live = begin_at(app, staff, T0 + dt.timedelta(minutes=20))
    begin_at(app, staff, T0 + dt.timedelta(minutes=31))
    kept = {row.id for row in session_rows(app)}
    assert hashlib.sha256(live.encode()).hexdigest() in kept
    assert len(kept) == 2


def test_advance_is_a_compare_and_swap(app: Flask) -> None:
    staff = make_user(app, "analyst")
    token = begin_at(app, staff, T0, stage="code")
    lookup = load_at(app, token, T0)
    assert lookup.session is not None and lookup.session.stage == "code"
    with app.app_context():
        assert staff_sessions.advance(get_db(), lookup.session, "done")
        assert not staff_sessions.advance(get_db(), lookup.session, "done")  # already moved on
    after = load_at(app, token, T0)
    assert after.session is not None and after.session.stage == "done"
    with app.app_context(), pytest.raises(ValueError, match="stage"):
        staff_sessions.begin(get_db(), after.session.account, "admin", LIMITS, now=T0)


def test_a_row_with_an_unknown_stage_opens_nothing(app: Flask) -> None:
    client, staff = signed_in(app, "viewer")
    with app.app_context(), get_db().transaction() as session:
        session.execute(update(StaffSession).values(stage="root"))
    assert client.get(HOME).headers["Location"].startswith(LOGIN)
    assert session_rows(app, staff.email) == []


def test_signing_in_needs_a_password_that_still_works(app: Flask) -> None:
    """A session begun with the password is not reached through a deactivated account."""
    staff = make_user(app, "viewer")
    with app.app_context():
        account = accounts.find_account(get_db(), staff.email)
        assert account is not None
        accounts.deactivate(get_db(), email=staff.email, actor="cli")
        with pytest.raises(ValueError, match="active"):
            staff_sessions.begin(get_db(), account, "done", LIMITS, now=T0)
    assert session_rows(app) == []
    assert submit_password(app.test_client(), staff.email, PASSWORD).status_code == 200
