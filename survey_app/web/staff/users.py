"""Staff accounts, for admins: the list, one account's page, and the changes an admin makes
there — deactivate, reactivate, reset the password, reset two-factor. Accounts are created,
and assigned to surveys, with `flask users`.

Every change is a POST with a CSRF token; the ones that lock someone out ask first on a page
of their own. A reset password is shown once, in the response to the POST, and never kept.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from survey_app.extensions import get_db
from survey_app.forms.registry import ErrorLink
from survey_app.services import accounts
from survey_app.services.accounts import AccountError, StaffAccount, StaffSummary
from survey_app.web.staff import bp
from survey_app.web.staff.access import current_staff, hasher, roles_required

# The button on every "are you sure" page; a refused change's error summary links to it.
CONFIRM = "#confirm"


@bp.get("/users")
@roles_required("admin")
def users() -> str:
    return render_template(
        "staff/users.html", users=accounts.list_users(get_db()), me=current_staff()
    )


@bp.get("/users/<user_id>")
@roles_required("admin")
def user(user_id: str) -> str:
    return render_template(
        "staff/user.html",
        user=_summary(user_id),
        me=current_staff(),
        notice=request.args.get("done"),
    )


@bp.route("/users/<user_id>/deactivate", methods=["GET", "POST"])
@roles_required("admin")
def deactivate_user(user_id: str) -> Response | str:
    return _confirmed(user_id, "deactivate", accounts.deactivate, done="deactivated")


@bp.post("/users/<user_id>/reactivate")
@roles_required("admin")
def reactivate_user(user_id: str) -> Response:
    """Not destructive, so no page asks first; a second click changes nothing."""
    target = _summary(user_id).account
    if not target.active:
        accounts.reactivate(get_db(), email=target.email, actor=current_staff().email)
    return redirect(url_for("staff.user", user_id=user_id, done="reactivated"), code=303)


@bp.route("/users/<user_id>/reset-2fa", methods=["GET", "POST"])
@roles_required("admin")
def reset_user_two_factor(user_id: str) -> Response | str:
    return _confirmed(user_id, "reset-2fa", accounts.reset_two_factor, done="two_factor_reset")


@bp.route("/users/<user_id>/reset-password", methods=["GET", "POST"])
@roles_required("admin")
def reset_user_password(user_id: str) -> Response | str:
    """The temporary password is in this response only: not stored, not logged, not cached."""
    summary = _summary(user_id)
    if request.method == "GET":
        return _confirm_page(summary, "reset-password")
    try:
        account, password = accounts.reset_password(
            get_db(), hasher(), email=summary.account.email, actor=current_staff().email
        )
    except AccountError as error:
        return _confirm_page(summary, "reset-password", [ErrorLink(CONFIRM, str(error))])
    page = render_template("staff/user_password.html", user=account, password=password)
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


def _confirmed(
    user_id: str, action: str, change: Callable[..., StaffAccount], *, done: str
) -> Response | str:
    """GET: ask first. POST: make the change, then back to the account's page."""
    summary = _summary(user_id)
    if request.method == "GET":
        return _confirm_page(summary, action)
    try:
        change(get_db(), email=summary.account.email, actor=current_staff().email)
    except AccountError as error:
        return _confirm_page(summary, action, [ErrorLink(CONFIRM, str(error))])
    return redirect(url_for("staff.user", user_id=user_id, done=done), code=303)


def _confirm_page(summary: StaffSummary, action: str, errors: list[ErrorLink] | None = None) -> str:
    return render_template(
        "staff/user_confirm.html", user=summary.account, action=action, errors=errors or []
    )


def _summary(user_id: str) -> StaffSummary:
    summary = accounts.get_summary(get_db(), user_id)
    if summary is None:
        abort(404)
    return summary
