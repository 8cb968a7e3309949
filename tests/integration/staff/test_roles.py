"""Who may see what: admins everything, analysts their assigned surveys, facilitators and
viewers neither surveys nor users nor the audit log."""

from __future__ import annotations

import pytest
from flask import Flask

from survey_app.extensions import get_db
from survey_app.services import accounts
from survey_app.services.surveys import find_survey
from survey_app.web.staff.access import can_work_on, safe_next
from tests.helpers.journey import create_survey
from tests.helpers.pages import check_page
from tests.integration.staff.support import HOME, make_user, signed_in

SLUG = "reflective-space-feedback"
SURVEY_PAGES = [
    f"/staff/surveys/{SLUG}",
    f"/staff/surveys/{SLUG}/close",
    f"/staff/surveys/{SLUG}/codes",
    "/staff/surveys/new",
]
ADMIN_PAGES = ["/staff/users", "/staff/audit"]


@pytest.fixture
def survey_app(app: Flask) -> Flask:
    create_survey(app, SLUG)
    return app


@pytest.mark.parametrize("role", ["viewer", "facilitator"])
def test_viewers_and_facilitators_get_the_403_page(survey_app: Flask, role: str) -> None:
    client, _staff = signed_in(survey_app, role)
    for url in SURVEY_PAGES + ADMIN_PAGES:
        page = check_page(client.get(url), 403)
        assert page.h1 == "You do not have permission to see this page", url
        assert page.select(".cd-exit-this-page") == []
    token = check_page(client.get("/staff/releases")).csrf_token()
    response = client.post(f"/staff/surveys/{SLUG}/open", data={"csrf_token": token})
    assert response.status_code == 403


def test_analyst_not_assigned_gets_403(survey_app: Flask) -> None:
    client, _staff = signed_in(survey_app, "analyst")
    for url in SURVEY_PAGES[:-1] + ADMIN_PAGES:
        assert check_page(client.get(url), 403).h1.startswith("You do not have permission"), url
    page = check_page(client.get(HOME))
    assert page.select("#surveys") == []
    assert "You have not been given any surveys" in page.text()
    assert check_page(client.get("/staff/surveys/new")).h1 == "Create a survey"


def test_analyst_assigned_may_work_on_the_survey(survey_app: Flask) -> None:
    client, staff = signed_in(survey_app, "analyst")
    with survey_app.app_context():
        accounts.assign(get_db(), email=staff.email, slug=SLUG, actor="cli")
    page = check_page(client.get(f"/staff/surveys/{SLUG}"))
    assert page.h1 == "Test Reflective Space and webinar feedback"
    assert page.one(".cd-caption-l").get_text(strip=True) == SLUG
    assert check_page(client.get(HOME)).select(f"tr[data-slug={SLUG}]")
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 403


def test_admin_may_see_everything(survey_app: Flask) -> None:
    client, _staff = signed_in(survey_app, "admin")
    for url in SURVEY_PAGES[:1] + SURVEY_PAGES[2:] + ADMIN_PAGES:
        assert client.get(url).status_code == 200, url
    # The close page only makes sense for an open survey; this one is open.
    assert check_page(client.get(SURVEY_PAGES[1])).h1.startswith("Are you sure")


def test_unknown_survey_is_not_found(survey_app: Flask) -> None:
    client, _staff = signed_in(survey_app, "admin")
    assert check_page(client.get("/staff/surveys/no-such-survey"), 404).h1 == "Page not found"


def test_can_work_on(survey_app: Flask) -> None:
    _c, _s = signed_in(survey_app, "admin")
    _c, _s = signed_in(survey_app, "analyst")
    _c, _s = signed_in(survey_app, "viewer")
    with survey_app.test_request_context(), survey_app.app_context():
        db = get_db()
        survey = find_survey(db, SLUG)
        assert survey is not None
        admin, analyst, viewer = (
            accounts.find_account(db, f"{role}@example.org")
            for role in ("admin", "analyst", "viewer")
        )
        assert admin and analyst and viewer
        assert can_work_on(admin, survey)
        assert not can_work_on(analyst, survey)
        assert not can_work_on(viewer, survey)
        accounts.assign(db, email=analyst.email, slug=SLUG, actor="test")
        assert can_work_on(analyst, survey)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/staff/audit", "/staff/audit"),
        ("/staff/surveys/x", "/staff/surveys/x"),
        ("/staff//evil.example", None),
        ("https://evil.example/staff/", None),
        ("/s/survey/", None),
        ("/staff/\\evil", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_next(value: str | None, expected: str | None) -> None:
    assert safe_next(value) == expected


def test_users_page_lists_every_account(survey_app: Flask) -> None:
    client, _admin = signed_in(survey_app, "admin")
    make_user(survey_app, "analyst")
    make_user(survey_app, "viewer")
    with survey_app.app_context():
        accounts.assign(get_db(), email="analyst@example.org", slug=SLUG, actor="test")
        accounts.deactivate(get_db(), email="viewer@example.org", actor="test")
    page = check_page(client.get("/staff/users"))
    assert page.h1 == "Users"
    rows = [
        [cell.get_text(strip=True) for cell in tr.select("th, td")]
        for tr in page.select("#users tbody tr")
    ]
    assert rows == [
        ["admin@example.org", "Admin", "Set up", "Active", "All"],
        ["analyst@example.org", "Analyst", "Not set up yet", "Active", SLUG],
        ["viewer@example.org", "Viewer", "Not needed", "Deactivated", "None"],
    ]
