"""Analyse a closed survey from the web: a key holder's passphrase in, a draft release out.

The passphrase is checked at once (a wrong one is refused, stores nothing and counts towards
a limit); the analysis itself runs in the background and this page shows its progress.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from survey_app.extensions import (
    get_db,
    get_keyring,
    get_questionnaires,
    get_theme_options,
    limiter,
)
from survey_app.forms.registry import ErrorLink
from survey_app.services import analysis
from survey_app.services import audit as audit_log
from survey_app.services.errors import KeySlotError
from survey_app.web.staff import bp
from survey_app.web.staff.access import current_staff, roles_required
from survey_app.web.staff.surveys import WORKERS, _survey_for

WRONG_PASSPHRASE_STATUS = 400


def _analyst_key() -> str:
    return f"analyse:{current_staff().id}"


# Wrong passphrases only (a refused page is a 400): a key holder who mistypes twice is fine,
# a guessing run is not.
passphrase_limit = limiter.limit(
    "5 per 15 minutes;20 per day",
    scope="staff-analyse",
    key_func=_analyst_key,
    methods=["POST"],
    deduct_when=lambda response: response.status_code == WRONG_PASSPHRASE_STATUS,
)


@bp.route("/surveys/<slug>/analyse", methods=["GET", "POST"])
@roles_required(*WORKERS)
@passphrase_limit
def analyse(slug: str) -> Response | str | tuple[str, int]:
    survey = _survey_for(slug)
    questionnaire = get_questionnaires().get(survey.questionnaire_id)
    if survey.status != "closed" or questionnaire is None:
        return render_template("staff/analyse_unavailable.html", survey=survey)
    if request.method == "GET":
        return render_template("staff/analyse.html", survey=survey, errors=[])
    user = current_staff()
    try:
        run_id = analysis.begin_analysis(
            get_db(),
            get_keyring(),
            questionnaire,
            survey,
            request.form.get("passphrase", ""),
            actor=user.email,
            theme_options=get_theme_options(),
        )
    except KeySlotError as error:
        audit_log.record(get_db(), user.email, "analysis_run", slug, "refused: wrong passphrase")
        errors = [ErrorLink("#passphrase", str(error))]
        page = render_template("staff/analyse.html", survey=survey, errors=errors)
        return page, WRONG_PASSPHRASE_STATUS
    return redirect(url_for("staff.analysis_run", slug=slug, run_id=run_id), code=303)


@bp.get("/surveys/<slug>/analyse/<run_id>")
@roles_required(*WORKERS)
def analysis_run(slug: str, run_id: str) -> str:
    survey = _survey_for(slug)
    run = analysis.get_run(get_db(), run_id)
    if run is None or run.survey_id != survey.id:
        abort(404)
    return render_template("staff/analysis_run.html", survey=survey, run=run)
