"""Sealing and storing a completed response."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select

from survey_app.crypto import seal
from survey_app.domain.answers import answer_problems
from survey_app.domain.model import Questionnaire
from survey_app.domain.routing import first_unanswered_required, is_answered, prune_answers
from survey_app.services.errors import ServiceError, SurveyClosedError
from survey_app.services.sessions import window_is_open
from survey_app.services.surveys import SurveyInfo, envelope_scope, lock_open_survey
from survey_app.storage.database import Database, insert_unless_present
from survey_app.storage.models import Response, SpentToken


class AlreadySentError(ServiceError):
    """The respondent token has already been used: these answers were sent before."""


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


# Statements built once, on the tables (Core, no ORM work): on SQLite, building a statement
# costs more than running it, and every respondent's send runs these.
_SPENT_TOKENS = cast(Table, SpentToken.__table__)
_SPENT = select(_SPENT_TOKENS.c.digest).where(_SPENT_TOKENS.c.digest == bindparam("digest"))
_INSERT_RESPONSE = insert(cast(Table, Response.__table__))


def token_spent(db: Database, digest: bytes) -> bool:
    """Whether a response was already sent with the token of this digest."""
    with db.connect() as connection:
        return connection.execute(_SPENT, {"digest": digest}).first() is not None


def submit_response(
    db: Database,
    survey: SurveyInfo,
    questionnaire: Questionnaire,
    answers: Mapping[str, Any],
    *,
    spent_digest: bytes | None = None,
    session_id: str | None = None,
    today: dt.date | None = None,
) -> None:
    """Seal ``answers`` to the survey's public key and store them with nothing else but the
    survey, the questionnaire version and the date.

    ``spent_digest`` is the digest of the respondent's token (`spent_token_digest`); it is
    stored in the same transaction, and a digest already stored raises AlreadySentError, so
    one draft makes at most one response. A codes survey needs it (its tokens come only from
    redeemed codes). Without it, in an open survey, the response counts as a draft of its own.
    """
    kept = {
        question_id: value
        for question_id, value in prune_answers(questionnaire, answers).items()
        if is_answered(questionnaire.question(question_id), value)
    }
    if answer_problems(questionnaire, kept):
        raise ServiceError("Some answers are not ones the questionnaire allows")
    if first_unanswered_required(questionnaire, kept) is not None:
        raise ServiceError("Some required questions have not been answered")
    if (survey.access == "sessions") != (session_id is not None):
        raise ServiceError("A series takes responses only through one of its sessions")
    envelope = seal(
        answers_document(questionnaire, kept),
        survey.public_key,
        survey_id=envelope_scope(survey.id, session_id),
        questionnaire_version=questionnaire.version,
    )
    digest = spent_digest or secrets.token_bytes(32)  # none: a draft of its own
    with db.transaction() as session:
        # The survey must still be open when this commits: PostgreSQL locks its row shared
        # first (a close waits for us, or we wait for the close and see it); SQLite looks
        # after the first write, which took the database's write lock.
        access = None if db.locks_whole_file else lock_open_survey(session, survey.id)
        if not insert_unless_present(session, SpentToken, digest=digest, survey_id=survey.id):
            raise AlreadySentError("These answers have already been sent")
        access = access or lock_open_survey(session, survey.id)
        if access == "codes" and spent_digest is None:
            raise ServiceError("An access code is needed for this survey")
        if session_id is not None and not window_is_open(session, session_id):
            raise SurveyClosedError("This session is not taking responses")
        session.execute(
            _INSERT_RESPONSE,
            {
                "id": secrets.token_hex(16),
                "survey_id": survey.id,
                "questionnaire_version": questionnaire.version,
                "submitted_on": today or dt.date.today(),
                "envelope": envelope,
                "session_id": session_id,
            },
        )
