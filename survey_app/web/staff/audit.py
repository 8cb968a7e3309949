"""The audit log of staff actions, newest first, for admins only."""

from __future__ import annotations

from flask import render_template, request

from survey_app.domain.numbers import whole_number
from survey_app.extensions import get_db
from survey_app.services import audit as audit_log
from survey_app.web.staff import bp
from survey_app.web.staff.access import roles_required


@bp.get("/audit")
@roles_required("admin")
def audit() -> str:
    number = whole_number(request.args.get("page"), max_digits=6) or 1
    return render_template("staff/audit.html", events=audit_log.list_events(get_db(), number))
