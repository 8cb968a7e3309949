"""Single-use access codes (survey_app.services.codes): issued once, stored only as HMACs,
used up when the respondent starts (in exchange for a token that only the draft holds), and
never linked to a response or to a time."""

from __future__ import annotations

import hashlib
import hmac
import math
import re

import pytest
from sqlalchemy import Date, DateTime, Time, inspect

from survey_app.crypto import new_respondent_token, spent_token_digest
from survey_app.crypto.codes import (
    ACCESS_CODE_ALPHABET,
    ACCESS_CODE_ENTROPY_BITS,
    normalise_access_code,
)
from survey_app.domain.model import Questionnaire
from survey_app.services import codes, surveys
from survey_app.services.errors import AccessCodeError, ServiceError, SurveyClosedError
from survey_app.services.submission import AlreadySentError, submit_response
from survey_app.storage.database import Database

from .conftest import minimal_answers, new_survey, raw_rows

CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}")


@pytest.fixture
def codes_survey(db: Database, questionnaire: Questionnaire) -> surveys.SurveyInfo:
    return new_survey(db, questionnaire, slug="with-codes", access="codes")


def test_issue_returns_distinct_human_friendly_codes(
    db: Database, codes_survey: surveys.SurveyInfo, code_secret: bytes
) -> None:
    issued = codes.issue_codes(db, codes_survey.slug, 250, code_secret)

    assert len(issued) == 250
    assert len(set(issued)) == 250
    assert all(CODE.fullmatch(code) for code in issued), issued[:3]
    # 16 characters from a 32-letter alphabet (no I, L, O or U): 80 bits each.
    assert len(set(ACCESS_CODE_ALPHABET)) == 32
    assert not set("ILOU") & set(ACCESS_CODE_ALPHABET)
    assert 16 * math.log2(len(ACCESS_CODE_ALPHABET)) == ACCESS_CODE_ENTROPY_BITS == 80
    # 4,000 random characters use every letter of the alphabet.
    assert set("".join(issued).replace("-", "")) == set(ACCESS_CODE_ALPHABET)
    assert len(raw_rows(db, "access_codes", survey_id=codes_survey.id)) == 250


def test_codes_can_be_issued_before_the_survey_opens(
    db: Database, questionnaire: Questionnaire, code_secret: bytes
) -> None:
    new_survey(db, questionnaire, slug="draft-codes", access="codes", open_it=False)
    assert len(codes.issue_codes(db, "draft-codes", 3, code_secret)) == 3


def test_only_digests_are_stored(
    db: Database, codes_survey: surveys.SurveyInfo, code_secret: bytes
) -> None:
    issued = codes.issue_codes(db, codes_survey.slug, 20, code_secret)

    rows = raw_rows(db, "access_codes", survey_id=codes_survey.id)
    assert {frozenset(row) for row in rows} == {frozenset({"id", "survey_id", "digest", "used"})}
    expected = {
        hmac.new(code_secret, (normalise_access_code(code) or "").encode(), hashlib.sha256).digest()
        for code in issued
    }
    assert {bytes(row["digest"]) for row in rows} == expected
    assert all(len(bytes(row["digest"])) == 32 for row in rows)
    assert not any(row["used"] for row in rows)

    # No column of any table holds a code, with or without hyphens, in any case.
    forms = set()
    for code in issued:
        for variant in (code, code.replace("-", "")):
            forms.update({variant.encode(), variant.lower().encode()})
    inspector = inspect(db.engine)
    tables = inspector.get_table_names()
    assert "access_codes" in tables
    for table in tables:
        for row in raw_rows(db, table):
            for value in row.values():
                blob = (
                    bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
                )
                assert not any(form in blob for form in forms), (table, value)


def test_issue_is_refused_for_an_open_access_survey(
    db: Database, questionnaire: Questionnaire, code_secret: bytes
) -> None:
    new_survey(db, questionnaire, slug="open-link", access="open")
    with pytest.raises(ServiceError, match="open to anyone with the link"):
        codes.issue_codes(db, "open-link", 5, code_secret)
    assert raw_rows(db, "access_codes") == []


def test_issue_is_refused_for_a_closed_survey(
    db: Database, codes_survey: surveys.SurveyInfo, code_secret: bytes
) -> None:
    surveys.close_survey(db, codes_survey.slug)
    with pytest.raises(ServiceError, match="has closed"):
        codes.issue_codes(db, codes_survey.slug, 5, code_secret)
    assert raw_rows(db, "access_codes") == []


@pytest.mark.parametrize("count", [0, -1, codes.MAX_CODES_PER_BATCH + 1])
def test_issue_is_refused_for_a_count_out_of_range(
    db: Database, codes_survey: surveys.SurveyInfo, code_secret: bytes, count: int
) -> None:
    with pytest.raises(ServiceError, match="Issue between 1 and 100,000 codes"):
        codes.issue_codes(db, codes_survey.slug, count, code_secret)
    assert raw_rows(db, "access_codes") == []


@pytest.mark.parametrize("text", ["", "ABCD-EFGH", "ABCD-EFGH-JKMN-PQRU", "ABCD EFGH JKMN PQRS X"])
def test_check_code_reports_a_malformed_code(
    db: Database, codes_survey: surveys.SurveyInfo, code_secret: bytes, text: str
) -> None:
    with pytest.raises(AccessCodeError) as caught:
        codes.check_code(db, codes_survey, text, code_secret)
    assert caught.value.reason == "malformed"
    assert str(caught.value) == codes.MALFORMED


def test_check_code_reports_an_unknown_code(
    db: Database, questionnaire: Questionnaire, codes_survey: surveys.SurveyInfo, code_secret: bytes
) -> None:
    other = new_survey(db, questionnaire, slug="other-codes", access="codes")
    (elsewhere,) = codes.issue_codes(db, other.slug, 1, code_secret)
    codes.issue_codes(db, codes_survey.slug, 3, code_secret)

    for text in ("0000-0000-0000-0000", elsewhere):
        with pytest.raises(AccessCodeError) as caught:
            codes.check_code(db, codes_survey, text, code_secret)
        assert caught.value.reason == "unknown"
        assert str(caught.value) == codes.REFUSED
    # The code is fine in its own survey.
    assert len(codes.check_code(db, other, elsewhere, code_secret)) == 32


def test_check_code_accepts_a_code_as_people_type_it(
    db: Database, codes_survey: surveys.SurveyInfo, code_secret: bytes
) -> None:
    (code,) = codes.issue_codes(db, codes_survey.slug, 1, code_secret)
    digest = codes.check_code(db, codes_survey, code, code_secret)
    typed = "  " + code.lower().replace("-", " ") + " "
    assert codes.check_code(db, codes_survey, typed, code_secret) == digest


def used_flags(db: Database) -> dict[bytes, bool]:
    return {bytes(row["digest"]): bool(row["used"]) for row in raw_rows(db, "access_codes")}


def test_redeeming_uses_the_code_up_at_once_and_gives_a_token(
    db: Database, codes_survey: surveys.SurveyInfo, code_secret: bytes
) -> None:
    first, second = codes.issue_codes(db, codes_survey.slug, 2, code_secret)
    digest = codes.check_code(db, codes_survey, first, code_secret)

    token = codes.redeem_code(db, codes_survey, first.lower(), code_secret)

    assert len(token) == 32
    # Used in its own transaction, before any answer exists.
    assert used_flags(db)[digest] is True
    assert sum(used_flags(db).values()) == 1
    assert surveys.response_count(db, codes_survey.id) == 0
    # Nothing about the token is stored when it is made.
    assert raw_rows(db, "spent_tokens") == []
    with pytest.raises(AccessCodeError) as caught:
        codes.check_code(db, codes_survey, first, code_secret)
    assert caught.value.reason == "used"
    # The other code is still good.
    assert len(codes.check_code(db, codes_survey, second, code_secret)) == 32


def test_a_used_code_and_an_unknown_code_get_the_same_answer(
    db: Database, codes_survey: surveys.SurveyInfo, code_secret: bytes
) -> None:
    (code,) = codes.issue_codes(db, codes_survey.slug, 1, code_secret)
    codes.redeem_code(db, codes_survey, code, code_secret)
    refusals = []
    for text in (code, "0000-0000-0000-0000"):
        with pytest.raises(AccessCodeError) as caught:
            codes.redeem_code(db, codes_survey, text, code_secret)
        refusals.append((caught.value.reason, str(caught.value)))
    assert refusals == [("refused", codes.REFUSED)] * 2
    assert "already" not in codes.REFUSED and "recognised" not in codes.REFUSED


@pytest.mark.parametrize("text", ["", "ABCD-EFGH", "ABCD-EFGH-JKMN-PQRU"])
def test_redeeming_a_malformed_code_says_how_codes_look(
    db: Database, codes_survey: surveys.SurveyInfo, code_secret: bytes, text: str
) -> None:
    codes.issue_codes(db, codes_survey.slug, 2, code_secret)
    with pytest.raises(AccessCodeError) as caught:
        codes.redeem_code(db, codes_survey, text, code_secret)
    assert (caught.value.reason, str(caught.value)) == ("malformed", codes.MALFORMED)
    assert not any(used_flags(db).values())


def test_a_code_cannot_be_redeemed_before_the_survey_opens(
    db: Database, questionnaire: Questionnaire, code_secret: bytes
) -> None:
    draft = new_survey(db, questionnaire, slug="not-yet", access="codes", open_it=False)
    (code,) = codes.issue_codes(db, draft.slug, 1, code_secret)
    with pytest.raises(SurveyClosedError):
        codes.redeem_code(db, draft, code, code_secret)
    assert used_flags(db) == {codes.check_code(db, draft, code, code_secret): False}


def test_the_token_sends_one_response_once(
    db: Database,
    questionnaire: Questionnaire,
    codes_survey: surveys.SurveyInfo,
    code_secret: bytes,
) -> None:
    (code,) = codes.issue_codes(db, codes_survey.slug, 1, code_secret)
    token = codes.redeem_code(db, codes_survey, code, code_secret)
    spent = spent_token_digest(token, code_secret, codes_survey.id)

    submit_response(db, codes_survey, questionnaire, minimal_answers(), spent_digest=spent)

    assert surveys.response_count(db, codes_survey.id) == 1
    assert [bytes(row["digest"]) for row in raw_rows(db, "spent_tokens")] == [spent]
    # The same draft sent again (two tabs, a copied cookie) is refused and stores nothing.
    with pytest.raises(AlreadySentError):
        submit_response(db, codes_survey, questionnaire, minimal_answers(), spent_digest=spent)
    assert surveys.response_count(db, codes_survey.id) == 1
    assert len(raw_rows(db, "spent_tokens")) == 1


def test_a_refused_submission_leaves_the_token_unspent(
    db: Database,
    questionnaire: Questionnaire,
    codes_survey: surveys.SurveyInfo,
    code_secret: bytes,
) -> None:
    (code,) = codes.issue_codes(db, codes_survey.slug, 1, code_secret)
    spent = spent_token_digest(
        codes.redeem_code(db, codes_survey, code, code_secret), code_secret, codes_survey.id
    )
    with pytest.raises(ServiceError, match="required questions"):
        submit_response(db, codes_survey, questionnaire, {"colour": "red"}, spent_digest=spent)
    assert raw_rows(db, "spent_tokens") == []
    submit_response(db, codes_survey, questionnaire, minimal_answers(), spent_digest=spent)
    assert surveys.response_count(db, codes_survey.id) == 1


def test_a_codes_survey_refuses_a_response_without_a_token(
    db: Database, questionnaire: Questionnaire, codes_survey: surveys.SurveyInfo
) -> None:
    with pytest.raises(ServiceError, match="access code is needed"):
        submit_response(db, codes_survey, questionnaire, minimal_answers())
    assert surveys.response_count(db, codes_survey.id) == 0
    assert raw_rows(db, "spent_tokens") == []


def test_spent_digests_are_bound_to_their_survey_and_keep_no_token(
    db: Database,
    questionnaire: Questionnaire,
    codes_survey: surveys.SurveyInfo,
    code_secret: bytes,
) -> None:
    other = new_survey(db, questionnaire, slug="other-open")
    token = new_respondent_token()
    assert spent_token_digest(token, code_secret, codes_survey.id) != spent_token_digest(
        token, code_secret, other.id
    )
    submit_response(
        db,
        other,
        questionnaire,
        minimal_answers(),
        spent_digest=spent_token_digest(token, code_secret, other.id),
    )
    # The same token in another survey is a different digest, so it is not "already sent".
    (code,) = codes.issue_codes(db, codes_survey.slug, 1, code_secret)
    codes.redeem_code(db, codes_survey, code, code_secret)
    submit_response(
        db,
        codes_survey,
        questionnaire,
        minimal_answers(),
        spent_digest=spent_token_digest(token, code_secret, codes_survey.id),
    )
    rows = raw_rows(db, "spent_tokens")
    assert {frozenset(row) for row in rows} == {frozenset({"digest", "survey_id"})}
    assert {row["survey_id"] for row in rows} == {other.id, codes_survey.id}
    for table in inspect(db.engine).get_table_names():
        for row in raw_rows(db, table):
            for value in row.values():
                blob = (
                    bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
                )
                assert token not in blob and token.hex().encode() not in blob, table


def test_access_codes_have_no_time_or_date_column(db: Database) -> None:
    columns = inspect(db.engine).get_columns("access_codes")
    assert {column["name"] for column in columns} == {"id", "survey_id", "digest", "used"}
    for column in columns:
        assert not isinstance(column["type"], Date | DateTime | Time), column
        assert not re.search(r"time|date|_on$|_at$|when", column["name"]), column
        assert not re.search(r"TIME|DATE", str(column["type"]).upper()), column
    # Nor is there anything pointing from a code to a response.
    targets = {fk["referred_table"] for fk in inspect(db.engine).get_foreign_keys("access_codes")}
    assert targets == {"surveys"}
