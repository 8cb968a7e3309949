"""Sealing and storing a response (survey_app.services.submission)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import Date, inspect

from survey_app.crypto import open_envelope
from survey_app.crypto.sealing import PAD_BUCKET
from survey_app.domain.model import Questionnaire
from survey_app.services import surveys
from survey_app.services.errors import ServiceError
from survey_app.services.export import open_responses
from survey_app.services.keys import unlock_survey
from survey_app.services.submission import answers_document, submit_response
from survey_app.storage.database import Database
from tests.helpers.journey import PASSPHRASE

from .conftest import minimal_answers, new_survey, raw_rows

# version (1) + key id (8) + ephemeral public key (32) + nonce (12), then the GCM tag (16).
ENVELOPE_OVERHEAD = 1 + 8 + 32 + 12 + 16


def test_answers_document_is_canonical_json(questionnaire: Questionnaire) -> None:
    answers = {
        "statements": {"tea": "agree", "rain": "neutral"},
        "colour": "red",
        "comment": "Café",
    }
    document = answers_document(questionnaire, answers)

    assert isinstance(document, bytes)
    assert json.loads(document) == {
        "questionnaire": "sample-survey",
        "version": "1",
        "answers": answers,
    }
    # Sorted keys, no spaces, UTF-8 rather than \u escapes: the same answers always give the
    # same bytes, whatever order they were collected in.
    assert document == (
        b'{"answers":{"colour":"red","comment":"Caf\xc3\xa9",'
        b'"statements":{"rain":"neutral","tea":"agree"}},'
        b'"questionnaire":"sample-survey","version":"1"}'
    )
    reordered = dict(reversed(list(answers.items())))
    assert answers_document(questionnaire, reordered) == document


def test_submit_stores_what_was_answered(db: Database, questionnaire: Questionnaire) -> None:
    info = new_survey(db, questionnaire, slug="submit")
    answers = minimal_answers(
        "Short comment", pets=["cat", "dog"], mood="agree", years=0, dog_name_length="no"
    )
    submit_response(db, info, questionnaire, answers)

    (opened,) = open_responses(db, "submit", PASSPHRASE)
    assert opened.answers == answers
    assert opened.questionnaire_version == "1"
    assert opened.submitted_on == dt.date.today()


def test_submit_prunes_hidden_and_unknown_answers(
    db: Database, questionnaire: Questionnaire
) -> None:
    info = new_survey(db, questionnaire, slug="prune")
    # dog_name_length is shown only to people who have had a dog.
    answers = minimal_answers(pets=["cat"], dog_name_length="yes", not_a_question="sneaky")
    submit_response(db, info, questionnaire, answers)

    (opened,) = open_responses(db, "prune", PASSPHRASE)
    assert opened.answers == minimal_answers(pets=["cat"])
    assert "dog_name_length" not in opened.answers
    assert "not_a_question" not in opened.answers


@pytest.mark.parametrize(
    "answers",
    [
        {"statements": {"tea": "agree", "rain": "agree"}},  # no colour
        {"colour": "red"},  # no grid
        {"colour": "red", "statements": {"tea": "agree"}},  # half a grid
        {"colour": "  ", "statements": {"tea": "agree", "rain": "agree"}},  # blank
        minimal_answers(pets=["dog"]),  # the dog question is now shown, and required
    ],
    ids=["no-colour", "no-grid", "half-grid", "blank", "shown-by-show_if"],
)
def test_submit_refuses_missing_required_answers(
    db: Database, questionnaire: Questionnaire, answers: dict[str, object]
) -> None:
    info = new_survey(db, questionnaire, slug="required")
    with pytest.raises(ServiceError, match="required questions have not been answered"):
        submit_response(db, info, questionnaire, answers)
    assert surveys.response_count(db, info.id) == 0


def test_submit_to_a_draft_or_closed_survey_is_refused(
    db: Database, questionnaire: Questionnaire
) -> None:
    draft = new_survey(db, questionnaire, slug="draft", open_it=False)
    with pytest.raises(ServiceError, match="closed"):
        submit_response(db, draft, questionnaire, minimal_answers())
    assert surveys.response_count(db, draft.id) == 0

    info = new_survey(db, questionnaire, slug="closing")
    submit_response(db, info, questionnaire, minimal_answers())
    surveys.close_survey(db, "closing")
    # ``info`` still says "open": the service must look at the stored status, not the caller's.
    assert info.status == "open"
    with pytest.raises(ServiceError, match="This survey has closed"):
        submit_response(db, info, questionnaire, minimal_answers())
    assert surveys.response_count(db, info.id) == 1


def test_the_stored_row_holds_only_id_survey_version_date_and_envelope(
    db: Database, questionnaire: Questionnaire
) -> None:
    info = new_survey(db, questionnaire, slug="stored")
    distinctive = "Purple giraffes audit the quarterly marmalade"
    submit_response(db, info, questionnaire, minimal_answers(distinctive))
    submit_response(db, info, questionnaire, minimal_answers("Another one"))

    rows = raw_rows(db, "responses", survey_id=info.id)
    assert len(rows) == 2
    for row in rows:
        assert set(row) == {
            "id",
            "survey_id",
            "questionnaire_version",
            "submitted_on",
            "envelope",
            "session_id",
        }
        assert row["session_id"] is None  # a survey's response; only a series' has a session
        assert re.fullmatch(r"[0-9a-f]{32}", row["id"])
        assert row["survey_id"] == info.id
        assert row["questionnaire_version"] == questionnaire.version
        # A date and nothing finer: SQLite keeps the ISO date text, PostgreSQL a date.
        submitted = row["submitted_on"]
        if isinstance(submitted, str):
            assert submitted == dt.date.today().isoformat()
        else:
            assert type(submitted) is dt.date
            assert submitted == dt.date.today()
        envelope = bytes(row["envelope"])
        for secret in (distinctive, "Purple giraffes", "marmalade", "colour", "statements"):
            assert secret.encode() not in envelope
            assert secret.encode("utf-16-le") not in envelope
    # Random ids: different, and not one after the other.
    first, second = (int(row["id"], 16) for row in rows)
    assert abs(first - second) > 1_000_000
    column = {c["name"]: c for c in inspect(db.engine).get_columns("responses")}["submitted_on"]
    assert isinstance(column["type"], Date)
    assert "TIME" not in str(column["type"]).upper()


def envelope_lengths(db: Database, slug: str, survey_id: str) -> dict[str, int]:
    """Each response's envelope length, keyed by its comment."""
    key = unlock_survey(db, slug, PASSPHRASE)
    lengths = {}
    for row in raw_rows(db, "responses", survey_id=survey_id):
        envelope = bytes(row["envelope"])
        plain = open_envelope(
            envelope, key, survey_id=survey_id, questionnaire_version=row["questionnaire_version"]
        )
        lengths[json.loads(plain)["answers"].get("comment", "")] = len(envelope)
    return lengths


def test_envelope_length_is_padded_to_a_bucket(db: Database, questionnaire: Questionnaire) -> None:
    info = new_survey(db, questionnaire, slug="padding")
    short_comments = ["", "Yes", "Yes, mostly", "Yes, mostly, though not always on Fridays"]
    for comment in short_comments:
        submit_response(db, info, questionnaire, minimal_answers(comment or None))
    # The longest comment the questionnaire allows (200 characters), in a two-byte letter,
    # pushes the document past one bucket: the envelope grows by a whole bucket.
    long_comment = "é" * 200
    submit_response(db, info, questionnaire, minimal_answers(long_comment))

    lengths = envelope_lengths(db, info.slug, info.id)
    assert all((length - ENVELOPE_OVERHEAD) % PAD_BUCKET == 0 for length in lengths.values())
    small = {lengths[comment] for comment in short_comments}
    assert small == {ENVELOPE_OVERHEAD + PAD_BUCKET}, lengths
    assert lengths[long_comment] == ENVELOPE_OVERHEAD + 2 * PAD_BUCKET
