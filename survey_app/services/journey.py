"""What the respondent pages need from the rest of the system, in one place."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from survey_app.domain.model import Questionnaire
from survey_app.services.errors import NotFoundError
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


def live_survey(db: Database, questionnaires: Mapping[str, Questionnaire], slug: str) -> LiveSurvey:
    """The survey behind a public link. Drafts (never opened) are as unknown as a typo."""
    info = find_survey(db, slug)
    if info is None or info.status == "draft":
        raise NotFoundError(slug)
    questionnaire = questionnaires.get(info.questionnaire_id)
    if questionnaire is None or questionnaire.version != info.questionnaire_version:
        # The questionnaire file changed under an existing survey; it cannot be answered
        # safely any more, so it behaves as unknown rather than mixing versions.
        raise NotFoundError(slug)
    return LiveSurvey(info, questionnaire)
