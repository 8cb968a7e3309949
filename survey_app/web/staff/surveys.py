"""The staff home page and the survey pages: preview a questionnaire, create a survey, open,
close, issue access codes and set an open survey's ceiling on responses a minute.

While a survey is open the only thing shown about its responses is the overall count.
Access codes are returned once, as a download or a printable sheet, and never kept or logged.
"""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from survey_app.domain.model import Section
from survey_app.extensions import get_code_secret, get_db, get_questionnaires
from survey_app.forms.registry import (
    FIELD_BUILDERS,
    ErrorLink,
    SectionForm,
    error_links,
)
from survey_app.services import accounts, cycles, headcounts, intake, keys, reports, surveys
from survey_app.services import audit as audit_log
from survey_app.services import codes as code_service
from survey_app.services.errors import ServiceError
from survey_app.services.surveys import SurveyInfo
from survey_app.web import retiring
from survey_app.web.staff import access, bp
from survey_app.web.staff.access import current_staff, login_required, roles_required
from survey_app.web.staff.forms import CeilingForm, CodesForm, SurveyForm

WORKERS = ("admin", "analyst")


@bp.get("/")
@login_required
def home() -> Response | str:
    user = current_staff()
    if user.role == "viewer":
        return redirect(url_for("staff.releases"), code=303)
    if user.role == "facilitator":
        rows = [r for r in accounts.surveys_for(get_db(), user) if r.info.access == "sessions"]
        return render_template("staff/facilitator_home.html", rows=rows)
    return render_template("staff/home.html", rows=accounts.surveys_for(get_db(), user))


@bp.get("/releases")
@login_required
def releases() -> str:
    """Every survey with a published report, for everyone signed in (a facilitator: the
    series they work on)."""
    found = reports.published_reports(get_db())
    user = current_staff()
    if user.role == "facilitator":
        theirs = {row.info.slug for row in accounts.surveys_for(get_db(), user)}
        found = [r for r in found if r.slug in theirs]
    return render_template("staff/releases.html", releases=found)


@bp.route("/surveys/new", methods=["GET", "POST"])
@roles_required(*WORKERS)
def new_survey() -> Response | str:
    questionnaires = get_questionnaires()
    default_group = int(current_app.config["SURVEY_DEFAULT_MIN_GROUP"])
    form = SurveyForm(
        request.form if request.method == "POST" else None, list(questionnaires), default_group
    )
    errors: list[ErrorLink] = []
    if request.method == "GET" and request.args.get("questionnaire") in questionnaires:
        form.questionnaire.data = request.args["questionnaire"]  # from a questionnaire preview
    if request.method == "POST":
        errors = error_links(form) if not form.validate() else []
        if not errors:
            try:
                info = _create_survey(form)
            except ServiceError as error:
                errors = [ErrorLink("#title", str(error))]
            else:
                return redirect(url_for("staff.survey", slug=info.slug), code=303)
    choices = sorted(questionnaires.values(), key=lambda q: q.title)
    return render_template(
        "staff/new_survey.html", form=form, errors=errors, questionnaires=choices
    )


@bp.get("/questionnaires")
@roles_required(*WORKERS)
def questionnaires() -> str:
    """The questionnaires a new survey can use, each with a link to its preview."""
    found = sorted(get_questionnaires().values(), key=lambda q: q.title)
    return render_template("staff/questionnaires.html", questionnaires=found)


@bp.get("/questionnaires/<questionnaire_id>")
@roles_required(*WORKERS)
def preview_questionnaire(questionnaire_id: str) -> str:
    """Every section and question as respondents see them, read-only: no form, nothing sent.
    The questions some answers hide are shown too, each saying when it is asked."""
    questionnaire = get_questionnaires().get(questionnaire_id)
    if questionnaire is None:
        abort(404)
    return render_template(
        "staff/questionnaire_preview.html",
        questionnaire=questionnaire,
        forms={section.id: _preview_form(section) for section in questionnaire.sections},
    )


def _preview_form(section: Section) -> SectionForm:
    """An empty form holding every question of a section, shown or not by earlier answers."""
    fields = {}
    for question in section.questions:
        fields.update(FIELD_BUILDERS[question.type](question))
    form: SectionForm = type("PreviewForm", (SectionForm,), fields)(formdata=None)
    return form


@bp.get("/surveys/<slug>")
@roles_required(*WORKERS)
def survey(slug: str) -> str:
    info = _survey_for(slug)
    return render_template(
        "staff/survey.html",
        survey=info,
        questionnaire=info.questionnaire_in(get_questionnaires()),
        has_councils=bool(headcounts.councils(info.questionnaire_in(get_questionnaires()))),
        slots=keys.list_slots(get_db(), slug),
        responses=surveys.response_count(get_db(), info.id),
        per_minute=info.responses_per_minute
        or int(current_app.config["SURVEY_OPEN_RESPONSES_PER_MINUTE"]),
        refused=intake.refused_days(get_db(), info.id) if info.access == "open" else [],
        notice=request.args.get("done"),
        previous=_visible(cycles.earlier_cycles(get_db(), info, most=1)),
        following=_visible([found] if (found := cycles.next_of(get_db(), info)) else []),
    )


def _visible(found: list[SurveyInfo]) -> SurveyInfo | None:
    """The first survey of ``found``, if the signed-in member of staff may work on it."""
    return next((s for s in found if access.can_work_on(current_staff(), s)), None)


@bp.post("/surveys/<slug>/open")
@roles_required(*WORKERS)
def open_survey(slug: str) -> Response:
    info = _survey_for(slug)
    if info.status != "draft":  # already open (a second click), or closed for good
        return redirect(url_for("staff.survey", slug=info.slug), code=303)
    try:
        surveys.open_survey(get_db(), info.slug)
    except ServiceError:  # no key holder has accepted an invitation yet: the page says so
        return redirect(url_for("staff.survey", slug=info.slug), code=303)
    audit_log.record(get_db(), current_staff().email, "survey_opened", info.slug)
    return redirect(url_for("staff.survey", slug=info.slug, done="opened"), code=303)


@bp.route("/surveys/<slug>/close", methods=["GET", "POST"])
@roles_required(*WORKERS)
def close_survey(slug: str) -> Response | str:
    """Closing cannot be undone, so it has a page of its own that asks first."""
    info = _survey_for(slug)
    if info.status != "open":
        return redirect(url_for("staff.survey", slug=info.slug), code=303)
    if request.method == "GET":
        return render_template("staff/close.html", survey=info)
    surveys.close_survey(get_db(), info.slug)
    audit_log.record(get_db(), current_staff().email, "survey_closed", info.slug)
    return redirect(url_for("staff.survey", slug=info.slug, done="closed"), code=303)


@bp.route("/surveys/<slug>/ceiling", methods=["GET", "POST"])
@roles_required(*WORKERS)
def ceiling(slug: str) -> Response | str:
    """An open survey's ceiling on responses a minute (a guard against answers by script)."""
    info = _survey_for(slug)
    if info.access != "open" or info.status == "closed":
        return redirect(url_for("staff.survey", slug=info.slug), code=303)
    default = int(current_app.config["SURVEY_OPEN_RESPONSES_PER_MINUTE"])
    current = info.responses_per_minute or default
    posted = request.method == "POST"
    form = CeilingForm(request.form if posted else None, data={"per_minute": str(current)})
    errors = error_links(form) if posted and not form.validate() else []
    if posted and not errors:
        value = None if form.number == default else form.number
        surveys.set_responses_per_minute(get_db(), info.slug, value)
        detail = f"{form.number} a minute"
        audit_log.record(get_db(), current_staff().email, "ceiling_changed", info.slug, detail)
        return redirect(url_for("staff.survey", slug=info.slug, done="ceiling"), code=303)
    return render_template(
        "staff/ceiling.html", survey=info, form=form, errors=errors, default=default
    )


@bp.route("/surveys/<slug>/codes", methods=["GET", "POST"])
@roles_required(*WORKERS)
def issue_codes(slug: str) -> Response | str:
    info = _survey_for(slug)
    # The page explains why an open-access or closed survey has no form; a POST changes nothing.
    posted = request.method == "POST" and info.access == "codes" and info.status != "closed"
    form = CodesForm(request.form if posted else None)
    errors = error_links(form) if posted and not form.validate() else []
    if posted and not errors:
        try:
            issued = code_service.issue_codes(get_db(), info.slug, form.number, get_code_secret())
        except ServiceError as error:
            errors = [ErrorLink("#count", str(error))]
        else:
            detail = f"{len(issued)} codes"  # the count only: the codes are never kept
            audit_log.record(get_db(), current_staff().email, "codes_issued", info.slug, detail)
            return (
                _codes_csv(info, issued)
                if form.output.data == "csv"
                else _codes_sheet(info, issued)
            )
    return render_template("staff/codes.html", survey=info, form=form, errors=errors)


def _create_survey(form: SurveyForm) -> SurveyInfo:
    retiring.after_this_request()  # this process has held a passphrase and a private key
    return accounts.create_survey_as(
        get_db(),
        current_staff(),
        get_questionnaires()[form.questionnaire.data],
        title=form.title.data,
        access=form.access.data,
        min_group=form.smallest_group,
        key_label=form.key_label.data,
        passphrase=form.passphrase.data,
        log2_n=int(current_app.config["SURVEY_SCRYPT_LOG2_N"]),
    )


def _survey_for(slug: str) -> SurveyInfo:
    """The survey, if it exists (404) and the signed-in member of staff may work on it (403)."""
    info = surveys.find_survey(get_db(), slug)
    if info is None:
        abort(404)
    if not access.can_work_on(current_staff(), info):
        abort(403)
    return info


def _codes_csv(info: SurveyInfo, issued: list[str]) -> Response:
    response = make_response("code\n" + "".join(f"{code}\n" for code in issued))
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = f"attachment; filename={info.slug}-codes.csv"
    response.headers["Cache-Control"] = "no-store"
    return response


def _codes_sheet(info: SurveyInfo, issued: list[str]) -> Response:
    address = url_for("respond.start", slug=info.slug, _external=True)
    page = render_template("staff/code_sheet.html", survey=info, codes=issued, address=address)
    response = make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response
