"""Report pages and downloads, read from a stored release only (never from responses).

Analysts assigned to a survey and admins see its newest release, draft or published, and can
publish a draft; everyone else signed in sees published releases only. Anything a reader may
not see, or that does not exist (an unknown question, a breakdown the release does not
publish), is "Page not found".
"""

from __future__ import annotations

from flask import abort, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from analysis.report import HIDDEN, Report, chart_summary, text_status_message
from survey_app.extensions import get_db, get_keyring, get_questionnaires
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
    return render_template("staff/report_overview.html", page=page, notice=notice)


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


@bp.post("/surveys/<slug>/publish")
@login_required
def publish_report(slug: str) -> Response:
    release_id = request.form.get("release", "")
    try:
        reports.publish(
            get_db(), get_keyring(), get_questionnaires(), current_staff(), slug, release_id
        )
    except reports.ReportAccessError:
        abort(403)
    except NotFoundError:
        abort(404)
    return redirect(url_for("staff.report", slug=slug, done="published"), code=303)


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
