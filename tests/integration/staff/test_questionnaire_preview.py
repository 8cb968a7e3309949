"""Previewing a questionnaire before creating a survey from it: every section and question,
drawn with the respondent's own components, read-only (no form, nothing sent), each question
that only some people see saying when it is asked."""

from __future__ import annotations

import pytest
from flask import Flask

from survey_app.domain.model import Question, Questionnaire, QuestionType
from survey_app.extensions import get_db, get_questionnaires
from survey_app.services import surveys
from tests.helpers.pages import Page, check_page
from tests.integration.staff.support import LOGIN, events, signed_in

LIST = "/staff/questionnaires"
NEW = "/staff/surveys/new"


def preview_url(questionnaire_id: str) -> str:
    return f"{LIST}/{questionnaire_id}"


def catalogue(app: Flask) -> list[Questionnaire]:
    with app.app_context():
        return list(get_questionnaires().values())


def controls(page: Page, question: Question) -> int:
    """How many answer controls the preview draws for a question."""
    if question.type is QuestionType.LIKERT_GRID:
        return sum(
            len(page.select(f"input[name='{question.id}__{statement.id}']"))
            for statement in question.statements
        )
    return len(page.select(f"[name='{question.id}']"))


def expected_controls(question: Question) -> int:
    if question.type is QuestionType.LIKERT_GRID:
        return len(question.statements) * len(question.options)
    if question.type in (QuestionType.FREE_TEXT, QuestionType.NUMBER):
        return 1
    return len(question.options)


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_the_new_survey_page_leads_to_every_questionnaire(app: Flask, role: str) -> None:
    client, _staff = signed_in(app, role)
    page = check_page(client.get(NEW))
    assert page.one("#preview-questionnaires a")["href"] == LIST
    page = check_page(client.get(LIST))
    assert page.h1 == "Questionnaires"
    rows = {str(tr["data-questionnaire"]): tr for tr in page.select("#questionnaires tbody tr")}
    assert sorted(rows) == sorted(q.id for q in catalogue(app))
    for questionnaire in catalogue(app):
        link = rows[questionnaire.id].select_one("th a")
        assert link is not None and link["href"] == preview_url(questionnaire.id)


def test_every_questionnaire_previews_every_question(app: Flask) -> None:
    client, _staff = signed_in(app, "admin")
    for questionnaire in catalogue(app):
        page = check_page(client.get(preview_url(questionnaire.id)))
        assert page.h1 == questionnaire.title
        assert page.title.startswith(f"Preview: {questionnaire.title}")
        headings = [h.get_text(strip=True) for h in page.select("#preview section h2")]
        assert headings == [section.title for section in questionnaire.sections]
        shown = [str(div["data-question"]) for div in page.select("[data-question]")]
        assert shown == [question.id for question in questionnaire.questions()]
        for question in questionnaire.questions():
            assert controls(page, question) == expected_controls(question), question.id
        ids = [str(tag["id"]) for tag in page.select("[id]")]
        assert len(ids) == len(set(ids)), "every id on the page is unique"
        # Read-only: nothing on the page can be sent.
        assert page.select("main form") == []
        assert page.select("main button") == []


def test_conditional_questions_say_when_they_are_asked(sample_app: Flask) -> None:
    client, _staff = signed_in(sample_app, "admin")
    page = check_page(client.get(preview_url("sample-survey")))
    assert page.one("#dog_name_length-asked-when").get_text(" ", strip=True) == (
        "Asked only of people who answered ‘Which pets have you had?’ with ‘Dog’."
    )
    assert page.select("#colour-asked-when") == []
    assert page.one("#section-second p.cd-body").get_text(strip=True) == "Some more questions."
    assert [s.get_text(strip=True) for s in page.select("#preview .cd-progress")] == [
        "Section 1 of 3",
        "Section 2 of 3",
        "Section 3 of 3",
    ]


def test_a_preview_leads_to_creating_a_survey_from_it(sample_app: Flask) -> None:
    client, _staff = signed_in(sample_app, "analyst")
    page = check_page(client.get(preview_url("sample-survey")))
    links = {str(a["href"]) for a in page.select("main a[role=button]")}
    assert links == {f"{NEW}?questionnaire=sample-survey"}
    page = check_page(client.get(f"{NEW}?questionnaire=sample-survey"))
    assert page.one("input[name=questionnaire][checked]")["value"] == "sample-survey"
    # An unknown questionnaire in the address preselects nothing.
    page = check_page(client.get(f"{NEW}?questionnaire=nope"))
    assert page.select("input[name=questionnaire][checked]") == []


def test_previewing_changes_nothing(sample_app: Flask) -> None:
    client, _staff = signed_in(sample_app, "admin")
    before = events(sample_app)
    check_page(client.get(preview_url("sample-survey")))
    assert events(sample_app) == before
    with sample_app.app_context():
        assert surveys.list_surveys(get_db()) == []


def test_unknown_questionnaires_are_not_found(app: Flask) -> None:
    client, _staff = signed_in(app, "admin")
    for questionnaire_id in ("nope", "x" * 300, "%00"):
        assert client.get(preview_url(questionnaire_id)).status_code == 404


@pytest.mark.parametrize("role", ["facilitator", "viewer"])
def test_only_admins_and_analysts_may_preview(app: Flask, role: str) -> None:
    client, _staff = signed_in(app, role)
    questionnaire = catalogue(app)[0]
    assert client.get(LIST).status_code == 403
    assert client.get(preview_url(questionnaire.id)).status_code == 403
    signed_out = app.test_client()
    assert signed_out.get(preview_url(questionnaire.id)).headers["Location"].startswith(LOGIN)
