"""Who is signed in, and what they may see.

Staff sessions live on the server (``services.staff_sessions``). Flask's signed cookie holds
only the session's random token, beside the CSRF token, where to go after signing in and a
one-off notice: forging or copying the cookie opens nothing without a live row, and the row,
not the cookie, says how far the sign-in has got (``enrol`` or ``code`` while a second factor
is still needed, then ``done``). The row is checked on every request: idle for too long,
signed in for too long, signed out, or the account changed (deactivated, password or
two-factor reset, role) and the next staff page sends them to the sign-in page — with a
"You were signed out" message for the two timeouts.

Someone whose password was reset sees no staff page but "Change your password" until they
have chosen a new one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from argon2 import PasswordHasher
from flask import abort, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from survey_app.extensions import get_db
from survey_app.services import accounts, staff_sessions
from survey_app.services.accounts import StaffAccount
from survey_app.services.staff_sessions import CODE as CODE
from survey_app.services.staff_sessions import DONE as DONE
from survey_app.services.staff_sessions import ENROL as ENROL
from survey_app.services.staff_sessions import LiveSession
from survey_app.services.surveys import SurveyInfo

P = ParamSpec("P")
R = TypeVar("R")

TOKEN = "staff_token"  # noqa: S105 - the name of a session key
NEXT = "staff_next"
NOTICE = "staff_notice"

STAGE_ENDPOINTS = {ENROL: "staff.enrol", CODE: "staff.code"}
CHANGE_PASSWORD = "staff.change_password"  # noqa: S105 - an endpoint name


def limits() -> staff_sessions.Limits:
    return staff_sessions.Limits.of(
        int(current_app.config["SURVEY_STAFF_IDLE_MINUTES"]),
        int(current_app.config["SURVEY_STAFF_MAX_HOURS"]),
    )


def load_staff() -> None:
    """Before every staff request: find the session the cookie's token names, if it is live."""
    g.staff = None
    g.staff_stage = None
    g.staff_session = None
    token = session.get(TOKEN)
    if not isinstance(token, str):
        return
    found = staff_sessions.load(get_db(), token, limits())
    if found.session is None:
        _forget(notice=found.ended)
        return
    g.staff_session = found.session
    g.staff = found.session.account
    g.staff_stage = found.session.stage


def begin_session(account: StaffAccount, next_url: str | None) -> str:
    """A fresh session for a password that checked out; returns where to go next."""
    old = session.get(TOKEN)
    session.clear()  # a new session on every sign-in: nothing from before survives
    stage = DONE
    if account.needs_two_factor:
        stage = CODE if account.totp_enabled else ENROL
    token = staff_sessions.begin(
        get_db(), account, stage, limits(), replacing=old if isinstance(old, str) else None
    )
    session[TOKEN] = token
    if next_url:
        session[NEXT] = next_url
    return url_for(STAGE_ENDPOINTS[stage]) if stage != DONE else _landing(account)


def finish_session() -> str:
    """The second factor is done: the session may reach every page its role allows."""
    live = g.get("staff_session")
    assert isinstance(live, LiveSession)
    if not staff_sessions.advance(get_db(), live, DONE):
        end_session()  # it ended, or the account changed, while the code was checked
        return url_for("staff.login")
    return _landing(live.account)


def _landing(account: StaffAccount) -> str:
    if account.must_change_password:
        return url_for(CHANGE_PASSWORD)
    return session.pop(NEXT, None) or url_for("staff.home")


def end_session(notice: str | None = None) -> None:
    """Sign out: the session's row goes, and the cookie forgets its token."""
    token = session.get(TOKEN)
    if isinstance(token, str):
        staff_sessions.end(get_db(), token)
    _forget(notice)


def _forget(notice: str | None = None) -> None:
    session.clear()
    if notice:
        session[NOTICE] = notice


def session_id() -> str | None:
    """The stored id of this request's session (to keep it when the password changes)."""
    live = g.get("staff_session")
    return live.id if isinstance(live, LiveSession) else None


def safe_next(value: str | None) -> str | None:
    """Only a path on the staff pages, so a sign-in link cannot send anyone elsewhere."""
    if not value or not value.startswith("/staff/") or "//" in value or "\\" in value:
        return None
    return value


def current_staff() -> StaffAccount:
    """The signed-in member of staff (in views behind ``login_required``)."""
    account = g.get("staff")
    assert isinstance(account, StaffAccount)
    return account


def pending_staff(stage: str) -> StaffAccount | None:
    """The member of staff half-way through signing in at ``stage``, if that is where they are."""
    account = g.get("staff")
    if isinstance(account, StaffAccount) and g.get("staff_stage") == stage:
        return account
    return None


def login_required(view: Callable[P, R]) -> Callable[P, R | Response]:
    """Signed in, second factor included; otherwise to the sign-in page (or its next step).
    After a password reset, only "Change your password" until a new one is chosen."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if g.get("staff") is None:
            return redirect(url_for("staff.login", next=request.path), code=303)
        stage = g.get("staff_stage")
        if stage != DONE:
            return redirect(url_for(STAGE_ENDPOINTS.get(stage, "staff.login")), code=303)
        if current_staff().must_change_password and request.endpoint != CHANGE_PASSWORD:
            return redirect(url_for(CHANGE_PASSWORD), code=303)
        return view(*args, **kwargs)

    return wrapper


def roles_required(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """Signed in with one of ``roles``; anyone else signed in gets the 403 page."""

    def decorator(view: Callable[P, R]) -> Callable[P, R | Response]:
        @functools.wraps(view)
        def checked(*args: P.args, **kwargs: P.kwargs) -> R:
            if current_staff().role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return login_required(checked)

    return decorator


def can_work_on(user: StaffAccount, survey: SurveyInfo) -> bool:
    """Admins may work on every survey; analysts on the surveys they are assigned to."""
    return accounts.may_work_on(get_db(), user, survey)


def hasher() -> PasswordHasher:
    return accounts.password_hasher(
        int(current_app.config["SURVEY_ARGON2_TIME_COST"]),
        int(current_app.config["SURVEY_ARGON2_MEMORY_COST"]),
    )


def account_problem(error: accounts.AccountError) -> tuple[str, int]:
    """An account changed under a half-finished sign-in (e.g. its two-factor was reset)."""
    end_session()
    return render_template("staff/account_problem.html", message=str(error)), 409


def template_helpers() -> dict[str, object]:
    """Staff pages never show "Exit this page", and the header knows who is signed in."""
    signed_in = g.get("staff") if g.get("staff_stage") == DONE else None
    return {"show_exit": False, "staff_user": signed_in}
