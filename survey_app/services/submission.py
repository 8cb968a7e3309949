"""Sealing and storing a completed response."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Mapping
from typing import Any

from survey_app.crypto import seal
from survey_app.domain.answers import answer_problems
from survey_app.domain.model import Questionnaire
from survey_app.domain.routing import first_unanswered_required, is_answered, prune_answers
from survey_app.services.codes import consume_code
from survey_app.services.errors import ServiceError, SurveyClosedError
from survey_app.services.surveys import SurveyInfo, survey_row
from survey_app.storage.database import Database
from survey_app.storage.models import Response


def answers_document(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> bytes:
    """The one JSON document that is sealed per response (see questionnaires/README.md)."""
    document = {
        "questionnaire": questionnaire.id,
        "version": questionnaire.version,
        "answers": dict(answers),
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def submit_response(
    db: Database,
    survey: SurveyInfo,
    questionnaire: Questionnaire,
    answers: Mapping[str, Any],
    *,
    code_digest: bytes | None = None,
    today: dt.date | None = None,
) -> None:
    """Seal ``answers`` to the survey's public key and store them with nothing else but the
    survey, the questionnaire version and the date. A code, if given, is marked used in the
    same transaction, with nothing that links the two rows."""
    kept = {
        question_id: value
        for question_id, value in prune_answers(questionnaire, answers).items()
        if is_answered(questionnaire.question(question_id), value)
    }
    if answer_problems(questionnaire, kept):
        raise ServiceError("Some answers are not ones the questionnaire allows")
    if first_unanswered_required(questionnaire, kept) is not None:
        raise ServiceError("Some required questions have not been answered")
    envelope = seal(
        answers_document(questionnaire, kept),
        survey.public_key,
        survey_id=survey.id,
        questionnaire_version=questionnaire.version,
    )
    with db.transaction() as session:
        row = survey_row(session, survey.slug)
        if row.status != "open":
            raise SurveyClosedError("This survey has closed")
        if row.access == "codes":
            if code_digest is None:
                raise ServiceError("An access code is needed for this survey")
            consume_code(session, row.id, code_digest)
        session.add(
            Response(
                id=secrets.token_hex(16),
                survey_id=row.id,
                questionnaire_version=questionnaire.version,
                submitted_on=today or dt.date.today(),
                envelope=envelope,
            )
        )
