"""An admin enters each council's eligible headcount for a survey: the denominators of the
response rates a report shows where a council's response count is published."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from survey_app.extensions import get_db, get_keyring, get_questionnaires
from survey_app.forms.registry import ErrorLink
from survey_app.services import headcounts, reports
from survey_app.services.errors import ServiceError
from survey_app.web.staff import bp
from survey_app.web.staff.access import current_staff, roles_required
from survey_app.web.staff.surveys import _survey_for


@bp.route("/surveys/<slug>/headcounts", methods=["GET", "POST"])
@roles_required("admin")
def survey_headcounts(slug: str) -> Response | str:
    info = _survey_for(slug)
    questionnaire = info.questionnaire_in(get_questionnaires())
    known = headcounts.councils(questionnaire)
    published = reports.published_group_sizes(get_db(), get_keyring(), info, headcounts.COUNCIL)
    stored = headcounts.headcounts(get_db(), info.id)
    typed = {c.value: str(stored[c.value]) if c.value in stored else "" for c in known}
    errors: list[ErrorLink] = []
    if request.method == "POST" and known:
        values: dict[str, int | None] = {}
        for council in known:
            text = request.form.get(f"headcount-{council.value}", "")[:20]
            typed[council.value] = text
            if not text.strip():
                values[council.value] = None
                continue
            count = headcounts.parse_count(text)
            if count is None:
                message = (
                    f"Enter the headcount for {council.label} as a whole number, or leave it empty"
                )
                errors.append(ErrorLink(f"#headcount-{council.value}", message))
            values[council.value] = count
        if not errors:
            try:
                headcounts.set_headcounts(
                    get_db(), info, questionnaire, values, published, actor=current_staff().email
                )
            except ServiceError as error:
                errors.append(ErrorLink(f"#headcount-{known[0].value}", str(error)))
            else:
                return redirect(
                    url_for("staff.survey", slug=info.slug, done="headcounts"), code=303
                )
    return render_template(
        "staff/headcounts.html",
        survey=info,
        councils=known,
        typed=typed,
        published=published,
        errors=errors,
    )
