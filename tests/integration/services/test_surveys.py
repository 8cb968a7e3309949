"""Creating, opening and closing surveys (survey_app.services.surveys)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from survey_app.crypto import open_envelope, spent_token_digest
from survey_app.domain.model import Questionnaire
from survey_app.services import surveys
from survey_app.services.codes import issue_codes, redeem_code
from survey_app.services.errors import NotFoundError, ServiceError
from survey_app.services.export import open_responses, write_export
from survey_app.services.keys import list_slots, unlock_survey
from survey_app.services.submission import submit_response
from survey_app.storage.database import Database
from tests.helpers.journey import PASSPHRASE

from .conftest import minimal_answers, new_survey, raw_rows


def create(db: Database, questionnaire: Questionnaire, **kwargs: object) -> surveys.SurveyInfo:
    arguments: dict[str, object] = {
        "title": "Staff survey 2026",
        "access": "open",
        "min_group": 10,
        "key_label": "Lead analyst",
        "passphrase": PASSPHRASE,
        "log2_n": 12,
    }
    arguments.update(kwargs)
    return surveys.create_survey(db, questionnaire, **arguments)  # type: ignore[arg-type]


# --- create ---------------------------------------------------------------------------------


def test_create_makes_a_draft_with_a_slug_from_the_title(
    db: Database, questionnaire: Questionnaire
) -> None:
    info = create(db, questionnaire, title="  Team Feedback: Spring 2026!  ")

    assert info.slug == "team-feedback-spring-2026"
    assert info.title == "Team Feedback: Spring 2026!"
    assert info.status == "draft"
    assert info.opened_on is None and info.closed_on is None
    assert info.created_on == dt.date.today()
    assert info.questionnaire_id == questionnaire.id
    assert info.questionnaire_version == questionnaire.version
    assert len(info.public_key) == 32
    assert re.fullmatch(r"[0-9a-f]{32}", info.id)
    assert surveys.get_survey(db, info.slug) == info
    assert [slot.label for slot in list_slots(db, info.slug)] == ["Lead analyst"]


def test_create_keeps_an_explicit_slug(db: Database, questionnaire: Questionnaire) -> None:
    info = create(db, questionnaire, title="Anything at all", slug="east-2026")
    assert info.slug == "east-2026"
    assert surveys.find_survey(db, "anything-at-all") is None


@pytest.mark.parametrize("slug", ["Upper-Case", "two--hyphens", "-leading", "sp ace", "x" * 81])
def test_create_refuses_a_badly_formed_slug(
    db: Database, questionnaire: Questionnaire, slug: str
) -> None:
    with pytest.raises(ServiceError, match="lowercase letters, digits and single hyphens"):
        create(db, questionnaire, slug=slug)
    assert surveys.list_surveys(db) == []


def test_create_refuses_a_duplicate_slug(db: Database, questionnaire: Questionnaire) -> None:
    first = create(db, questionnaire, title="Staff survey")
    with pytest.raises(ServiceError, match="slug 'staff-survey' already exists"):
        create(db, questionnaire, title="Staff Survey!")
    with pytest.raises(ServiceError, match="already exists"):
        create(db, questionnaire, title="Something else", slug="staff-survey")
    assert surveys.list_surveys(db) == [first]


@pytest.mark.parametrize("min_group", [4, 1, 0, -10])
def test_create_refuses_a_minimum_group_below_five(
    db: Database, questionnaire: Questionnaire, min_group: int
) -> None:
    with pytest.raises(ServiceError, match="cannot be below 5"):
        create(db, questionnaire, min_group=min_group)
    assert surveys.list_surveys(db) == []


def test_create_accepts_a_minimum_group_of_five(db: Database, questionnaire: Questionnaire) -> None:
    assert create(db, questionnaire, min_group=5).min_group == 5


@pytest.mark.parametrize("access", ["closed", "OPEN", "", "code"])
def test_create_refuses_an_unknown_access_mode(
    db: Database, questionnaire: Questionnaire, access: str
) -> None:
    with pytest.raises(ServiceError, match="Access must be 'open' or 'codes'"):
        create(db, questionnaire, access=access)
    assert surveys.list_surveys(db) == []


@pytest.mark.parametrize("access", ["open", "codes"])
def test_create_accepts_both_access_modes(
    db: Database, questionnaire: Questionnaire, access: str
) -> None:
    assert create(db, questionnaire, access=access).access == access


@pytest.mark.parametrize("passphrase", ["", "short", "eleven-char"])
def test_create_refuses_a_short_passphrase(
    db: Database, questionnaire: Questionnaire, passphrase: str
) -> None:
    with pytest.raises(ServiceError, match="at least 12 characters"):
        create(db, questionnaire, passphrase=passphrase)
    assert surveys.list_surveys(db) == []


def test_create_accepts_a_twelve_character_passphrase(
    db: Database, questionnaire: Questionnaire
) -> None:
    info = create(db, questionnaire, passphrase="twelve-chars")
    assert len(unlock_survey(db, info.slug, "twelve-chars")) == 32


@pytest.mark.parametrize("title", ["", "   ", "x" * 201])
def test_create_refuses_a_missing_or_long_title(
    db: Database, questionnaire: Questionnaire, title: str
) -> None:
    with pytest.raises(ServiceError, match="title of 1 to 200 characters"):
        create(db, questionnaire, title=title, slug="some-slug")


# --- open -----------------------------------------------------------------------------------


def test_open_moves_a_draft_to_open(db: Database, questionnaire: Questionnaire) -> None:
    create(db, questionnaire, slug="s1")
    day = dt.date(2026, 3, 2)
    info = surveys.open_survey(db, "s1", today=day)
    assert info.status == "open"
    assert info.opened_on == day
    assert surveys.get_survey(db, "s1").status == "open"
    # Opening again changes nothing (in particular not the date it opened).
    again = surveys.open_survey(db, "s1", today=dt.date(2026, 3, 9))
    assert again.status == "open" and again.opened_on == day


def test_a_closed_survey_cannot_be_reopened(db: Database, questionnaire: Questionnaire) -> None:
    new_survey(db, questionnaire, slug="s1")
    surveys.close_survey(db, "s1")
    with pytest.raises(ServiceError, match="cannot be reopened"):
        surveys.open_survey(db, "s1")
    assert surveys.get_survey(db, "s1").status == "closed"


def test_open_and_close_an_unknown_survey(db: Database) -> None:
    with pytest.raises(NotFoundError):
        surveys.open_survey(db, "nothing-here")
    with pytest.raises(NotFoundError):
        surveys.close_survey(db, "nothing-here")


# --- close ----------------------------------------------------------------------------------


def test_only_an_open_survey_can_be_closed(db: Database, questionnaire: Questionnaire) -> None:
    create(db, questionnaire, slug="draft-one")
    with pytest.raises(ServiceError, match=r"this one is draft"):
        surveys.close_survey(db, "draft-one")
    assert surveys.get_survey(db, "draft-one").status == "draft"

    new_survey(db, questionnaire, slug="twice")
    surveys.close_survey(db, "twice")
    with pytest.raises(ServiceError, match=r"this one is closed"):
        surveys.close_survey(db, "twice")


def test_close_sets_status_and_date_and_keeps_every_response(
    db: Database, questionnaire: Questionnaire, tmp_path: Path
) -> None:
    info = new_survey(db, questionnaire, slug="closing")
    other = new_survey(db, questionnaire, slug="bystander")
    submitted = {}
    for number in range(6):
        day = dt.date(2026, 4, 1 + number)
        submitted[f"Comment number {number}"] = day
        submit_response(
            db, info, questionnaire, minimal_answers(f"Comment number {number}"), today=day
        )
    submit_response(db, other, questionnaire, minimal_answers("Bystander"))
    assert surveys.response_count(db, info.id) == 6

    closed = surveys.close_survey(db, "closing", today=dt.date(2026, 5, 1))

    assert closed.status == "closed"
    assert closed.closed_on == dt.date(2026, 5, 1)
    assert closed.opened_on == info.opened_on
    assert surveys.get_survey(db, "closing") == closed
    assert surveys.response_count(db, info.id) == 6
    assert surveys.response_count(db, other.id) == 1
    # Every envelope still opens, and keeps its own submission date.
    opened = open_responses(db, "closing", PASSPHRASE)
    assert {r.answers["comment"]: r.submitted_on for r in opened} == submitted
    out = tmp_path / "export.json"
    assert write_export(db, "closing", PASSPHRASE, out) == 6
    document = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(r["answers"]["comment"] for r in document["responses"]) == sorted(submitted)
    # The other survey is untouched.
    assert [r.answers["comment"] for r in open_responses(db, "bystander", PASSPHRASE)] == [
        "Bystander"
    ]


def physical_ids(db: Database, survey_id: str) -> list[str]:
    """Response ids in the order the rows sit in the table (not in any index)."""
    if db.engine.dialect.name == "sqlite":
        # A full scan of the table's own b-tree (``responses`` has no row ids).
        sql = "SELECT id FROM responses NOT INDEXED WHERE survey_id = :s"
    else:
        sql = "SELECT id FROM responses WHERE survey_id = :s ORDER BY ctid"
    with db.engine.connect() as connection:
        return [row[0] for row in connection.execute(text(sql), {"s": survey_id})]


def comments_in_physical_order(db: Database, slug: str, survey_id: str) -> list[str]:
    private_key = unlock_survey(db, slug, PASSPHRASE)
    envelopes = {
        row["id"]: (row["envelope"], row["questionnaire_version"])
        for row in raw_rows(db, "responses", survey_id=survey_id)
    }
    comments = []
    for response_id in physical_ids(db, survey_id):
        envelope, version = envelopes[response_id]
        document = json.loads(
            open_envelope(
                bytes(envelope), private_key, survey_id=survey_id, questionnaire_version=version
            )
        )
        comments.append(document["answers"]["comment"])
    return comments


def test_close_gives_new_random_ids_and_forgets_the_order_of_submission(
    db: Database, questionnaire: Questionnaire
) -> None:
    info = new_survey(db, questionnaire, slug="shuffle")
    order = [f"Answer sent in position {n}" for n in range(10)]
    for comment in order:
        submit_response(db, info, questionnaire, minimal_answers(comment))
    before = physical_ids(db, info.id)
    if db.engine.dialect.name == "postgresql":
        # Before closing, PostgreSQL's heap does reveal the order people answered in: that is
        # what closing must undo (and shows that the check below can see an order).
        assert comments_in_physical_order(db, "shuffle", info.id) == order
    else:
        # SQLite keeps the rows in the order of their random ids from the start.
        assert before == sorted(before)

    surveys.close_survey(db, "shuffle")

    after = physical_ids(db, info.id)
    assert len(after) == len(before) == 10
    assert set(after).isdisjoint(before), "every response id must change on close"
    assert all(re.fullmatch(r"[0-9a-f]{32}", response_id) for response_id in after)
    # The rows now sit in the order of their new random ids ...
    assert after == sorted(after)
    # ... so their position no longer follows the submission order. (A random permutation of
    # ten rows equals the original with probability 1 in 3,628,800.)
    shuffled = comments_in_physical_order(db, "shuffle", info.id)
    assert sorted(shuffled) == sorted(order)
    assert shuffled != order


def test_close_seals_every_envelope_again(db: Database, questionnaire: Questionnaire) -> None:
    info = new_survey(db, questionnaire, slug="reseal")
    for number in range(4):
        submit_response(db, info, questionnaire, minimal_answers(f"Comment {number}"))
    before = {bytes(row["envelope"]) for row in raw_rows(db, "responses", survey_id=info.id)}
    assert {envelope[0] for envelope in before} == {1}

    surveys.close_survey(db, "reseal")

    after = {bytes(row["envelope"]) for row in raw_rows(db, "responses", survey_id=info.id)}
    assert len(after) == 4 and after.isdisjoint(before)
    # One outer layer each (version 2, 69 bytes more), and every one still opens.
    assert {envelope[0] for envelope in after} == {2}
    assert sorted(len(e) for e in after) == sorted(len(e) + 69 for e in before)
    opened = open_responses(db, "reseal", PASSPHRASE)
    assert sorted(r.answers["comment"] for r in opened) == [f"Comment {n}" for n in range(4)]


def test_close_deletes_the_surveys_codes_and_spent_tokens_only(
    db: Database, questionnaire: Questionnaire, code_secret: bytes
) -> None:
    info = new_survey(db, questionnaire, slug="coded", access="codes")
    other = new_survey(db, questionnaire, slug="bystander", access="codes")
    for survey in (info, other):
        issued = issue_codes(db, survey.slug, 3, code_secret)
        token = redeem_code(db, survey, issued[0], code_secret)
        submit_response(
            db,
            survey,
            questionnaire,
            minimal_answers(),
            spent_digest=spent_token_digest(token, code_secret, survey.id),
        )
    assert len(raw_rows(db, "access_codes", survey_id=info.id)) == 3
    assert len(raw_rows(db, "spent_tokens", survey_id=info.id)) == 1

    surveys.close_survey(db, "coded")

    assert raw_rows(db, "access_codes", survey_id=info.id) == []
    assert raw_rows(db, "spent_tokens", survey_id=info.id) == []
    assert surveys.response_count(db, info.id) == 1
    # Another survey's codes and tokens are untouched.
    assert len(raw_rows(db, "access_codes", survey_id=other.id)) == 3
    assert len(raw_rows(db, "spent_tokens", survey_id=other.id)) == 1


def test_list_surveys_and_filter_by_status(db: Database, questionnaire: Questionnaire) -> None:
    draft = create(db, questionnaire, slug="a-draft", title="A")
    opened = new_survey(db, questionnaire, slug="b-open")
    assert {s.slug for s in surveys.list_surveys(db)} == {draft.slug, opened.slug}
    assert [s.slug for s in surveys.list_surveys(db, status="open")] == ["b-open"]
    assert [s.slug for s in surveys.list_surveys(db, status="draft")] == ["a-draft"]
    assert surveys.list_surveys(db, status="closed") == []
