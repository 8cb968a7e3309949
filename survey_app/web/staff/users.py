"""Staff accounts, for admins to see. Accounts are created and changed with `flask users`."""

from __future__ import annotations

from flask import render_template

from survey_app.extensions import get_db
from survey_app.services import accounts
from survey_app.web.staff import bp
from survey_app.web.staff.access import roles_required


@bp.get("/users")
@roles_required("admin")
def users() -> str:
    return render_template("staff/users.html", users=accounts.list_users(get_db()))
