"""The annual report: a standalone HTML document (its stylesheet inline, nothing loaded) and
the same document as a PDF laid out on the server by WeasyPrint (``services.pdf``). Both are
made from the survey's newest published release, for everyone who may read it."""

from __future__ import annotations

import datetime as dt
import functools

from flask import abort, make_response, render_template, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from analysis.report import text_status_message
from survey_app.extensions import get_db, get_keyring, get_questionnaires
from survey_app.services import annual, audit, pdf, reports
from survey_app.services.annual import AnnualReport
from survey_app.services.errors import NotFoundError, ServiceError
from survey_app.web.staff import bp
from survey_app.web.staff.access import current_staff, login_required
from survey_app.web.staff.reports import PRINT_POLICY


@functools.cache
def _stylesheet() -> Markup:
    """annual.css, to go inline: the project's own file from the package, never anything a
    user typed (Markup: as it is, not escaped)."""
    return Markup(pdf.ANNUAL_STYLESHEET.read_text(encoding="utf-8"))  # noqa: S704


def annual_html(report: AnnualReport, pdf_href: str | None = None) -> str:
    """The annual report as one HTML document (for the page, the PDF and the CLI)."""
    return render_template(
        "annual/report.html",
        report=report,
        stylesheet=_stylesheet(),
        text_status=text_status_message,
        pdf_href=pdf_href,
        made_on=dt.date.today(),
    )


def _report(slug: str) -> AnnualReport:
    """The annual report of a survey the signed-in member of staff may read (404 otherwise)."""
    try:
        context = reports.open_report(
            get_db(), get_keyring(), get_questionnaires(), current_staff(), slug
        )
        return annual.annual_report(get_db(), get_keyring(), get_questionnaires(), context.survey)
    except NotFoundError:
        abort(404)


@bp.get("/surveys/<slug>/annual-report")
@login_required
def annual_report(slug: str) -> Response:
    report = _report(slug)
    page = annual_html(report, url_for("staff.annual_report_pdf", slug=slug))
    response = make_response(page)
    response.headers["Content-Security-Policy"] = PRINT_POLICY
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/surveys/<slug>/annual-report.pdf")
@login_required
def annual_report_pdf(slug: str) -> Response | tuple[str, int]:
    report = _report(slug)
    try:
        content = pdf.html_to_pdf_apart(annual_html(report))
    except ServiceError as error:  # no layout engine here (it says what to install), or a failure
        page = render_template(
            "staff/pdf_unavailable.html", survey=report.survey, problem=str(error)
        )
        return page, 503
    audit.record(get_db(), current_staff().email, "export", slug, "annual report (PDF)")
    response = make_response(content)
    response.mimetype = "application/pdf"
    filename = f"{slug}-annual-report.pdf"
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    response.headers["Cache-Control"] = "no-store"
    return response
