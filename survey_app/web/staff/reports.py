"""Report pages and downloads, read from a stored release only (never from responses).

Analysts assigned to a survey and admins see its newest release, draft or published, and can
publish a draft; everyone else signed in sees published releases only. Anything a reader may
not see, or that does not exist (an unknown question, a breakdown the release does not
publish), is "Page not found".
"""

from __future__ import annotations

from flask import abort, make_response, render_template, request
from werkzeug.wrappers import Response

from analysis.report import HIDDEN, Report, chart_summary, text_status_message
from survey_app.extensions import get_db, get_keyring, get_questionnaires, get_unlock_store
from survey_app.services import reports
from survey_app.services.errors import NotFoundError
from survey_app.web.staff import bp
from survey_app.web.staff.access import current_staff, login_required

# The printable report is a download with its own inline styles: it never loads anything.
PRINT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def print_page(report: Report) -> str:
    """The standalone, print-ready HTML report (for the web download and the CLI)."""
    return render_template(
        "report/print.html",
        report=report,
        hidden=HIDDEN,
        summary=chart_summary,
        text_status=text_status_message,
    )


@bp.get("/surveys/<slug>/report")
@login_required
def report(slug: str) -> str:
    try:
        page = reports.overview(
            get_db(), get_keyring(), get_questionnaires(), current_staff(), slug
        )
    except NotFoundError:
        abort(404)
    notice = request.args.get("done")
    release = page.context.release
    left = (
        get_unlock_store().expires_in(release.id) if page.context.may_review and release else None
    )
    return render_template(
        "staff/report_overview.html", page=page, notice=notice, unlocked_for=_duration(left)
    )


def _duration(seconds: int | None) -> str | None:
    """ "3 hours and 20 minutes", "12 minutes" (None when not unlocked)."""
    if not seconds:
        return None
    hours, minutes = divmod(max(1, seconds // 60), 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes or not hours:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " and ".join(parts)


@bp.get("/surveys/<slug>/report/<question_id>")
@login_required
def report_question(slug: str, question_id: str) -> str:
    try:
        page = reports.question_page(
            get_db(),
            get_keyring(),
            get_questionnaires(),
            current_staff(),
            slug,
            question_id,
            request.args.get("view"),
        )
    except NotFoundError:
        abort(404)
    return render_template(
        "staff/report_question.html",
        page=page,
        summary=chart_summary,
        text_status=text_status_message,
    )


@bp.get("/surveys/<slug>/report/download/<file_format>")
@login_required
def download_report(slug: str, file_format: str) -> Response:
    try:
        found = reports.export_report(
            get_db(),
            get_keyring(),
            get_questionnaires(),
            current_staff(),
            slug,
            file_format,
            print_page,
        )
    except NotFoundError:
        abort(404)
    response = make_response(found.content)
    response.mimetype = found.mimetype
    response.headers["Content-Disposition"] = f"attachment; filename={found.filename}"
    response.headers["Cache-Control"] = "no-store"
    if file_format == "html":
        response.headers["Content-Security-Policy"] = PRINT_POLICY
    return response
