"""Opening a survey's responses for a key holder: the only raw export, and only from the CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from survey_app.crypto import open_envelope
from survey_app.services.errors import ServiceError
from survey_app.services.keys import unlock
from survey_app.services.surveys import envelope_scope, survey_row
from survey_app.storage.database import Database
from survey_app.storage.models import Response


@dataclass(frozen=True)
class OpenedResponse:
    questionnaire_version: str
    submitted_on: dt.date
    answers: dict[str, Any]


def open_responses(db: Database, slug: str, passphrase: str) -> list[OpenedResponse]:
    """Unlock the survey key with ``passphrase`` and open every response, in memory."""
    opened: list[OpenedResponse] = []
    with db.session() as session:
        survey = survey_row(session, slug)
        private_key, _slot = unlock(session, survey, passphrase)
        rows = session.scalars(
            select(Response).where(Response.survey_id == survey.id).order_by(Response.id)
        )
        for row in rows:
            plaintext = open_envelope(
                row.envelope,
                private_key,
                survey_id=envelope_scope(survey.id, row.session_id),
                questionnaire_version=row.questionnaire_version,
            )
            document = json.loads(plaintext)
            opened.append(
                OpenedResponse(row.questionnaire_version, row.submitted_on, document["answers"])
            )
    del private_key
    return opened


def write_export(
    db: Database, slug: str, passphrase: str, out: Path, *, overwrite: bool = False
) -> int:
    """Write the opened responses as JSON to ``out`` (readable by its owner only)."""
    responses = open_responses(db, slug, passphrase)
    with db.session() as session:
        survey = survey_row(session, slug)
        header = {
            "survey": survey.slug,
            "title": survey.title,
            "questionnaire": survey.questionnaire_id,
            "responses": [
                {
                    "questionnaire_version": r.questionnaire_version,
                    "submitted_on": r.submitted_on.isoformat(),
                    "answers": r.answers,
                }
                for r in responses
            ],
        }
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    try:
        fd = os.open(out, flags, 0o600)
    except FileExistsError:
        raise ServiceError(f"{out} already exists; choose another file name") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(header, handle, ensure_ascii=False, indent=2)
    return len(responses)
