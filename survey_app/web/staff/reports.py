"""Report pages and downloads, read from a stored release only (never from responses).

Analysts assigned to a survey and admins see its newest release, draft or published, and can
publish a draft; everyone else signed in sees published releases only. Anything a reader may
not see, or that does not exist (an unknown question, a breakdown the questionnaire does not
permit), is "Page not found". A permitted breakdown the release did not publish has a page
that says so in one sentence.

Downloads hold everyone's results and the breakdowns the reader ticks on the download page
(``view=council&view=ethnic_group``; ``view=overall`` alone is everyone only); an address
that names no breakdown gets everyone and each published one-way breakdown.
"""

from __future__ import annotations

import re
from typing import Any

from flask import abort, g, make_response, render_template, request
from werkzeug.wrappers import Response

from analysis.report import HIDDEN, Report, chart_summary, text_status_message
from survey_app.extensions import get_db, get_keyring, get_questionnaires, get_unlock_store
from survey_app.services import reports, trends
from survey_app.services.errors import NotFoundError
from survey_app.web.staff import bp
from survey_app.web.staff.access import current_staff, login_required

#: The report pages: links between them keep the report chosen (``?release=``).
REPORT_ENDPOINTS = frozenset(
    {
        "staff.report",
        "staff.report_question",
        "staff.report_downloads",
        "staff.download_report",
        "staff.report_protection",
        "staff.carried_codebook",
    }
)
_RELEASE_ID = re.compile(r"[0-9a-f]{32}")


def chosen_release() -> str | None:
    """An earlier report of a series, named by ``?release=`` (kept in every link between the
    report's pages); a malformed one is "Page not found"."""
    found = request.args.get("release")
    if found is None:
        return None
    if not _RELEASE_ID.fullmatch(found):
        abort(404)
    g.report_release = found
    return found


@bp.url_defaults
def keep_release(endpoint: str, values: dict[str, Any]) -> None:
    chosen = g.get("report_release")
    if chosen and endpoint in REPORT_ENDPOINTS and "release" not in values:
        values["release"] = chosen


# The printable report is a download with its own inline styles: it never loads anything.
PRINT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def print_page(report: Report) -> str:
    """The standalone, print-ready HTML report (for the web download and the CLI)."""
    return render_template(
        "report/print.html",
        report=report,
        hidden=HIDDEN,
        text_status=text_status_message,
    )


def _send(found: reports.ExportFile, file_format: str) -> Response:
    response = make_response(found.content)
    response.mimetype = found.mimetype
    response.headers["Content-Disposition"] = f"attachment; filename={found.filename}"
    response.headers["Cache-Control"] = "no-store"
    if file_format == "html":
        response.headers["Content-Security-Policy"] = PRINT_POLICY
    return response


def _export(slug: str, file_format: str) -> Response:
    try:
        found = reports.export_report(
            get_db(),
            get_keyring(),
            get_questionnaires(),
            current_staff(),
            slug,
            file_format,
            print_page,
            request.args.getlist("view"),
            release_id=chosen_release(),
        )
    except NotFoundError:
        abort(404)
    return _send(found, file_format)


@bp.get("/surveys/<slug>/report")
@login_required
def report(slug: str) -> str:
    try:
        page = reports.overview(
            get_db(),
            get_keyring(),
            get_questionnaires(),
            current_staff(),
            slug,
            release_id=chosen_release(),
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


@bp.get("/surveys/<slug>/report/year-on-year")
@login_required
def report_year(slug: str) -> str:
    """This cycle's published figures beside the cycles before it."""
    try:
        context = reports.open_report(
            get_db(), get_keyring(), get_questionnaires(), current_staff(), slug
        )
    except NotFoundError:
        abort(404)
    year = trends.year_on_year(
        get_db(),
        get_keyring(),
        get_questionnaires(),
        context.survey,
        request.args.get("view"),
        request.args.get("question"),
    )
    return render_template("staff/report_year.html", context=context, year=year)


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
            release_id=chosen_release(),
        )
    except NotFoundError:
        abort(404)
    return render_template(
        "staff/report_question.html",
        page=page,
        summary=chart_summary,
        text_status=text_status_message,
    )


@bp.get("/surveys/<slug>/report/download")
@login_required
def report_downloads(slug: str) -> Response | str:
    """The download page: tick the breakdowns, press the button for a format. The form
    comes back here with ``format`` set, and gets the file."""
    file_format = request.args.get("format")
    if file_format is not None:
        return _export(slug, file_format)
    try:
        page = reports.download_page(
            get_db(),
            get_keyring(),
            get_questionnaires(),
            current_staff(),
            slug,
            release_id=chosen_release(),
        )
    except NotFoundError:
        abort(404)
    return render_template("staff/report_download.html", page=page)


@bp.get("/surveys/<slug>/report/download/<file_format>")
@login_required
def download_report(slug: str, file_format: str) -> Response:
    return _export(slug, file_format)


@bp.get("/surveys/<slug>/report/protection")
@login_required
def report_protection(slug: str) -> str:
    try:
        context = reports.protection_page(
            get_db(),
            get_keyring(),
            get_questionnaires(),
            current_staff(),
            slug,
            release_id=chosen_release(),
        )
    except NotFoundError:
        abort(404)
    return render_template("staff/report_protection.html", context=context)
