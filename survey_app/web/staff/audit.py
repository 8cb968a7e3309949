"""The audit log of staff actions, newest first, for admins only."""

from __future__ import annotations

from flask import render_template, request

from survey_app.extensions import get_db
from survey_app.services import audit as audit_log
from survey_app.web.staff import bp
from survey_app.web.staff.access import roles_required


@bp.get("/audit")
@roles_required("admin")
def audit() -> str:
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and len(page) < 7 else 1
    return render_template("staff/audit.html", events=audit_log.list_events(get_db(), number))
