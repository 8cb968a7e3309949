"""What the respondent pages need from the rest of the system, in one place.

Every respondent holds a single-use token from the moment they start, kept only in their
encrypted draft: in a codes survey it is what the code is exchanged for, in an open survey it
is simply made. Sending the answers spends it, so one draft can make only one response.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from survey_app.crypto import new_respondent_token, spent_token_digest
from survey_app.domain.loading import find_version
from survey_app.domain.model import Questionnaire
from survey_app.services.codes import redeem_code
from survey_app.services.errors import NotFoundError, ServiceError
from survey_app.services.intake import IntakeCeiling, record_refusal
from survey_app.services.submission import AlreadySentError, submit_response, token_spent
from survey_app.services.surveys import SurveyInfo, find_survey
from survey_app.storage.database import Database


@dataclass(frozen=True)
class LiveSurvey:
    """A survey that respondents can see (open or closed), with its questionnaire."""

    info: SurveyInfo
    questionnaire: Questionnaire

    @property
    def is_open(self) -> bool:
        return self.info.status == "open"


class SurveyLinks:
    """The surveys behind public links, as this process last read them.

    Every respondent page names its survey by its link, and reading the survey's row was about
    a seventh of a page's work. Each survey is read from the database at most once every
    ``seconds`` in each process, so a change made by another process (a survey closed on
    another server, or by a command) reaches the pages within that time; changes made here
    call :meth:`forget`. Sending never relies on what is held: the respondent's transaction
    reads the survey row again, locked, and refuses a survey that has closed. A link that
    names no survey is never held, so made-up links cannot fill the memory."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._seconds = seconds
        self._clock = clock
        self._held: dict[str, tuple[float, SurveyInfo]] = {}

    def find(self, db: Database, slug: str) -> SurveyInfo | None:
        now = self._clock()
        held = self._held.get(slug)
        if held is not None and now < held[0]:
            return held[1]
        info = find_survey(db, slug)
        if info is None:
            self._held.pop(slug, None)
        elif self._seconds > 0:
            self._held[slug] = (now + self._seconds, info)
        return info

    def forget(self) -> None:
        """A survey changed in this process: read every link again."""
        self._held.clear()


def live_survey(
    db: Database, questionnaires: Mapping[str, Questionnaire], links: SurveyLinks, slug: str
) -> LiveSurvey:
    """The survey behind a public link, as ``links`` holds it (read at most a few seconds
    ago). Drafts (never opened) are as unknown as a typo."""
    info = links.find(db, slug)
    if info is None or info.status == "draft":
        raise NotFoundError(slug)
    questionnaire = find_version(questionnaires, info.questionnaire_id, info.questionnaire_version)
    if questionnaire is None:
        # The survey's version is no longer loaded (not kept in questionnaires/earlier/); it
        # cannot be answered safely, so it behaves as unknown rather than mixing versions.
        raise NotFoundError(slug)
    return LiveSurvey(info, questionnaire)


def start_with_code(db: Database, survey: LiveSurvey, code_text: str, secret: bytes) -> bytes:
    """A codes survey's start: use up the code now and return the respondent's token."""
    return redeem_code(db, survey.info, code_text, secret)


def start_without_code() -> bytes:
    """An open survey's start: a token of the respondent's own, stored nowhere yet."""
    return new_respondent_token()


class SurveyBusyError(ServiceError):
    """An open survey has accepted its most responses for this minute: nothing was stored."""


@dataclass(frozen=True)
class Intake:
    """The ceiling on responses a minute that open surveys keep to."""

    ceiling: IntakeCeiling
    default_per_minute: int

    def per_minute(self, survey: SurveyInfo) -> int:
        return survey.responses_per_minute or self.default_per_minute


def send_answers(
    db: Database,
    survey: LiveSurvey,
    answers: Mapping[str, Any],
    token: bytes,
    secret: bytes,
    intake: Intake | None = None,
    session_id: str | None = None,
) -> None:
    """Seal and store the answers, spending the respondent's token in the same transaction.
    Raises AlreadySentError if the token was spent before (the same draft sent again), and,
    in an open survey with an ``intake`` ceiling, SurveyBusyError when this minute is full."""
    digest = spent_token_digest(token, secret, survey.info.id)
    if intake is not None and survey.info.access == "open":
        # A second send of one draft is answered without using up the minute's allowance.
        if token_spent(db, digest):
            raise AlreadySentError("These answers have already been sent")
        if not intake.ceiling.admit(survey.info.id, intake.per_minute(survey.info)):
            record_refusal(db, survey.info.id)
            raise SurveyBusyError("This survey is taking in many responses: send again shortly")
    submit_response(
        db, survey.info, survey.questionnaire, answers, spent_digest=digest, session_id=session_id
    )
