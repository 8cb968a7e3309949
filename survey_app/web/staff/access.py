"""Who is signed in, and what they may see.

The Flask session holds the staff member's id, how far their sign-in has got (``enrol`` or
``code`` while a second factor is still needed, then ``done``), when they signed in and when
they last did something. Idle for too long, or signed in for too long, and the session is
cleared: the next staff page sends them to the sign-in page with a "You were signed out"
message. The account is read again on every request, so deactivating it takes effect at once.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from argon2 import PasswordHasher
from flask import abort, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from survey_app.extensions import get_db
from survey_app.services import accounts
from survey_app.services.accounts import StaffAccount
from survey_app.services.surveys import SurveyInfo

P = ParamSpec("P")
R = TypeVar("R")

USER = "staff_user"
STAGE = "staff_stage"
SIGNED_IN_AT = "staff_signed_in_at"
SEEN_AT = "staff_seen_at"
NEXT = "staff_next"
NOTICE = "staff_notice"

ENROL, CODE, DONE = "enrol", "code", "done"
STAGE_ENDPOINTS = {ENROL: "staff.enrol", CODE: "staff.code"}


def load_staff() -> None:
    """Before every staff request: end stale sessions, then note who is signed in."""
    g.staff = None
    g.staff_stage = None
    user_id = session.get(USER)
    if not isinstance(user_id, str):
        return
    now = int(time.time())
    idle = int(current_app.config["SURVEY_STAFF_IDLE_MINUTES"]) * 60
    lifetime = int(current_app.config["SURVEY_STAFF_MAX_HOURS"]) * 3600
    if now - int(session.get(SIGNED_IN_AT, 0)) > lifetime:
        end_session(notice="expired")
        return
    if now - int(session.get(SEEN_AT, 0)) > idle:
        end_session(notice="idle")
        return
    account = accounts.get_account(get_db(), user_id)
    if account is None or not account.active:
        end_session()
        return
    g.staff = account
    g.staff_stage = session.get(STAGE)
    session[SEEN_AT] = now


def begin_session(account: StaffAccount, next_url: str | None) -> str:
    """A fresh session for a password that checked out; returns where to go next."""
    session.clear()  # a new session on every sign-in: nothing from before survives
    now = int(time.time())
    stage = DONE
    if account.needs_two_factor:
        stage = CODE if account.totp_enabled else ENROL
    session.update({USER: account.id, STAGE: stage, SIGNED_IN_AT: now, SEEN_AT: now})
    if next_url:
        session[NEXT] = next_url
    return url_for(STAGE_ENDPOINTS[stage]) if stage != DONE else finish_session()


def finish_session() -> str:
    """The second factor (if any) is done: the session may reach every page its role allows."""
    session[STAGE] = DONE
    return session.pop(NEXT, None) or url_for("staff.home")


def end_session(notice: str | None = None) -> None:
    session.clear()
    if notice:
        session[NOTICE] = notice


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
    """Signed in, second factor included; otherwise to the sign-in page (or its next step)."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response:
        if g.get("staff") is None:
            return redirect(url_for("staff.login", next=request.path), code=303)
        stage = g.get("staff_stage")
        if stage != DONE:
            return redirect(url_for(STAGE_ENDPOINTS.get(stage, "staff.login")), code=303)
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
