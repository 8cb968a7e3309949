"""Issuing access codes from the staff pages: a CSV download or a printable sheet, never kept,
audited with the count only."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import get_db
from survey_app.services.surveys import close_survey
from survey_app.storage.models import AccessCode
from tests.helpers.journey import create_survey
from tests.helpers.pages import check_page
from tests.integration.staff.support import events, post_form, signed_in

SLUG = "coded"
CODES = f"/staff/surveys/{SLUG}/codes"


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    create_survey(app, "reflective-space-feedback", slug=SLUG, access="codes")
    client, _staff = signed_in(app, "admin")
    return client


def stored_codes(app: Flask) -> int:
    with app.app_context(), get_db().session() as session:
        return len(list(session.scalars(select(AccessCode.id))))


def test_codes_page(admin: FlaskClient) -> None:
    page = check_page(admin.get(CODES))
    assert page.h1 == "Issue access codes"
    assert page.one("main form")["action"] == CODES
    assert [str(i["value"]) for i in page.select("input[name=output]")] == ["csv", "sheet"]
    link = check_page(admin.get(f"/staff/surveys/{SLUG}")).one(f'a[href="{CODES}"]')
    assert link.get_text(strip=True) == "Issue access codes"


def test_csv_download(app: Flask, admin: FlaskClient) -> None:
    response = post_form(admin, CODES, {"count": "7", "output": "csv"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f"attachment; filename={SLUG}-codes.csv"
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["code"]
    codes = [row[0] for row in rows[1:]]
    assert len(codes) == 7 == len(set(codes)) == stored_codes(app)
    # Each one works on the respondent start page.
    for code in codes:
        respondent = app.test_client()
        answered = post_form(respondent, f"/s/{SLUG}/", {"access_code": code})
        assert answered.status_code == 303, code
        assert f"/s/{SLUG}/q/" in answered.headers["Location"]


def test_printable_sheet(app: Flask, admin: FlaskClient) -> None:
    response = post_form(admin, CODES, {"count": "5", "output": "sheet"})
    page = check_page(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert page.h1.startswith("Access codes for ")
    cards = page.select("#code-cards .staff-code-card")
    assert len(cards) == 5
    codes = [card.select_one(".staff-code-card__code").get_text(strip=True) for card in cards]  # type: ignore[union-attr]
    how = cards[0].select_one(".staff-code-card__how").get_text(" ", strip=True)  # type: ignore[union-attr]
    assert f"http://localhost/s/{SLUG}/" in how
    assert "It works once" in how
    assert page.select('link[href="/static/staff.css"]')
    respondent = app.test_client()
    assert post_form(respondent, f"/s/{SLUG}/", {"access_code": codes[0]}).status_code == 303


def test_codes_are_audited_by_count_and_never_kept(app: Flask, admin: FlaskClient) -> None:
    response = post_form(admin, CODES, {"count": "3", "output": "csv"})
    codes = response.get_data(as_text=True).split()[1:]
    [issued] = events(app, "codes_issued")
    assert (issued.survey_slug, issued.detail) == (SLUG, "3 codes")
    everything = " ".join(f"{e.actor} {e.action} {e.survey_slug} {e.detail}" for e in events(app))
    for code in codes:
        assert code not in everything
        assert code.replace("-", "") not in everything


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"count": "", "output": "csv"}, ["Enter how many codes to make, as a whole number"]),
        ({"count": "0", "output": "csv"}, ["Enter a number of codes between 1 and 5,000"]),
        ({"count": "5001", "output": "csv"}, ["Enter a number of codes between 1 and 5,000"]),
        ({"count": "-3", "output": "csv"}, ["Enter how many codes to make, as a whole number"]),
        ({"count": "10", "output": ""}, ["Select how you want the codes"]),
    ],
)
def test_mistakes_are_shown(
    app: Flask, admin: FlaskClient, data: dict[str, str], expected: list[str]
) -> None:
    page = check_page(post_form(admin, CODES, data))
    assert page.error_messages() == expected
    assert stored_codes(app) == 0
    assert events(app, "codes_issued") == []


def test_largest_batch(app: Flask, admin: FlaskClient) -> None:
    response = post_form(admin, CODES, {"count": "5,000", "output": "csv"})
    assert len(response.get_data(as_text=True).splitlines()) == 5_001
    assert stored_codes(app) == 5_000


def test_no_codes_for_an_open_access_survey(app: Flask, admin: FlaskClient) -> None:
    create_survey(app, "reflective-space-feedback", slug="open-one")
    url = "/staff/surveys/open-one/codes"
    page = check_page(admin.get(url))
    assert page.select("main form") == []
    assert "does not use access codes" in page.text()
    token = str(page.one("input[name=csrf_token]")["value"])
    page = check_page(admin.post(url, data={"count": "3", "output": "csv", "csrf_token": token}))
    assert "does not use access codes" in page.text()
    assert stored_codes(app) == 0
    assert events(app, "codes_issued") == []


def test_no_codes_for_a_closed_survey(app: Flask, admin: FlaskClient) -> None:
    with app.app_context():
        close_survey(get_db(), SLUG)
    page = check_page(admin.get(CODES))
    assert page.select("main form") == []
    assert "This survey has closed" in page.text()
    assert check_page(admin.get(f"/staff/surveys/{SLUG}")).select(f'a[href="{CODES}"]') == []
    response = admin.post(
        CODES, data={"count": "3", "output": "csv", "csrf_token": token_of(admin)}
    )
    assert response.mimetype == "text/html"
    assert stored_codes(app) == 0


def token_of(client: FlaskClient) -> str:
    return str(check_page(client.get("/staff/releases")).one("input[name=csrf_token]")["value"])
