"""The audit log: a fixed vocabulary, timezone-aware times, the admin-only page (newest first,
50 a page) and no secret in any column after a busy session."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlalchemy import text

from survey_app.extensions import get_db
from survey_app.services import audit
from tests.helpers.journey import PASSPHRASE, create_survey
from tests.helpers.pages import check_page
from tests.integration.staff.support import (
    PASSWORD,
    events,
    make_user,
    post_form,
    sign_in,
    signed_in,
    submit_password,
)

START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def test_record_and_list(app: Flask) -> None:
    with app.app_context():
        db = get_db()
        audit.record(db, "a@example.org", "survey_opened", "first", now=START)
        audit.record(db, "cli", "codes_issued", "first", "10 codes", now=START + dt.timedelta(1))
        listed = audit.list_events(db)
    assert listed.total == 2 and listed.pages == 1
    newest, oldest = listed.events
    assert (newest.actor, newest.action, newest.survey_slug, newest.detail) == (
        "cli",
        "codes_issued",
        "first",
        "10 codes",
    )
    assert newest.occurred_at == START + dt.timedelta(1)
    assert oldest.occurred_at.tzinfo is not None
    assert oldest.occurred_at.utcoffset() == dt.timedelta(0)


def test_vocabulary_is_fixed_and_times_carry_a_zone(app: Flask) -> None:
    with app.app_context():
        with pytest.raises(ValueError, match="unknown audit action"):
            audit.record(get_db(), "x@example.org", "deleted_everything")
        with pytest.raises(ValueError, match="timezone-aware"):
            audit.record(get_db(), "x@example.org", "login", now=dt.datetime(2026, 1, 1))
        assert audit.list_events(get_db()).total == 0


def test_audit_page_is_for_admins_only(app: Flask) -> None:
    analyst, _staff = signed_in(app, "analyst")
    assert check_page(analyst.get("/staff/audit"), 403)
    admin, staff = signed_in(app, "admin")
    page = check_page(admin.get("/staff/audit"))
    assert page.h1 == "Audit log"
    rows = page.select("#audit-events tbody tr")
    assert [tr["data-action"] for tr in rows][:2] == ["login", "totp_enrolled"]
    cells = [td.get_text(strip=True) for td in rows[0].select("td")]
    assert cells[1:3] == [staff.email, "Signed in"]


def test_audit_page_is_paginated_newest_first(app: Flask) -> None:
    with app.app_context():
        for minute in range(120):
            audit.record(
                get_db(),
                "cli",
                "survey_opened",
                f"survey-{minute:03d}",
                now=START + dt.timedelta(minutes=minute),
            )
    client, _staff = signed_in(app, "admin")  # adds user_created, totp_enrolled and login
    first = check_page(client.get("/staff/audit"))
    slugs = [
        tr.select("td")[3].get_text(strip=True) for tr in first.select("#audit-events tbody tr")
    ]
    assert len(slugs) == 50
    assert slugs[:4] == ["", "", "", "survey-119"]
    assert first.one('a[rel="next"]')["href"] == "/staff/audit?page=2"
    assert first.select('a[rel="prev"]') == []
    last = check_page(client.get("/staff/audit?page=3"))
    rows = last.select("#audit-events tbody tr")
    assert len(rows) == 123 - 100
    assert rows[-1].select("td")[3].get_text(strip=True) == "survey-000"
    assert last.title == "Audit log (page 3 of 3) – Candour"
    assert last.select('a[rel="next"]') == []
    assert check_page(client.get("/staff/audit?page=99")).title.startswith("Audit log (page 3")
    assert check_page(client.get("/staff/audit?page=x")).title.startswith("Audit log (page 1")


def test_no_secret_is_ever_recorded(app: Flask) -> None:
    """A busy session: failed and good sign-ins, enrolment, a survey created, opened, codes
    issued, closed. Then every column of every audit row is searched for the secrets."""
    staff = make_user(app, "admin")
    stranger = app.test_client()
    submit_password(stranger, staff.email, "a wrong password guess")
    submit_password(stranger, "nobody@example.org", "another guess here")
    client = app.test_client()
    sign_in(client, staff)
    post_form(
        client,
        "/staff/surveys/new",
        {
            "questionnaire": "reflective-space-feedback",
            "title": "Audit check",
            "access": "codes",
            "min_group": "10",
            "key_label": "Lead",
            "passphrase": PASSPHRASE,
            "passphrase_confirm": PASSPHRASE,
        },
    )
    page = check_page(client.get("/staff/surveys/audit-check"))
    token = str(page.one("#survey-actions form input[name=csrf_token]")["value"])
    client.post("/staff/surveys/audit-check/open", data={"csrf_token": token})
    codes = post_form(
        client, "/staff/surveys/audit-check/codes", {"count": "4", "output": "csv"}
    ).get_data(as_text=True)
    assert staff.secret is not None
    secrets = [
        PASSWORD,
        "a wrong password guess",
        "another guess here",
        PASSPHRASE,
        staff.secret,
        staff.code(),
        *codes.split()[1:],
    ]
    with app.app_context(), get_db().engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(text("SELECT * FROM audit_events"))]
    assert {row[3] for row in rows} >= {
        "login_failed",
        "login",
        "totp_enrolled",
        "survey_created",
        "survey_opened",
        "codes_issued",
    }
    dump = repr(rows)
    for secret in secrets:
        assert secret not in dump, secret
    failed = [e for e in events(app, "login_failed")]
    assert {e.actor for e in failed} == {staff.email, None}
    assert "nobody@example.org" not in dump


def test_other_work_is_recorded_with_its_survey(app: Flask) -> None:
    create_survey(app, "reflective-space-feedback", slug="feedback", open_it=False)
    client, staff = signed_in(app, "admin")
    page = check_page(client.get("/staff/surveys/feedback"))
    token = str(page.one("#survey-actions form input[name=csrf_token]")["value"])
    client.post("/staff/surveys/feedback/open", data={"csrf_token": token})
    [opened] = events(app, "survey_opened")
    assert (opened.actor, opened.survey_slug, opened.detail) == (staff.email, "feedback", "")
    assert dt.datetime.now(dt.UTC) - opened.occurred_at < dt.timedelta(minutes=1)
