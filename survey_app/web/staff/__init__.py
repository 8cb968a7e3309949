"""The staff pages: sign-in, surveys, users and the audit log, under /staff/."""

from __future__ import annotations

from flask import Blueprint, request
from werkzeug.wrappers import Response

from survey_app.extensions import get_survey_links
from survey_app.services import accounts
from survey_app.web.staff import access


def _read_links_again(response: Response) -> Response:
    """After any staff change (a survey opened, closed, its ceiling set), this process reads
    the surveys behind respondent links afresh: its own pages never lag behind its own
    change. Other processes catch up within SURVEY_LINK_CACHE_SECONDS."""
    if request.method not in ("GET", "HEAD"):
        get_survey_links().forget()
    return response


bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.before_request(access.load_staff)
bp.after_request(_read_links_again)
bp.context_processor(access.template_helpers)
bp.register_error_handler(accounts.AccountError, access.account_problem)

# The submodules add their routes to ``bp``.
from survey_app.web.staff import (  # noqa: E402
    analysis,
    annual,
    audit,
    auth,
    cycles,
    headcounts,
    keys,
    reports,
    series,
    surveys,
    themes,
    users,
)

__all__ = [
    "analysis",
    "annual",
    "audit",
    "auth",
    "bp",
    "cycles",
    "headcounts",
    "keys",
    "reports",
    "series",
    "surveys",
    "themes",
    "users",
]
