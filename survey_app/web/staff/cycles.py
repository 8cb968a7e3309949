"""The annual cycle on the web: an admin starts next year's survey from this year's, and each
invited key holder accepts with their invitation code and a new passphrase.

The invitation codes are on the page that answers the form, once: nothing keeps them, the page
is not cached, and going back does not show them again.
"""

from __future__ import annotations

from flask import current_app, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from survey_app.extensions import get_db, get_keyring, get_questionnaires
from survey_app.forms.registry import ErrorLink, error_links
from survey_app.services import cycles
from survey_app.services.errors import ServiceError
from survey_app.web import retiring
from survey_app.web.staff import bp
from survey_app.web.staff.access import current_staff, roles_required
from survey_app.web.staff.forms import AcceptInvitationForm, NextCycleForm
from survey_app.web.staff.surveys import WORKERS, _survey_for


@bp.route("/surveys/<slug>/next-cycle", methods=["GET", "POST"])
@roles_required("admin")
def next_cycle(slug: str) -> Response | str:
    previous = _survey_for(slug)
    following = cycles.next_of(get_db(), previous)
    if following is not None or previous.is_series:
        return redirect(url_for("staff.survey", slug=previous.slug), code=303)
    versions = cycles.version_choices(get_questionnaires(), previous)
    posted = request.method == "POST"
    form = NextCycleForm(
        request.form if posted else None,
        [q.version for q in versions],
        {"version": versions[0].version if versions else "", "carry": "yes"},
    )
    errors: list[ErrorLink] = error_links(form) if posted and not form.validate() else []
    if posted and not errors:
        retiring.after_this_request()  # this process held the new cycle's private key
        try:
            made = cycles.next_cycle(
                get_db(),
                get_keyring(),
                get_questionnaires(),
                previous.slug,
                cycle=form.cycle.data,
                actor=current_staff().email,
                log2_n=int(current_app.config["SURVEY_SCRYPT_LOG2_N"]),
                title=form.title.data,
                new_slug=form.slug.data,
                version=form.version.data,
                carry_codebook=form.carry.data == "yes",
            )
        except ServiceError as error:
            errors = [ErrorLink("#cycle", str(error))]
        else:
            page = render_template("staff/next_cycle_done.html", made=made)
            response = make_response(page)
            response.headers["Cache-Control"] = "no-store"
            return response
    return render_template(
        "staff/next_cycle.html", survey=previous, form=form, errors=errors, versions=versions
    )


@bp.route("/surveys/<slug>/keys/accept", methods=["GET", "POST"])
@roles_required(*WORKERS)
def accept_invitation(slug: str) -> Response | str:
    info = _survey_for(slug)
    waiting = cycles.waiting_holders(get_db(), info.id)
    if not waiting:
        return redirect(url_for("staff.survey", slug=info.slug), code=303)
    posted = request.method == "POST"
    form = AcceptInvitationForm(request.form if posted else None, waiting)
    if not posted and len(waiting) == 1:
        form.label.data = waiting[0]
    errors: list[ErrorLink] = error_links(form) if posted and not form.validate() else []
    if posted and not errors:
        retiring.after_this_request()  # this process held a passphrase and a private key
        try:
            cycles.accept_invitation(
                get_db(),
                info.slug,
                label=form.label.data,
                code=form.code.data,
                passphrase=form.passphrase.data,
                log2_n=int(current_app.config["SURVEY_SCRYPT_LOG2_N"]),
                actor=current_staff().email,
            )
        except ServiceError as error:
            field = "#passphrase" if "passphrase" in str(error) else "#code"
            errors = [ErrorLink(field, str(error))]
        else:
            return redirect(url_for("staff.survey", slug=info.slug, done="accepted"), code=303)
    page = render_template(
        "staff/accept_invitation.html", survey=info, form=form, errors=errors, waiting=waiting
    )
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"  # it may hold the typed invitation code
    return response
