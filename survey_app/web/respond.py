"""The respondent journey: no login, no tracking, nothing stored until "Submit"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from survey_app.domain.model import Question, Questionnaire, Section
from survey_app.domain.routing import (
    first_unanswered_required,
    next_section,
    previous_section,
    prune_answers,
    section_position,
    visible_sections,
)
from survey_app.extensions import (
    get_code_secret,
    get_db,
    get_intake,
    get_keyring,
    get_questionnaires,
    get_survey_links,
)
from survey_app.forms import messages
from survey_app.forms.registry import ErrorLink, answers_with_section, error_links, section_form
from survey_app.services.errors import (
    AccessCodeError,
    NotFoundError,
    ServiceError,
    SurveyClosedError,
)
from survey_app.services.journey import (
    LiveSurvey,
    SurveyBusyError,
    live_survey,
    send_answers,
    start_with_code,
    start_without_code,
)
from survey_app.services.sessions import SessionInfo, find_session, get_session, utcnow
from survey_app.services.submission import AlreadySentError
from survey_app.services.surveys import get_survey_by_id, list_surveys
from survey_app.web import drafts
from survey_app.web.presenting import summary

bp = Blueprint("respond", __name__)


@bp.get("/")
def landing() -> str:
    listed = [s for s in list_surveys(get_db(), "open") if s.access != "sessions"]
    return render_template("respond/landing.html", surveys=listed)


@bp.get("/privacy")
def privacy() -> str:
    return render_template("respond/privacy.html", notices=current_app.config["SURVEY_NOTICES"])


@bp.get("/accessibility")
def accessibility() -> str:
    return render_template(
        "respond/accessibility.html", notices=current_app.config["SURVEY_NOTICES"]
    )


@bp.get("/cookies")
def cookies() -> str:
    config = current_app.config
    return render_template(
        "respond/cookies.html",
        session_cookie=config["SESSION_COOKIE_NAME"],
        idle_minutes=config["SURVEY_STAFF_IDLE_MINUTES"],
        draft_days=config["SURVEY_DRAFT_MAX_AGE_DAYS"],
        answered_days=config["SURVEY_ANSWERED_MARKER_DAYS"],
        device_days=config["SURVEY_KNOWN_DEVICE_DAYS"],
    )


@bp.get("/exit")
def exit_page() -> Response:
    """Leave quickly: forget this browser's unfinished answers and go somewhere neutral."""
    response = redirect(current_app.config["SURVEY_EXIT_URL"], code=303)
    # The draft cookies belong to each survey's path, so the browser does not send them
    # here: expire them for every open survey's path instead.
    for info in list_surveys(get_db(), "open"):
        drafts.clear_draft(response, info.id, url_for("respond.start", slug=info.slug))
    drafts.clear_sent_drafts(request, response)
    session.clear()
    return response


@bp.route("/s/<slug>/", methods=["GET", "POST"])
def start(slug: str) -> Response | str:
    survey = _survey(slug)
    if survey.info.access == "sessions":
        # A series is answered only through a session's own link (its draft names the session).
        return make_response(render_template("respond/session_link_needed.html"), 404)
    if survey.info.access == "open":
        if drafts.is_done(request, get_keyring(), survey.info.id):
            return render_template("respond/already_done.html", survey=survey)
        return render_template("respond/start.html", survey=survey, errors=[])
    if request.method == "GET":
        return render_template("respond/start.html", survey=survey, errors=[])
    code_text = request.form.get("access_code", "")[:100]
    try:
        token = start_with_code(get_db(), survey, code_text, get_code_secret())
    except AccessCodeError as error:
        errors = [ErrorLink("#access_code", str(error))]
        return render_template(
            "respond/start.html", survey=survey, errors=errors, code_value=code_text
        )
    except SurveyClosedError:
        return _closed(survey)
    # The code is used up: from now on only this browser's draft can send answers.
    response = redirect(_first_url(survey), code=303)
    _save(response, survey, drafts.Draft(token=token))
    return response


@bp.post("/s/<slug>/new-person")
def new_person(slug: str) -> Response:
    """ "Someone else on this computer?": forget that this browser answered, and start."""
    survey = _survey(slug)
    if survey.info.access == "sessions":
        abort(404)
    response = redirect(url_for("respond.start", slug=slug), code=303)
    if survey.info.access == "open":
        drafts.forget_done(request, response, get_keyring(), survey.info.id, secure=_secure())
    return response


@bp.route("/f/<code>", methods=["GET", "POST"])
def session_start(code: str) -> Response | str:
    """A session's short link: the form while the session is open, a polite page otherwise.
    Starting makes a draft that names the session; nothing is stored until it is sent."""
    found = find_session(get_db(), code)
    if found is None:
        abort(404)
    if found.short_code != code:  # typed in lower case, or with O for 0: the canonical link
        return redirect(url_for("respond.session_start", code=found.short_code), code=301)
    survey = _series(found)
    state = found.state(utcnow())
    if state != "open" or not survey.is_open:
        closed = state == "closed" or not survey.is_open
        page = render_template("respond/session_window.html", meeting=found, closed=closed)
        return make_response(page, 410 if closed else 200)
    if drafts.is_done(request, get_keyring(), found.id):
        return render_template(
            "respond/already_done.html",
            survey=survey,
            new_person_url=url_for("respond.session_new_person", code=found.short_code),
        )
    if request.method == "GET":
        return render_template("respond/start.html", survey=survey, meeting=found, errors=[])
    draft = drafts.Draft(token=start_without_code(), session=found.id)
    response = redirect(_first_url(survey), code=303)
    _save(response, survey, draft)
    return response


@bp.post("/f/<code>/new-person")
def session_new_person(code: str) -> Response:
    """ "Someone else on this phone?": forget that this browser answered this session."""
    found = find_session(get_db(), code)
    if found is None:
        abort(404)
    response = redirect(url_for("respond.session_start", code=found.short_code), code=303)
    drafts.forget_done(request, response, get_keyring(), found.id, secure=_secure())
    return response


@bp.route("/s/<slug>/q/<section_id>", methods=["GET", "POST"])
def section(slug: str, section_id: str) -> Response | str:
    survey = _survey(slug)
    draft = _draft(survey)
    if draft is None:
        return redirect(url_for("respond.start", slug=slug), code=303)
    questionnaire = survey.questionnaire
    try:
        current = questionnaire.section(section_id)
    except KeyError:
        abort(404)
    changing = request.args.get("change") == "1"
    if current not in visible_sections(questionnaire, draft.answers):
        return redirect(_after(survey, draft, current, changing), code=303)
    form = section_form(current, draft.answers, request.form if request.method == "POST" else None)
    errors: list[ErrorLink] = []
    if request.method == "POST":
        if form.validate():
            draft.answers = prune_answers(
                questionnaire, answers_with_section(current, draft.answers, form)
            )
            response = redirect(_after(survey, draft, current, changing), code=303)
            try:
                _save(response, survey, draft)
                return response
            except drafts.DraftTooLarge:
                errors = [ErrorLink(f"#{current.questions[0].id}", messages.DRAFT_TOO_LARGE)]
        else:
            errors = error_links(form)
    previous = previous_section(questionnaire, draft.answers, current.id)
    back = (
        url_for("respond.check", slug=slug)
        if changing
        else _section_url(survey, previous)
        if previous
        else _start_url(survey, draft)
    )
    number, total = section_position(questionnaire, draft.answers, current.id)
    return render_template(
        "respond/section.html",
        survey=survey,
        section=current,
        questions=current.visible_questions(draft.answers),
        form=form,
        errors=errors,
        number=number,
        total=total,
        back_url=back,
        code_notice=survey.info.access == "codes" and not draft.answers,
    )


@bp.route("/s/<slug>/check", methods=["GET", "POST"])
def check(slug: str) -> Response | str:
    survey = _survey(slug)
    draft = _draft(survey)
    if draft is None:
        return redirect(url_for("respond.start", slug=slug), code=303)
    missing = first_unanswered_required(survey.questionnaire, draft.answers)
    if missing is not None:
        return redirect(_section_url(survey, missing[0]), code=303)
    if request.method == "POST":
        return _submit(survey, draft)
    rows = summary(survey.questionnaire, draft.answers, lambda s, q: _change_url(survey, s, q))
    last = visible_sections(survey.questionnaire, draft.answers)[-1]
    return render_template(
        "respond/check.html", survey=survey, sections=rows, back_url=_section_url(survey, last)
    )


@bp.get("/s/<slug>/done")
def done(slug: str) -> str:
    return render_template("respond/done.html", survey=_survey(slug, allow_closed=True))


def _submit(survey: LiveSurvey, draft: drafts.Draft) -> Response | str:
    try:
        send_answers(
            get_db(),
            survey,
            draft.answers,
            draft.token,
            get_code_secret(),
            get_intake(),
            session_id=draft.session,
        )
    except SurveyBusyError:
        # Nothing stored and the draft kept: the respondent sends again in a minute.
        return make_response(render_template("respond/busy.html", survey=survey), 429)
    except AlreadySentError:
        # The same draft sent again (a second click, a copied cookie): one response is kept.
        page = make_response(render_template("respond/already_sent.html", survey=survey), 409)
        _forget_draft(page, survey)
        return page
    except SurveyClosedError:
        if draft.session is not None:
            return _session_closed(survey, draft.session)
        return _closed(survey)
    except ServiceError:
        # The answers no longer make a whole response (the questionnaire refuses them).
        return redirect(url_for("respond.start", slug=survey.info.slug), code=303)
    response = redirect(url_for("respond.done", slug=survey.info.slug), code=303)
    _forget_draft(response, survey, draft.session)
    return response


def _forget_draft(response: Response, survey: LiveSurvey, session_id: str | None = None) -> None:
    """The draft has been sent: drop it, and in an open survey (or a session) remember that
    this browser has answered."""
    drafts.clear_draft(response, survey.info.id, _path(survey), _sent_drafts(survey))
    marked = session_id if survey.info.access == "sessions" else survey.info.id
    if survey.info.access in ("open", "sessions") and marked is not None:
        days = current_app.config["SURVEY_ANSWERED_MARKER_DAYS"]
        drafts.mark_done(request, response, get_keyring(), marked, days=days, secure=_secure())


def _series(found: SessionInfo) -> LiveSurvey:
    info = get_survey_by_id(get_db(), found.survey_id)
    try:
        return live_survey(get_db(), get_questionnaires(), get_survey_links(), info.slug)
    except NotFoundError:
        abort(404)


def _session_closed(survey: LiveSurvey, session_id: str) -> Response:
    found = get_session(get_db(), session_id)
    page = render_template("respond/session_window.html", meeting=found, closed=True)
    response = make_response(page, 410)
    drafts.clear_draft(response, survey.info.id, _path(survey))
    return response


def _survey(slug: str, allow_closed: bool = False) -> LiveSurvey:
    try:
        survey = live_survey(get_db(), get_questionnaires(), get_survey_links(), slug)
    except NotFoundError:
        abort(404)
    if not survey.is_open and not allow_closed:
        abort(_closed(survey))
    return survey


def _closed(survey: LiveSurvey) -> Response:
    response = make_response(render_template("closed.html", survey_title=survey.info.title), 410)
    drafts.clear_draft(response, survey.info.id, _path(survey), _sent_drafts(survey))
    return response


def _draft(survey: LiveSurvey) -> drafts.Draft | None:
    """The browser's draft; a fresh one for open surveys. None means "go to the start page"."""
    draft = drafts.load_draft(request, get_keyring(), survey.info.id)
    max_age = current_app.config["SURVEY_DRAFT_MAX_AGE_DAYS"]
    if draft is not None and draft.is_stale(max_age):
        draft = None
    if survey.info.access == "codes":
        return draft
    if survey.info.access == "sessions":
        return draft if draft is not None and draft.session else None
    if drafts.is_done(request, get_keyring(), survey.info.id):
        return None
    return draft or drafts.Draft(token=start_without_code(), started_on=dt.date.today().isoformat())


def _save(response: Response, survey: LiveSurvey, draft: drafts.Draft) -> None:
    drafts.save_draft(
        response,
        get_keyring(),
        survey.info.id,
        _path(survey),
        draft,
        _secure(),
        sent=_sent_drafts(survey),
    )


def _sent_drafts(survey: LiveSurvey) -> Mapping[str, str] | None:
    """The browser's cookies when this page is under the survey's own path, where it sends
    every draft cookie it holds: only those need expiring. None elsewhere (a session's
    short link), where any chunk may be held and all are expired."""
    return request.cookies if request.path.startswith(_path(survey)) else None


def _after(survey: LiveSurvey, draft: drafts.Draft, current: Section, changing: bool) -> str:
    if changing:
        # A changed answer can open follow-up questions: walk through them before going back.
        opened = _next_unanswered_follow_up(survey.questionnaire, draft.answers, current)
        if opened is not None:
            return url_for(
                "respond.section", slug=survey.info.slug, section_id=opened.id, change="1"
            )
        return url_for("respond.check", slug=survey.info.slug)
    following = next_section(survey.questionnaire, draft.answers, current.id)
    if following is None:
        return url_for("respond.check", slug=survey.info.slug)
    return _section_url(survey, following)


def _next_unanswered_follow_up(
    questionnaire: Questionnaire, answers: dict[str, Any], current: Section
) -> Section | None:
    """The first visible section after ``current`` with a visible, unanswered follow-up
    question (one with a condition): what a changed answer may just have opened."""
    pruned = prune_answers(questionnaire, answers)
    later = False
    for section in visible_sections(questionnaire, pruned):
        if section.id == current.id:
            later = True
            continue
        if later and any(
            question.show_if is not None and question.id not in pruned
            for question in section.visible_questions(pruned)
        ):
            return section
    return None


def _start_url(survey: LiveSurvey, draft: drafts.Draft) -> str:
    """Where a respondent started: the survey's start page, or their session's short link."""
    if draft.session is not None:
        try:
            code = get_session(get_db(), draft.session).short_code
        except NotFoundError:
            return url_for("respond.landing")
        return url_for("respond.session_start", code=code)
    return url_for("respond.start", slug=survey.info.slug)


def _first_url(survey: LiveSurvey) -> str:
    return _section_url(survey, visible_sections(survey.questionnaire, {})[0])


def _section_url(survey: LiveSurvey, section: Section) -> str:
    return url_for("respond.section", slug=survey.info.slug, section_id=section.id)


def _change_url(survey: LiveSurvey, section: Section, question: Question) -> str:
    return (
        url_for("respond.section", slug=survey.info.slug, section_id=section.id, change="1")
        + f"#{question.id}"
    )


def _path(survey: LiveSurvey) -> str:
    return url_for("respond.start", slug=survey.info.slug)


def _secure() -> bool:
    return bool(current_app.config["SESSION_COOKIE_SECURE"])


def template_helpers() -> dict[str, Any]:
    return {"first_section_url": _first_url}
