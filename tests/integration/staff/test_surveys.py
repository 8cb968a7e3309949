"""Creating, opening and closing surveys from the staff pages, and what they show about
responses (the overall count only)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from survey_app.extensions import get_db, get_questionnaires
from survey_app.services import accounts, keys
from survey_app.services.export import open_responses
from survey_app.services.surveys import get_survey
from tests.helpers.journey import PASSPHRASE, answer_everything, create_survey
from tests.helpers.pages import check_page
from tests.integration.staff.support import HOME, events, form_token, post_form, signed_in

NEW = "/staff/surveys/new"
QUESTIONNAIRE = "reflective-space-feedback"
GOOD: dict[str, Any] = {
    "questionnaire": QUESTIONNAIRE,
    "title": "Session feedback March",
    "access": "codes",
    "min_group": "12",
    "key_label": "Programme lead",
    "passphrase": PASSPHRASE,
    "passphrase_confirm": PASSPHRASE,
}


def test_new_survey_page(app: Flask) -> None:
    client, _staff = signed_in(app, "admin")
    page = check_page(client.get(NEW))
    assert page.h1 == "Create a survey"
    values = [str(i["value"]) for i in page.select("input[name=questionnaire]")]
    with app.app_context():
        assert sorted(values) == sorted(get_questionnaires())
    assert page.one("#min_group")["value"] == "10"
    warning = page.one(".cd-warning-text__text").get_text(" ", strip=True)
    assert "If every key holder loses their passphrase, the responses are lost for good" in warning
    assert page.one("#passphrase")["type"] == "password"
    assert page.one("#passphrase")["autocomplete"] == "new-password"


def test_admin_creates_a_survey(app: Flask) -> None:
    client, staff = signed_in(app, "admin")
    response = post_form(client, NEW, GOOD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/surveys/session-feedback-march"
    page = check_page(client.get(response.headers["Location"]))
    assert page.h1 == "Session feedback March"
    assert page.one("#survey-status").get_text(strip=True) == "Draft"
    assert [li.get_text(" ", strip=True).split(" (")[0] for li in page.select("#key-slots li")] == [
        "Programme lead"
    ]
    with app.app_context():
        info = get_survey(get_db(), "session-feedback-march")
        assert (info.access, info.min_group, info.status) == ("codes", 12, "draft")
        assert keys.unlock_survey(get_db(), info.slug, PASSPHRASE)
    [created] = events(app, "survey_created")
    assert (created.actor, created.survey_slug) == (staff.email, "session-feedback-march")
    assert PASSPHRASE not in created.detail


def test_analyst_who_creates_a_survey_is_assigned_to_it(app: Flask) -> None:
    client, staff = signed_in(app, "analyst")
    response = post_form(client, NEW, {**GOOD, "access": "open"})
    assert response.status_code == 303
    assert check_page(client.get(response.headers["Location"])).h1 == GOOD["title"]
    home = check_page(client.get(HOME))
    assert [tr["data-slug"] for tr in home.select("#surveys tbody tr")] == [
        "session-feedback-march"
    ]
    with app.app_context():
        [row] = [r for r in accounts.list_users(get_db()) if r.account.email == staff.email]
    assert row.surveys == ("session-feedback-march",)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"questionnaire": ""}, ["Select a questionnaire"]),
        ({"questionnaire": "no-such-thing"}, ["Select a questionnaire"]),
        ({"title": ""}, ["Enter a title"]),
        ({"access": "sometimes"}, ["Select who can answer the survey"]),
        ({"min_group": "4"}, ["Enter a smallest group between 5 and 1,000"]),
        ({"min_group": "ten"}, ["Enter the smallest group a report may show, as a whole number"]),
        ({"key_label": ""}, ["Enter a label for the first key holder, like their role"]),
        (
            {"passphrase": "too short", "passphrase_confirm": "too short"},
            ["Enter a passphrase of at least 12 characters"],
        ),
        ({"passphrase_confirm": "something else entirely"}, ["Enter the same passphrase twice"]),
    ],
)
def test_mistakes_are_shown_with_links_to_the_fields(
    app: Flask, changes: dict[str, str], expected: list[str]
) -> None:
    client, _staff = signed_in(app, "admin")
    page = check_page(post_form(client, NEW, {**GOOD, **changes}))
    assert page.error_messages() == expected
    # Passphrases are never sent back to the browser.
    assert not page.one("#passphrase").has_attr("value")
    assert PASSPHRASE not in page.response.get_data(as_text=True)
    if "title" not in changes:  # what was typed is kept
        assert page.one("#title")["value"] == GOOD["title"]
    assert events(app, "survey_created") == []


def test_a_title_already_used_is_refused(app: Flask) -> None:
    client, _staff = signed_in(app, "admin")
    assert post_form(client, NEW, GOOD).status_code == 303
    page = check_page(post_form(client, NEW, GOOD))
    assert page.error_messages() == [
        "A survey with the slug 'session-feedback-march' already exists"
    ]


def open_form_token(client: FlaskClient, slug: str) -> str:
    page = check_page(client.get(f"/staff/surveys/{slug}"))
    form = page.one("#survey-actions form[method=post]")
    assert form["action"] == f"/staff/surveys/{slug}/open"
    return str(form.select_one("input[name=csrf_token]")["value"])  # type: ignore[index]


def test_open_and_close_from_the_web(app: Flask) -> None:
    client, staff = signed_in(app, "admin")
    create_survey(app, QUESTIONNAIRE, slug="feedback", open_it=False)
    assert client.get("/s/feedback/").status_code == 404  # a draft is not there yet
    token = open_form_token(client, "feedback")
    response = client.post("/staff/surveys/feedback/open", data={"csrf_token": token})
    assert response.status_code == 303
    page = check_page(client.get(response.headers["Location"]))
    assert page.one("#survey-status").get_text(strip=True) == "Open"
    assert "The survey is open" in page.one(".cd-notification-banner").get_text()
    assert client.get("/s/feedback/").status_code == 200
    # Closing asks first, on a page of its own.
    close_link = page.one('#survey-actions a[href="/staff/surveys/feedback/close"]')
    assert close_link.get_text(strip=True) == "Close the survey"
    confirm = check_page(client.get("/staff/surveys/feedback/close"))
    assert confirm.h1 == "Are you sure you want to close this survey?"
    assert "You cannot undo this" in confirm.one(".cd-warning-text").get_text()
    response = client.post(
        "/staff/surveys/feedback/close", data={"csrf_token": form_token(confirm)}
    )
    assert response.status_code == 303
    page = check_page(client.get(response.headers["Location"]))
    assert page.one("#survey-status").get_text(strip=True) == "Closed"
    # Only the next cycle is left to start.
    actions = page.select("#survey-actions form, #survey-actions a")
    assert [a["href"] for a in actions] == ["/staff/surveys/feedback/next-cycle"]
    assert client.get("/s/feedback/").status_code == 410
    assert [(e.action, e.actor, e.survey_slug) for e in events(app) if "survey_" in e.action] == [
        ("survey_closed", staff.email, "feedback"),
        ("survey_opened", staff.email, "feedback"),
    ]
    # A closed survey is not closed (or opened) again.
    assert client.get("/staff/surveys/feedback/close").status_code == 303
    client.post("/staff/surveys/feedback/open", data={"csrf_token": token})
    with app.app_context():
        assert get_survey(get_db(), "feedback").status == "closed"
    assert len(events(app, "survey_opened")) == 1


def test_open_and_close_need_a_csrf_token(app: Flask) -> None:
    client, _staff = signed_in(app, "admin")
    create_survey(app, QUESTIONNAIRE, slug="feedback", open_it=False)
    assert client.post("/staff/surveys/feedback/open").status_code == 400
    with app.app_context():
        assert get_survey(get_db(), "feedback").status == "draft"
    create_survey(app, QUESTIONNAIRE, slug="open-one")
    assert client.post("/staff/surveys/open-one/close").status_code == 400
    with app.app_context():
        assert get_survey(get_db(), "open-one").status == "open"


def test_only_the_response_count_is_shown_while_open(app: Flask) -> None:
    client, _staff = signed_in(app, "admin")
    info = create_survey(app, QUESTIONNAIRE, slug="feedback")
    with app.app_context():
        questionnaire = get_questionnaires()[QUESTIONNAIRE]
    for seed in range(3):
        answer_everything(app.test_client(), questionnaire, "feedback", seed=seed)
    home = check_page(client.get(HOME))
    assert home.one("tr[data-slug=feedback] [data-responses]").get_text(strip=True) == "3"
    page = check_page(client.get("/staff/surveys/feedback"))
    assert page.one("#response-count").get_text(strip=True) == "3"
    keys_shown = [dt.get_text(strip=True) for dt in page.select("#survey-details dt")]
    assert keys_shown == [
        "Status",
        "Responses",
        "Questionnaire",
        "Who can answer",
        "Smallest group in reports",
        "Created",
        "Opened",
        "Closed",
        "Raw responses kept",
        "Most responses a minute",
        "Address for respondents",
    ]
    assert page.select("table") == []
    # Nothing any respondent wrote appears on a staff page.
    with app.app_context():
        answers = open_responses(get_db(), info.slug, PASSPHRASE)
    texts = [v for r in answers for v in r.answers.values() if isinstance(v, str) and len(v) > 8]
    assert texts
    for body in (home.response.get_data(as_text=True), page.response.get_data(as_text=True)):
        assert not any(text in body for text in texts)


def test_home_lists_every_survey_for_an_admin(app: Flask) -> None:
    client, _staff = signed_in(app, "admin")
    create_survey(app, QUESTIONNAIRE, slug="first", open_it=False)
    create_survey(app, "global-majority-staff-survey", slug="second", access="codes")
    page = check_page(client.get(HOME))
    rows = {
        str(tr["data-slug"]): [td.get_text(" ", strip=True) for td in tr.select("td")]
        for tr in page.select("#surveys tbody tr")
    }
    assert rows == {
        "first": ["Draft", "Anyone with the link", "10", "0"],
        "second": ["Open", "Access codes", "10", "0"],
    }
