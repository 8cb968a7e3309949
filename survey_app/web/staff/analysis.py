"""A key holder's passphrase at work: analyse a closed survey, unlock its theme review,
publish its report.

Each asks for a passphrase and hands it to a short-lived job process (``services.jobs``),
started by a job worker (sealed to it through Redis) or by this process: this web worker
never unwraps the survey key and never sees a response.
A wrong passphrase is refused at once, stores nothing, is audited and counts towards a limit
shared by the three pages; analysing and publishing then run in the background and their page
shows the progress.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from survey_app.extensions import (
    get_db,
    get_keyring,
    get_questionnaires,
    get_unlock_store,
    job_settings,
    limiter,
    unlock_seconds,
)
from survey_app.forms.registry import ErrorLink
from survey_app.services import analysis, jobs, publishing, review
from survey_app.services import audit as audit_log
from survey_app.services.errors import KeySlotError, NotFoundError, ServiceError
from survey_app.services.surveys import SurveyInfo
from survey_app.web import retiring
from survey_app.web.staff import bp
from survey_app.web.staff.access import current_staff, roles_required
from survey_app.web.staff.surveys import WORKERS, _survey_for

WRONG_PASSPHRASE_STATUS = 400
#: A form error that is not about the passphrase (it must not count towards the limit).
FORM_ERROR_STATUS = 422


def _analyst_key() -> str:
    return f"passphrase:{current_staff().id}"


# Wrong passphrases only (a refused page is a 400), shared by every page that asks for one:
# a key holder who mistypes twice is fine, a guessing run is not.
_counted = limiter.shared_limit(
    "5 per 15 minutes;20 per day",
    scope="staff-passphrase",
    key_func=_analyst_key,
    methods=["POST"],
    deduct_when=lambda response: response.status_code == WRONG_PASSPHRASE_STATUS,
)
# The count above is checked before a passphrase is tried and added to after: many attempts
# sent at once would all pass the check before the first was counted. So one member of staff
# has one passphrase attempt in flight at a time, in every process (the limiter's storage). A
# process killed mid-attempt frees the mark after BUSY_SECONDS.
BUSY_SECONDS = 120
ONE_AT_A_TIME = "Your passphrase is already being checked. Wait a moment, then try again."


def _one_at_a_time(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if request.method != "POST":
            return view(*args, **kwargs)
        mark = f"candour-passphrase-busy/{_analyst_key()}"
        storage = limiter.storage
        if storage.incr(mark, BUSY_SECONDS) > 1:
            return render_template("errors/429.html", message=ONE_AT_A_TIME), 429
        try:
            return view(*args, **kwargs)
        finally:
            storage.clear(mark)

    return guarded


def passphrase_limit(view: Callable[..., Any]) -> Callable[..., Any]:
    """Limits for a page that takes a key holder's passphrase: counted wrong attempts, and one
    attempt at a time."""
    return _counted(_one_at_a_time(view))


class Refused(Exception):
    """A job did not start: the page to show again, with its status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _start(
    kind: str, survey: SurveyInfo, params: dict[str, str], audit_action: str
) -> dict[str, Any]:
    """Run a job with the posted passphrase and return its first message; ``Refused`` if the
    passphrase was wrong (audited) or the job could not start."""
    user = current_staff()
    retiring.after_this_request()  # this process has held the passphrase
    try:
        return jobs.run_job(
            kind,
            job_settings(),
            {"slug": survey.slug, "actor": user.email, **params},
            request.form.get("passphrase", ""),
            keys=jobs.KeyKeeper(get_unlock_store(), unlock_seconds()),
        )
    except KeySlotError as error:
        detail = "refused: wrong passphrase"
        audit_log.record(get_db(), user.email, audit_action, survey.slug, detail)
        raise Refused(str(error), WRONG_PASSPHRASE_STATUS) from None
    except ServiceError as error:
        raise Refused(str(error), 409) from None


def _refused(template: str, refused: Refused, **values: Any) -> tuple[str, int]:
    errors = [ErrorLink("#passphrase", str(refused))]
    return render_template(template, errors=errors, **values), refused.status


CHOOSE_REVIEW = "Select whether to keep the review work or start the review again"
CONFIRM_LOSS = "Confirm that the review work will be lost, or go back"
CONFIRM_PUBLISH = "Confirm that you have checked what has not been reviewed"


def _review_choice(stake: review.AtStake | None) -> tuple[str, list[ErrorLink]]:
    """What the analyst chose to do with the review work at stake: "keep" or "discard"."""
    if stake is None or not stake.any:
        return "keep", []
    if not stake.carryable:
        if request.form.get("confirm") != "yes":
            return "", [ErrorLink("#confirm", CONFIRM_LOSS)]
        return "discard", []
    choice = request.form.get("review", "")
    if choice not in ("keep", "discard"):
        return "", [ErrorLink("#review", CHOOSE_REVIEW)]
    return choice, []


@bp.route("/surveys/<slug>/analyse", methods=["GET", "POST"])
@roles_required(*WORKERS)
@passphrase_limit
def analyse(slug: str) -> Response | str | tuple[str, int]:
    survey = _survey_for(slug)
    questionnaire = survey.questionnaire_in(get_questionnaires())
    if not survey.has_results or questionnaire is None:
        return render_template("staff/analyse_unavailable.html", survey=survey)
    stake = review.review_at_stake(get_db(), get_keyring(), slug)
    values = {
        "survey": survey,
        "heading": "Analyse the responses",
        "action": url_for("staff.analyse", slug=slug),
        "button_text": "Analyse",
        "stake": stake if stake is not None and stake.any else None,
        "chosen": request.form.get("review"),
    }
    if request.method == "GET":
        return render_template("staff/analyse.html", errors=[], **values)
    choice, errors = _review_choice(stake)
    if errors:
        return render_template("staff/analyse.html", errors=errors, **values), FORM_ERROR_STATUS
    try:
        started = _start("analyse", survey, {"review": choice}, "analysis_run")
    except Refused as refused:
        return _refused("staff/analyse.html", refused, **values)
    return redirect(url_for("staff.analysis_run", slug=slug, run_id=started["run"]), code=303)


@bp.get("/surveys/<slug>/analyse/<run_id>")
@roles_required(*WORKERS)
def analysis_run(slug: str, run_id: str) -> str:
    survey = _survey_for(slug)
    jobs.notice_stopped(job_settings(), get_db(), run_id)  # a job worker that crashed
    run = analysis.get_run(get_db(), run_id)
    if run is None or run.survey_id != survey.id:
        abort(404)
    return render_template("staff/analysis_run.html", survey=survey, run=run)


@bp.route("/surveys/<slug>/review/unlock", methods=["GET", "POST"])
@roles_required(*WORKERS)
@passphrase_limit
def unlock_review(slug: str) -> Response | str | tuple[str, int]:
    survey = _survey_for(slug)
    release_id = review.draft_under_review(get_db(), slug)
    if release_id is None:
        abort(404)
    values = {
        "survey": survey,
        "heading": "Unlock the theme review",
        "action": url_for("staff.unlock_review", slug=slug),
        "button_text": "Unlock",
        "hidden": {"release": release_id},
        "hours": unlock_seconds() // 3600,
        "notice": request.args.get("notice"),
        "back_url": url_for("staff.report", slug=slug),
    }
    if request.values.get("next") == "publish":  # from the publish page: back there after
        values["hidden"] = {"release": release_id, "next": "publish"}
    if request.method == "GET":
        return render_template("staff/unlock_review.html", errors=[], **values)
    if request.form.get("release") != release_id:
        return redirect(url_for("staff.unlock_review", slug=slug), code=303)
    try:
        _start("unlock", survey, {"release": release_id}, "review_unlocked")
    except Refused as refused:
        return _refused("staff/unlock_review.html", refused, **values)
    audit_log.record(
        get_db(),
        current_staff().email,
        "review_unlocked",
        slug,
        f"release {release_id} for {unlock_seconds() // 3600} hours",
    )
    if request.form.get("next") == "publish":
        return redirect(url_for("staff.publish_report", slug=slug, release=release_id), code=303)
    return redirect(url_for("staff.themes_index", slug=slug), code=303)


@bp.post("/surveys/<slug>/review/lock")
@roles_required(*WORKERS)
def lock_review(slug: str) -> Response:
    _survey_for(slug)
    release_id = review.draft_under_review(get_db(), slug)
    if release_id is not None:
        get_unlock_store().drop(release_id)
        audit_log.record(
            get_db(), current_staff().email, "review_locked", slug, f"release {release_id}"
        )
    return redirect(url_for("staff.report", slug=slug), code=303)


@bp.route("/surveys/<slug>/publish", methods=["GET", "POST"])
@roles_required(*WORKERS)
@passphrase_limit
def publish_report(slug: str) -> Response | str | tuple[str, int]:
    """A confirmation page: what has not been reviewed, then the passphrase and a tick."""
    survey = _survey_for(slug)
    release_id = request.values.get("release", "")
    state = publishing.release_state(get_db(), survey.id, release_id)
    if state is None or not survey.has_results:
        abort(404)
    status = 200 if request.method == "GET" else 409
    if state != "draft":  # published already, or a newer analysis replaced it
        return render_template("staff/publish_unavailable.html", survey=survey, state=state), status
    try:
        check = publishing.check_before_publishing(
            get_db(),
            get_keyring(),
            _questionnaire(survey),
            slug,
            release_id,
            get_unlock_store(),
            actor=current_staff().email,
        )
    except NotFoundError:  # published or replaced a moment ago
        abort(404)
    if check.locked:
        return render_template("staff/publish_locked.html", survey=survey), status
    values = _publish_values(survey, check)
    if request.method == "GET":
        return render_template("staff/publish.html", errors=[], **values)
    errors = _publish_errors(check)
    if errors:
        return render_template("staff/publish.html", errors=errors, **values), FORM_ERROR_STATUS
    try:
        params = {"release": release_id, "review": check.review}
        started = _start("publish", survey, params, "release_published")
    except Refused as refused:
        return _refused("staff/publish.html", refused, **values)
    return redirect(url_for("staff.analysis_run", slug=slug, run_id=started["run"]), code=303)


def _questionnaire(survey: SurveyInfo) -> Any:
    found = survey.questionnaire_in(get_questionnaires())
    if found is None:
        abort(404)
    return found


def _publish_values(survey: SurveyInfo, check: publishing.PublishCheck) -> dict[str, Any]:
    return {
        "survey": survey,
        "heading": "Publish the report",
        "action": url_for("staff.publish_report", slug=survey.slug),
        "button_text": "Publish",
        "hidden": {"release": check.release_id, "review": check.review},
        "check": check,
        "republishing": analysis.release_count(get_db(), survey.id, status="published") > 0,
        "back_url": url_for("staff.report", slug=survey.slug),
    }


def _publish_errors(check: publishing.PublishCheck) -> list[ErrorLink]:
    """The tick must be there, and the review must be the one the page listed."""
    if request.form.get("review", "") != check.review:
        return [ErrorLink("#unreviewed", publishing.REVIEW_CHANGED)]
    if request.form.get("confirm") != "yes":
        return [ErrorLink("#confirm", CONFIRM_PUBLISH)]
    return []
