"""Signing in (password, then a two-factor code for admins and analysts), signing out, and
changing your own password (compulsory after an admin reset it).

Sign-in attempts are limited per account (keyed by the email address typed, lower-cased) and
across all accounts together. They are never keyed by the client's IP address: the service's
rule is that it records no addresses at all, staff included.
"""

from __future__ import annotations

import segno
from flask import current_app, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from survey_app.extensions import get_db, get_keyring, limiter
from survey_app.forms.registry import ErrorLink, error_links
from survey_app.services import accounts, staff_sessions
from survey_app.services.accounts import PasswordChangeError, StaffAccount
from survey_app.web.staff import access, bp, messages
from survey_app.web.staff.forms import ChangePasswordForm, CodeForm, LoginForm


def _typed_email() -> str:
    # The address typed into the form, never the client's network address.
    return "email:" + accounts.normalise_email(request.form.get("email", ""))[:254]


def _pending_account() -> str:
    # Limits are checked before the session is loaded: look up whose session this is.
    token = session.get(access.TOKEN)
    user_id = staff_sessions.user_id(get_db(), token) if isinstance(token, str) else None
    return "account:" + (user_id or "")


def _everyone() -> str:
    return "all"


def _per_account_limit() -> str:
    return str(current_app.config["SURVEY_LOGIN_LIMIT_PER_ACCOUNT"])


def _overall_limit() -> str:
    return str(current_app.config["SURVEY_LOGIN_LIMIT_OVERALL"])


overall_limit = limiter.shared_limit(
    _overall_limit, scope="staff-sign-in-all", key_func=_everyone, methods=["POST"]
)
password_limit = limiter.limit(
    _per_account_limit, scope="staff-password", key_func=_typed_email, methods=["POST"]
)
code_limit = limiter.limit(
    _per_account_limit, scope="staff-code", key_func=_pending_account, methods=["POST"]
)
change_limit = limiter.limit(
    _per_account_limit, scope="staff-change-password", key_func=_pending_account, methods=["POST"]
)


@bp.route("/login", methods=["GET", "POST"])
@overall_limit
@password_limit
def login() -> Response | str:
    if g.get("staff") is not None and g.get("staff_stage") == access.DONE:
        return redirect(url_for("staff.home"), code=303)
    form = LoginForm(request.form if request.method == "POST" else None)
    errors: list[ErrorLink] = []
    if request.method == "POST":
        errors = error_links(form) if not form.validate() else []
        if not errors:
            account = accounts.sign_in(
                get_db(), access.hasher(), form.email.data, form.password.data
            )
            if account is not None:
                next_url = access.safe_next(request.args.get("next"))
                return redirect(access.begin_session(account, next_url), code=303)
            errors = [ErrorLink("#email", messages.WRONG_SIGN_IN)]
    notice = session.pop(access.NOTICE, None)
    return render_template("staff/login.html", form=form, errors=errors, notice=notice)


@bp.route("/login/enrol", methods=["GET", "POST"])
@overall_limit
@code_limit
def enrol() -> Response | str:
    """First sign-in of an admin or analyst: set up an authenticator app, then prove it."""
    account = access.pending_staff(access.ENROL)
    if account is None:
        return redirect(url_for("staff.login"), code=303)
    form, errors = _code_form()
    if request.method == "POST" and not errors:
        if accounts.confirm_enrolment(get_db(), get_keyring(), account.id, form.code.data):
            return redirect(access.finish_session(), code=303)
        errors = [ErrorLink("#code", messages.WRONG_CODE)]
    enrolment = accounts.start_enrolment(get_db(), get_keyring(), account.id)
    qr_code = segno.make(enrolment.uri, error="m").svg_data_uri(scale=5, border=2)
    return render_template(
        "staff/enrol.html", enrolment=enrolment, qr_code=qr_code, form=form, errors=errors
    )


@bp.route("/login/code", methods=["GET", "POST"])
@overall_limit
@code_limit
def code() -> Response | str:
    account = access.pending_staff(access.CODE)
    if account is None:
        return redirect(url_for("staff.login"), code=303)
    form, errors = _code_form()
    if request.method == "POST" and not errors:
        if accounts.check_second_factor(get_db(), get_keyring(), account.id, form.code.data):
            return redirect(access.finish_session(), code=303)
        errors = [ErrorLink("#code", messages.WRONG_CODE)]
    return render_template("staff/code.html", form=form, errors=errors)


@bp.post("/logout")
def logout() -> Response:
    account = g.get("staff")
    if isinstance(account, StaffAccount):
        accounts.record_logout(get_db(), account)
    access.end_session(notice="signed_out")
    return redirect(url_for("staff.login"), code=303)


@bp.route("/account/password", methods=["GET", "POST"])
@overall_limit
@change_limit
@access.login_required
def change_password() -> Response | str:
    """Change your own password; the only page open after an admin reset it."""
    account = access.current_staff()
    forced = account.must_change_password
    form = ChangePasswordForm(request.form if request.method == "POST" else None, forced=forced)
    errors: list[ErrorLink] = []
    if request.method == "POST":
        errors = error_links(form) if not form.validate() else []
        if not errors:
            try:
                accounts.change_password(
                    get_db(),
                    access.hasher(),
                    account.id,
                    current=None if forced else form.current_password.data,
                    new=form.new_password.data,
                    keep_session=access.session_id(),
                )
            except PasswordChangeError as error:
                errors = [ErrorLink(f"#{error.field}", str(error))]
            else:
                return redirect(url_for("staff.password_changed"), code=303)
    return render_template("staff/password.html", forced=forced, errors=errors)


@bp.get("/account/password/changed")
@access.login_required
def password_changed() -> str:
    return render_template("staff/password_changed.html", next_url=session.pop(access.NEXT, None))


def _code_form() -> tuple[CodeForm, list[ErrorLink]]:
    if request.method != "POST":
        return CodeForm(None), []
    form = CodeForm(request.form)
    return form, [] if form.validate() else error_links(form)
