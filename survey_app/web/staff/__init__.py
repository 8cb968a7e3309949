"""The staff pages: sign-in, surveys, users and the audit log, under /staff/."""

from __future__ import annotations

from flask import Blueprint

from survey_app.services import accounts
from survey_app.web.staff import access

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.before_request(access.load_staff)
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
