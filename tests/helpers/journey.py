"""Helpers that act as a key holder (creating surveys) or a respondent (answering pages)."""

from __future__ import annotations

import random
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from survey_app.domain.model import Question, Questionnaire, QuestionType
from survey_app.domain.routing import visible_sections
from survey_app.extensions import get_db, get_questionnaires
from survey_app.services import surveys
from tests.helpers.pages import Page, check_page

PASSPHRASE = "correct horse battery staple"


def create_survey(
    app: Flask,
    questionnaire_id: str,
    *,
    slug: str | None = None,
    access: str = "open",
    open_it: bool = True,
    min_group: int = 10,
    passphrase: str = PASSPHRASE,
) -> surveys.SurveyInfo:
    with app.app_context():
        questionnaire = get_questionnaires()[questionnaire_id]
        info = surveys.create_survey(
            get_db(),
            questionnaire,
            title=f"Test {questionnaire.title}",
            access=access,
            min_group=min_group,
            key_label="Lead analyst",
            passphrase=passphrase,
            log2_n=app.config["SURVEY_SCRYPT_LOG2_N"],
            slug=slug or questionnaire_id,
        )
        if open_it:
            info = surveys.open_survey(get_db(), info.slug)
        return info


def form_value(question: Question, rng: random.Random) -> dict[str, Any]:
    """Form fields that answer ``question`` validly (used to complete real questionnaires)."""
    if question.type in (QuestionType.SINGLE_CHOICE, QuestionType.LIKERT):
        return {question.id: rng.choice(question.options).value}
    if question.type is QuestionType.MULTIPLE_CHOICE:
        plain = [o.value for o in question.options if not o.exclusive]
        return {question.id: rng.sample(plain, k=min(2, len(plain)))}
    if question.type is QuestionType.LIKERT_GRID:
        return {
            f"{question.id}__{s.id}": rng.choice(question.options).value
            for s in question.statements
        }
    if question.type is QuestionType.NUMBER:
        return {question.id: str(rng.randint(question.minimum or 0, question.maximum or 0))}
    return {question.id: f"Answer to {question.id}"}


def stored_value(question: Question, form: dict[str, Any]) -> Any:
    """What the sealed document should hold for a question answered with ``form``."""
    if question.type is QuestionType.LIKERT_GRID:
        prefix = f"{question.id}__"
        return {k.removeprefix(prefix): v for k, v in form.items() if k.startswith(prefix)}
    value = form[question.id]
    if question.type is QuestionType.MULTIPLE_CHOICE:
        return [o.value for o in question.options if o.value in value]
    if question.type is QuestionType.NUMBER:
        return int(value)
    return value


def post_page(client: FlaskClient, url: str, data: dict[str, Any]) -> Any:
    page = check_page(client.get(url))
    return client.post(url, data={**data, "csrf_token": page.csrf_token()})


def enter_code(client: FlaskClient, slug: str, code: str) -> Any:
    """Start a codes survey: type the code on the start page. This uses the code up at once
    (it is exchanged for a token kept only in this client's draft cookie)."""
    return post_page(client, f"/s/{slug}/", {"access_code": code})


def answer_everything(
    client: FlaskClient, questionnaire: Questionnaire, slug: str, seed: int = 0
) -> dict[str, Any]:
    """Answer every visible question on every page, then send. Returns the expected answers.
    In a codes survey, `enter_code` first."""
    rng = random.Random(seed)
    expected: dict[str, Any] = {}
    url = f"/s/{slug}/q/{questionnaire.sections[0].id}"
    while "/q/" in url:
        section_id = url.rsplit("/", 1)[1]
        section = questionnaire.section(section_id)
        form: dict[str, Any] = {}
        for question in section.visible_questions(expected):
            values = form_value(question, rng)
            form.update(values)
            expected[question.id] = stored_value(question, values)
        response = post_page(client, url, form)
        assert response.status_code == 303, check_page(response).error_messages()
        url = response.headers["Location"]
    assert url.endswith(f"/s/{slug}/check")
    assert len(visible_sections(questionnaire, expected)) >= 1
    check = check_page(client.get(url))
    response = client.post(url, data={"csrf_token": check.csrf_token()})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/s/{slug}/done")
    return expected


def page(client: FlaskClient, url: str, status: int = 200) -> Page:
    return check_page(client.get(url), status)
