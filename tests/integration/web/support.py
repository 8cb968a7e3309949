"""Shared steps for the respondent page tests: the sample survey's addresses, valid answers,
what the database holds, and how a response's cookies and body are read."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from survey_app.extensions import get_code_secret, get_db, get_questionnaires
from survey_app.services.codes import issue_codes
from survey_app.services.export import OpenedResponse, open_responses
from survey_app.services.surveys import SurveyInfo, close_survey, response_count
from survey_app.storage.models import SpentToken
from tests.helpers.journey import PASSPHRASE, answer_everything, post_page
from tests.helpers.pages import Page

SLUG = "sample-survey"
START = f"/s/{SLUG}/"
CHECK = f"/s/{SLUG}/check"
DONE = f"/s/{SLUG}/done"
DRAFT_PREFIX = "candour_draft_"

# Valid answers for each page of the sample questionnaire (without the dogs page).
FIRST = {"colour": "red", "pets": ["cat"], "mood": "agree"}
SECOND = {
    "statements__tea": "agree",
    "statements__rain": "disagree",
    "years": "12",
    "comment": "Nothing more to say.",
}


def section_url(section_id: str, slug: str = SLUG) -> str:
    return f"/s/{slug}/q/{section_id}"


def stored(app: Flask, info: SurveyInfo) -> int:
    """How many rows the ``responses`` table holds for the survey."""
    with app.app_context():
        return response_count(get_db(), info.id)


def spent_tokens(app: Flask, info: SurveyInfo) -> int:
    """How many spent respondent tokens the survey has (one per response sent)."""
    with app.app_context(), get_db().session() as session:
        return len(
            session.scalars(select(SpentToken.digest).where(SpentToken.survey_id == info.id)).all()
        )


def close(app: Flask, slug: str = SLUG) -> None:
    with app.app_context():
        close_survey(get_db(), slug)


def issue(app: Flask, count: int, slug: str = SLUG) -> list[str]:
    with app.app_context():
        return issue_codes(get_db(), slug, count, get_code_secret())


def opened(app: Flask, slug: str = SLUG) -> list[OpenedResponse]:
    with app.app_context():
        return open_responses(get_db(), slug, PASSPHRASE)


def complete(app: Flask, client: FlaskClient, slug: str = SLUG, seed: int = 0) -> dict[str, Any]:
    """Answer every page and send; returns the answers the sealed document should hold."""
    with app.app_context():
        questionnaire = get_questionnaires()["sample-survey"]
    return answer_everything(client, questionnaire, slug, seed=seed)


def answer_first_two(client: FlaskClient, first: dict[str, Any] | None = None) -> None:
    """Answer the first two pages validly, ending on the check page (or the dogs page)."""
    response = post_page(client, section_url("first"), first or FIRST)
    assert response.status_code == 303
    response = post_page(client, section_url("second"), SECOND)
    assert response.status_code == 303


@dataclass(frozen=True)
class SetCookie:
    """One ``Set-Cookie`` header, parsed: attribute names lower-cased."""

    name: str
    value: str
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str | None:
        return self.attributes.get("path")

    @property
    def deletes(self) -> bool:
        """True when the header removes the cookie (expiry in the past or Max-Age 0)."""
        if self.attributes.get("max-age") == "0":
            return True
        expires = self.attributes.get("expires")
        return expires is not None and parsedate_to_datetime(expires) < dt.datetime.now(dt.UTC)


def set_cookies(response: TestResponse) -> list[SetCookie]:
    cookies = []
    for header in response.headers.getlist("Set-Cookie"):
        first, *rest = (part.strip() for part in header.split(";"))
        name, _, value = first.partition("=")
        attributes = {}
        for part in rest:
            key, _, attr_value = part.partition("=")
            attributes[key.lower()] = attr_value
        cookies.append(SetCookie(name, value, attributes))
    return cookies


def draft_cookies(response: TestResponse) -> list[SetCookie]:
    """The draft cookies a response sets with a value (not the ones it deletes)."""
    return [c for c in set_cookies(response) if c.name.startswith(DRAFT_PREFIX) and not c.deletes]


def field_error(page: Page, field_id: str) -> str:
    """The inline error shown beside a field, as read aloud ("Error: …")."""
    return page.one(f"#{field_id}-error.cd-error-message").get_text(" ", strip=True)


def summary_links(page: Page) -> list[tuple[str, str]]:
    return [(str(a["href"]), a.get_text(strip=True)) for a in page.select(".cd-error-summary a")]


def checked(page: Page, name: str) -> list[str]:
    return [str(i["value"]) for i in page.select(f'input[name="{name}"][checked]')]


def assert_no_crash(response: TestResponse) -> None:
    """No 500 and nothing that looks like a stack trace, whatever was sent."""
    assert response.status_code != 500, response.status_code
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    assert 'File "' not in body
