"""Series and sessions from the staff side: add a session, start and close it, and show the
room its short link and QR code with a live count of responses.

Admins, and the analysts and facilitators assigned to a series, work on it here. While a
session is open the only figure anyone sees is its number of responses.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import segno
from flask import (
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from survey_app.extensions import get_db, get_keyring, get_questionnaires
from survey_app.forms.registry import ErrorLink, error_links
from survey_app.services import accounts, analysis, reports, sessions
from survey_app.services import audit as audit_log
from survey_app.services.errors import NotFoundError, ServiceError
from survey_app.services.sessions import SessionInfo
from survey_app.services.surveys import SurveyInfo, get_survey_by_id
from survey_app.web.staff import access, bp, messages
from survey_app.web.staff.access import current_staff, roles_required
from survey_app.web.staff.forms import SessionForm

SESSION_ROLES = ("admin", "analyst", "facilitator")


@bp.get("/series/<slug>")
@roles_required(*SESSION_ROLES)
def series(slug: str) -> str:
    info = _series_for(slug)
    now = sessions.utcnow()
    sessions.settle_closed(get_db(), info, now)  # sessions whose time ran out since
    found = sessions.list_sessions(get_db(), info.id)
    people = accounts.list_users(get_db())
    return render_template(
        "staff/series.html",
        series=info,
        sessions=found,
        states={s.id: s.state(now) for s in found},
        counts=sessions.response_counts(get_db(), info.id),
        progress=analysis.series_progress(get_db(), get_keyring(), info),
        analyses=current_staff().role in ("admin", "analyst"),
        notice=request.args.get("done"),
        assigned=[p.account for p in people if info.slug in p.surveys],
        assignable=[
            p.account
            for p in people
            if p.account.active
            and p.account.role in accounts.ASSIGNABLE_ROLES
            and info.slug not in p.surveys
        ],
    )


@bp.post("/series/<slug>/people")
@roles_required("admin")
def series_people(slug: str) -> Response:
    """Admins give a facilitator or analyst a series to work on, or take it away."""
    info = _series_for(slug)
    email = request.form.get("email", "")[:254]
    change = accounts.unassign if request.form.get("action") == "remove" else accounts.assign
    try:
        changed = change(get_db(), email=email, slug=info.slug, actor=current_staff().email)
    except (accounts.AccountError, ServiceError):  # not an account, or not one to assign
        changed = False
    done = ("removed" if change is accounts.unassign else "added") if changed else "unchanged"
    return redirect(url_for("staff.series", slug=info.slug, done=done), code=303)


@bp.route("/series/<slug>/sessions/new", methods=["GET", "POST"])
@roles_required(*SESSION_ROLES)
def new_session(slug: str) -> Response | str:
    info = _series_for(slug)
    posted = request.method == "POST"
    form = SessionForm(
        request.form if posted else None,
        data={
            "minutes": str(sessions.DEFAULT_OPEN_MINUTES),
            "held_on": dt.date.today().isoformat(),
        },
    )
    errors = error_links(form) if posted and not form.validate() else []
    opens_at = form.opens_at(local_zone()) if posted and not errors else None
    if opens_at is not None and opens_at + dt.timedelta(minutes=form.number) <= sessions.utcnow():
        errors = [ErrorLink("#starts_at", messages.START_HAS_PASSED)]
    if posted and not errors:
        try:
            created = sessions.create_session(
                get_db(),
                info,
                get_questionnaires(),
                title=form.title.data,
                held_on=form.day,
                format=form.format.data,
                council=form.council.data,
                facilitators=form.facilitators.data or "",
                open_minutes=form.number,
                opens_at=opens_at,
            )
        except ServiceError as error:
            errors = [ErrorLink("#title", str(error))]
        else:
            user = current_staff().email
            audit_log.record(get_db(), user, "session_created", info.slug, created.title)
            return redirect(url_for("staff.feedback_session", session_id=created.id), code=303)
    return render_template("staff/new_session.html", series=info, form=form, errors=errors)


@bp.get("/sessions/<session_id>")
@roles_required(*SESSION_ROLES)
def feedback_session(session_id: str) -> str:
    found, info = _session_for(session_id)
    sessions.settle_closed(get_db(), info)
    return render_template(
        "staff/session.html",
        series=info,
        meeting=found,
        state=found.state(sessions.utcnow()),
        count=sessions.response_count(get_db(), found),
        link=_link(found),
        qr_uri=_qr(found).svg_data_uri(scale=6, omitsize=True),
        notice=request.args.get("done"),
        problem=request.args.get("problem"),
        results=reports.session_results(
            get_db(), get_keyring(), get_questionnaires(), info, found.id
        ),
    )


@bp.post("/sessions/<session_id>/start")
@roles_required(*SESSION_ROLES)
def start_session(session_id: str) -> Response:
    return _change(session_id, sessions.start_session, "session_started", "started")


@bp.post("/sessions/<session_id>/close")
@roles_required(*SESSION_ROLES)
def close_session(session_id: str) -> Response:
    return _change(session_id, sessions.close_session, "session_closed", "closed")


@bp.get("/sessions/<session_id>/room")
@roles_required(*SESSION_ROLES)
def room(session_id: str) -> str:
    """For a projector or a webinar's shared screen: a large QR code, the short link in large
    type, the session's title and a count that keeps itself up to date."""
    found, info = _session_for(session_id)
    return render_template(
        "staff/room.html",
        series=info,
        meeting=found,
        state=found.state(sessions.utcnow()),
        count=sessions.response_count(get_db(), found),
        link=_link(found),
        # Typed from a screen: no scheme to copy (browsers add it).
        typed=_link(found).split("://", 1)[-1],
        qr_uri=_qr(found).svg_data_uri(scale=10, omitsize=True),
    )


@bp.get("/sessions/<session_id>/count")
@roles_required(*SESSION_ROLES)
def session_count(session_id: str) -> Response:
    found, _info = _session_for(session_id)
    return jsonify(
        count=sessions.response_count(get_db(), found), state=found.state(sessions.utcnow())
    )


@bp.get("/sessions/<session_id>/qr.<kind>")
@roles_required(*SESSION_ROLES)
def session_qr(session_id: str, kind: str) -> Response:
    if kind not in ("svg", "png"):
        abort(404)
    found, _info = _session_for(session_id)
    buffer = io.BytesIO()
    _qr(found).save(buffer, kind=kind, scale=12 if kind == "png" else 8, border=4)
    response = make_response(buffer.getvalue())
    response.mimetype = "image/svg+xml" if kind == "svg" else "image/png"
    name = f"session-{found.short_code}.{kind}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _change(session_id: str, action: Any, event: str, done: str) -> Response:
    """Start or close; a second press (or a stale page) is told what state the session is in."""
    found, info = _session_for(session_id)
    try:
        action(get_db(), found.id)
    except ServiceError:
        tried = "start" if done == "started" else "close"
        return redirect(
            url_for("staff.feedback_session", session_id=found.id, problem=tried), code=303
        )
    audit_log.record(get_db(), current_staff().email, event, info.slug, found.title)
    return redirect(url_for("staff.feedback_session", session_id=found.id, done=done), code=303)


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["SURVEY_TIMEZONE"])


@bp.app_template_filter("local_time")
def local_time(value: dt.datetime) -> str:
    """A session time as staff read it: their own time zone, e.g. "15:55, 10 December"."""
    return value.astimezone(local_zone()).strftime("%H:%M, %-d %B")


def _link(found: SessionInfo) -> str:
    return url_for("respond.session_start", code=found.short_code, _external=True)


def _qr(found: SessionInfo) -> segno.QRCode:
    # Error correction level M: still reads with a little glare on a projector screen.
    return segno.make_qr(_link(found), error="m")


def _series_for(slug: str) -> SurveyInfo:
    try:
        info = sessions.series_of(get_db(), slug)
    except NotFoundError:
        abort(404)
    if not access.can_work_on(current_staff(), info):
        abort(403)
    return info


def _session_for(session_id: str) -> tuple[SessionInfo, SurveyInfo]:
    try:
        found = sessions.get_session(get_db(), session_id)
    except NotFoundError:
        abort(404)
    info = get_survey_by_id(get_db(), found.survey_id)
    if not access.can_work_on(current_staff(), info):
        abort(403)
    return found, info
