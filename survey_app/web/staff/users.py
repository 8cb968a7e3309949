"""Staff accounts, for admins: the list, one account's page, and every change an admin makes
there — create an account, change its role, give it surveys and series to work on or take
them away, deactivate, reactivate, reset the password, reset two-factor. The ``flask users``
commands do the same for operators at the command line.

Every change is a POST with a CSRF token and goes to the audit log; the ones that lock someone
out ask first on a page of their own. A temporary password (a new account's, or a reset's) is
shown once, in the response to the POST, and never kept.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from survey_app.extensions import get_db
from survey_app.forms.registry import ErrorLink, error_links
from survey_app.services import accounts
from survey_app.services.accounts import AccountError, StaffAccount, StaffSummary
from survey_app.services.errors import ServiceError
from survey_app.web.staff import bp, messages
from survey_app.web.staff.access import current_staff, hasher, roles_required
from survey_app.web.staff.forms import NewUserForm, RoleForm

# The button on every "are you sure" page; a refused change's error summary links to it.
CONFIRM = "#confirm"
# The account page's section about surveys and series, and its "give access" list.
ASSIGNMENTS = "#assignments"
CHOOSE_SURVEY = "#survey"


@bp.get("/users")
@roles_required("admin")
def users() -> str:
    return render_template(
        "staff/users.html", users=accounts.list_users(get_db()), me=current_staff()
    )


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required("admin")
def new_user() -> Response | str:
    posted = request.method == "POST"
    form = NewUserForm(request.form if posted else None)
    errors = error_links(form) if posted and not form.validate() else []
    if posted and not errors:
        try:
            account, password = accounts.create_with_temporary_password(
                get_db(),
                hasher(),
                email=form.email.data,
                role=form.role.data,
                actor=current_staff().email,
            )
        except AccountError as error:  # not an email address, or already has an account
            errors = [ErrorLink("#email", str(error))]
        else:
            return _password_page(account, password, created=True)
    return render_template("staff/new_user.html", form=form, errors=errors)


@bp.get("/users/<user_id>")
@roles_required("admin")
def user(user_id: str) -> str:
    return _account_page(_summary(user_id))


@bp.route("/users/<user_id>/role", methods=["GET", "POST"])
@roles_required("admin")
def change_user_role(user_id: str) -> Response | str:
    """Signs the account out everywhere; the last active admin keeps their role."""
    summary = _summary(user_id)
    posted = request.method == "POST"
    # On a POST only what was sent counts: no radio chosen is an error, not the current role.
    form = RoleForm(request.form) if posted else RoleForm(data={"role": summary.account.role})
    errors = error_links(form) if posted and not form.validate() else []
    if posted and not errors:
        me = current_staff()
        try:
            changed = accounts.change_role(
                get_db(), email=summary.account.email, role=form.role.data, actor=me.email
            )
        except AccountError as error:
            errors = [ErrorLink("#role", str(error))]
        else:
            if changed is not None and summary.account.id == me.id:  # signed out just now
                return redirect(url_for("staff.login"), code=303)
            done = "role_changed" if changed is not None else None
            return redirect(url_for("staff.user", user_id=user_id, done=done), code=303)
    return render_template("staff/user_role.html", user=summary.account, form=form, errors=errors)


@bp.post("/users/<user_id>/surveys")
@roles_required("admin")
def user_surveys(user_id: str) -> Response | str:
    """Give an analyst or facilitator a survey or series to work on, or take one away."""
    summary = _summary(user_id)
    email, actor = summary.account.email, current_staff().email
    slug = request.form.get("survey", "")[:80]
    if request.form.get("action") == "remove":
        try:
            changed = accounts.unassign(get_db(), email=email, slug=slug, actor=actor)
        except ServiceError:  # no such survey
            return _account_page(summary, [ErrorLink(ASSIGNMENTS, messages.SELECT_ASSIGNMENT)])
        done = "unassigned" if changed else None
    else:
        choices = accounts.assignment_choices(get_db(), summary.account)
        if slug not in {info.slug for info in choices}:
            where = CHOOSE_SURVEY if choices else ASSIGNMENTS
            return _account_page(summary, [ErrorLink(where, messages.SELECT_ASSIGNMENT)])
        accounts.assign(get_db(), email=email, slug=slug, actor=actor)
        done = "assigned"
    return redirect(url_for("staff.user", user_id=user_id, done=done), code=303)


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
    return _password_page(account, password, created=False)


def _password_page(account: StaffAccount, password: str, *, created: bool) -> Response:
    page = render_template(
        "staff/user_password.html", user=account, password=password, created=created
    )
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


def _account_page(summary: StaffSummary, errors: list[ErrorLink] | None = None) -> str:
    db = get_db()
    return render_template(
        "staff/user.html",
        user=summary,
        me=current_staff(),
        notice=None if errors else request.args.get("done"),
        assigned=accounts.assignments(db, summary.account.id),
        choices=accounts.assignment_choices(db, summary.account),
        errors=errors or [],
    )


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
