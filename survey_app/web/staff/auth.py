"""Signing in (password, then a two-factor code for admins and analysts), signing out, and
changing your own password (compulsory after an admin reset it).

Attempts are limited per account, per known device and per client address (an HMAC of it,
never the address itself): see ``web.staff.throttling``. A browser that finishes signing in
becomes a known device of the account (``web.staff.devices``). A sign-in form refused for a
missing field costs the same password-hashing work as any other attempt.
"""

from __future__ import annotations

import segno
from flask import g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from survey_app.extensions import get_db, get_keyring
from survey_app.forms.registry import ErrorLink, error_links
from survey_app.services import accounts
from survey_app.services.accounts import PasswordChangeError, StaffAccount
from survey_app.web.staff import access, bp, devices, messages
from survey_app.web.staff.forms import ChangePasswordForm, CodeForm, LoginForm
from survey_app.web.staff.throttling import (
    address_limit,
    change_limit,
    code_limit,
    password_limit,
)


@bp.route("/login", methods=["GET", "POST"])
@address_limit
@password_limit
def login() -> Response | str:
    if g.get("staff") is not None and g.get("staff_stage") == access.DONE:
        return redirect(url_for("staff.home"), code=303)
    form = LoginForm(request.form if request.method == "POST" else None)
    errors: list[ErrorLink] = []
    if request.method == "POST":
        errors = error_links(form) if not form.validate() else []
        if errors:
            accounts.refuse_sign_in(access.hasher(), request.form.get("password", ""))
        else:
            account = accounts.sign_in(
                get_db(), access.hasher(), form.email.data, form.password.data
            )
            if account is not None:
                next_url = access.safe_next(request.args.get("next"))
                destination = access.begin_session(account, next_url)
                if not account.needs_two_factor:
                    devices.remember(account.id)
                return redirect(destination, code=303)
            errors = [ErrorLink("#email", messages.WRONG_SIGN_IN)]
    notice = session.pop(access.NOTICE, None)
    return render_template("staff/login.html", form=form, errors=errors, notice=notice)


@bp.route("/login/enrol", methods=["GET", "POST"])
@code_limit
def enrol() -> Response | str:
    """First sign-in of an admin or analyst: set up an authenticator app, then prove it."""
    account = access.pending_staff(access.ENROL)
    if account is None:
        return redirect(url_for("staff.login"), code=303)
    form, errors = _code_form()
    if request.method == "POST" and not errors:
        if accounts.confirm_enrolment(get_db(), get_keyring(), account.id, form.code.data):
            return _finished(account)
        errors = [ErrorLink("#code", messages.WRONG_CODE)]
    enrolment = accounts.start_enrolment(get_db(), get_keyring(), account.id)
    qr_code = segno.make(enrolment.uri, error="m").svg_data_uri(scale=5, border=2)
    return render_template(
        "staff/enrol.html", enrolment=enrolment, qr_code=qr_code, form=form, errors=errors
    )


@bp.route("/login/code", methods=["GET", "POST"])
@code_limit
def code() -> Response | str:
    account = access.pending_staff(access.CODE)
    if account is None:
        return redirect(url_for("staff.login"), code=303)
    form, errors = _code_form()
    if request.method == "POST" and not errors:
        if accounts.check_second_factor(get_db(), get_keyring(), account.id, form.code.data):
            return _finished(account)
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


def _finished(account: StaffAccount) -> Response:
    """The second factor checked out: finish the session, and remember this browser as one
    of the account's devices if the session is still there (the account may have changed)."""
    destination = access.finish_session()
    if isinstance(session.get(access.TOKEN), str):
        devices.remember(account.id)
    return redirect(destination, code=303)


def _code_form() -> tuple[CodeForm, list[ErrorLink]]:
    if request.method != "POST":
        return CodeForm(None), []
    form = CodeForm(request.form)
    return form, [] if form.validate() else error_links(form)
