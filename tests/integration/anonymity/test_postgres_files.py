"""Insider attacks on PostgreSQL (DESIGN.md §5): transaction ids and the write-ahead log.

Every row carries ``xmin``, the id of the transaction that wrote it. While codes were used in
the transaction that stored the response, ``JOIN access_codes a ON a.xmin = r.xmin`` paired
every response with its code. The attacker here also reads ``pg_wal`` (as a superuser, a
backup or a replica would) and keeps copies of envelopes from before the close.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

import config
from survey_app import create_app
from survey_app.extensions import get_db
from survey_app.services.surveys import SurveyInfo, close_survey
from tests.conftest import FIXTURE_QUESTIONNAIRES, NO_POSTGRES, make_config
from tests.helpers.databases import TestDatabases
from tests.helpers.journey import create_survey
from tests.integration.anonymity.support import (
    CHANCE,
    PEOPLE,
    Commit,
    attack_scores,
    digest_of,
    issue,
    old_style_send,
    owners,
    run_schedule,
)

pytestmark = pytest.mark.postgres
RUN = 32  # bytes: a shared run this long is a match, not a coincidence (2^-256)


@pytest.fixture
def app(tmp_path: Path, test_databases: TestDatabases) -> Iterator[Flask]:
    if config.test_database_url() is None:  # not imported by name: pytest would collect it
        pytest.skip(NO_POSTGRES)
    url = test_databases.postgres_migrated()
    (tmp_path / "instance").mkdir()
    application = create_app(
        make_config(tmp_path, url, SURVEY_QUESTIONNAIRE_DIR=str(FIXTURE_QUESTIONNAIRES))
    )
    yield application
    with application.app_context():
        get_db().dispose()
    test_databases.drop(url)


@pytest.fixture
def survey(app: Flask) -> SurveyInfo:
    return create_survey(app, "sample-survey", access="codes")


def query(app: Flask, sql: str, **params: object) -> list[Any]:
    with app.app_context(), get_db().engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


def xmin_log(app: Flask, info: SurveyInfo, codes: list[str]) -> list[Commit]:
    """The attacker's reading of transaction ids: used codes and responses, grouped by the
    transaction that wrote them, in transaction-id order."""
    person_of_digest = {digest_of(app, code): person for person, code in enumerate(codes)}
    by_xid: dict[int, tuple[list[int], list[int]]] = {}
    for xid, digest in query(
        app,
        "SELECT xmin::text::bigint, digest FROM access_codes WHERE survey_id = :s AND used",
        s=info.id,
    ):
        by_xid.setdefault(int(xid), ([], []))[0].append(person_of_digest[bytes(digest)])
    rows = query(
        app,
        "SELECT xmin::text::bigint, id, envelope, questionnaire_version FROM responses "
        "WHERE survey_id = :s",
        s=info.id,
    )
    people = owners(app, info, [(r[1], bytes(r[2]), r[3]) for r in rows])
    for xid, response_id, _envelope, _version in rows:
        by_xid.setdefault(int(xid), ([], []))[1].append(people[response_id])
    return [
        Commit(tuple(sorted(codes_)), tuple(sorted(responses)))
        for _xid, (codes_, responses) in sorted(by_xid.items())
    ]


XMIN_JOIN = (
    "SELECT count(*) FROM responses r JOIN access_codes a ON a.xmin = r.xmin "
    "WHERE r.survey_id = :s AND a.survey_id = :s"
)


def test_xmin_links_no_code_to_a_response_while_open(app: Flask, survey: SurveyInfo) -> None:
    codes = issue(app)
    run_schedule(app, codes)

    assert query(app, XMIN_JOIN, s=survey.id) == [(0,)]
    assert query(
        app,
        "SELECT count(*) FROM spent_tokens t JOIN access_codes a ON a.xmin = t.xmin "
        "WHERE t.survey_id = :s AND a.survey_id = :s",
        s=survey.id,
    ) == [(0,)]
    log = xmin_log(app, survey, codes)
    assert sorted(p for commit in log for p in commit.codes) == list(range(PEOPLE))
    assert sorted(p for commit in log for p in commit.responses) == list(range(PEOPLE))
    assert not [commit for commit in log if commit.codes and commit.responses]
    # Ordering by transaction id gives the same schedule as the SQLite log, and the same
    # result: no better than chance (CHANCE = 1 right pair expected from a random matching).
    scores = attack_scores(log)
    assert all(score <= CHANCE for score in scores.values()), scores


def test_positive_control_xmin_does_link_a_code_stored_with_its_response(
    app: Flask, survey: SurveyInfo
) -> None:
    codes = issue(app)
    for person in (3, 7, 0, 11, 5, 1, 9, 2, 10, 4, 8, 6):
        old_style_send(app, survey, codes[person], person)

    assert query(app, XMIN_JOIN, s=survey.id) == [(PEOPLE,)]
    assert attack_scores(xmin_log(app, survey, codes))["same commit"] == PEOPLE


def test_after_close_no_code_remains_and_every_response_shares_one_xmin(
    app: Flask, survey: SurveyInfo
) -> None:
    codes = issue(app)
    run_schedule(app, codes)
    distinct = "SELECT count(DISTINCT xmin::text) FROM responses WHERE survey_id = :s"
    assert query(app, distinct, s=survey.id) == [(PEOPLE,)]  # one per send while open

    with app.app_context():
        close_survey(get_db(), survey.slug)

    assert query(app, "SELECT count(*) FROM access_codes WHERE survey_id = :s", s=survey.id) == [
        (0,)
    ]
    assert query(app, "SELECT count(*) FROM spent_tokens WHERE survey_id = :s", s=survey.id) == [
        (0,)
    ]
    assert query(app, "SELECT count(*) FROM responses WHERE survey_id = :s", s=survey.id) == [
        (PEOPLE,)
    ]
    assert query(app, distinct, s=survey.id) == [(1,)]


def envelopes(app: Flask, info: SurveyInfo) -> list[bytes]:
    rows = query(app, "SELECT envelope FROM responses WHERE survey_id = :s", s=info.id)
    return [bytes(row[0]) for row in rows]


def wal_between(app: Flask, start: str, end: str) -> bytes:
    """The bytes of pg_wal from LSN ``start`` up to LSN ``end``, read from the segment files."""
    size = int(query(app, "SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'")[0][0])
    ((first, first_offset),) = query(app, "SELECT * FROM pg_walfile_name_offset(:l)", l=start)
    ((last, last_offset),) = query(app, "SELECT * FROM pg_walfile_name_offset(:l)", l=end)
    names = [
        row[0]
        for row in query(
            app,
            "SELECT name FROM pg_ls_waldir() WHERE length(name) = 24 AND name >= :a "
            "AND name <= :b ORDER BY name",
            a=first,
            b=last,
        )
    ]
    assert names[0] == first and names[-1] == last, names
    data = b""
    for name in names:
        ((content,),) = query(app, "SELECT pg_read_binary_file('pg_wal/' || :n)", n=name)
        segment = bytes(content)
        assert len(segment) == size
        begin = first_offset if name == first else 0
        stop = last_offset if name == last else size
        data += segment[begin:stop]
    return data


def shares_a_run(envelope: bytes, haystack: bytes) -> bool:
    """True if any RUN bytes of ``envelope`` appear in ``haystack``. Any shared run of RUN
    bytes contains one of the envelope's 16-byte pieces at a multiple of 16; look for those,
    then check the whole run around a hit."""
    for piece_at in range(0, len(envelope) - 15, 16):
        piece = envelope[piece_at : piece_at + 16]
        found = haystack.find(piece)
        while found != -1:
            for start in range(max(0, piece_at - RUN + 16), piece_at + 1):
                run = envelope[start : start + RUN]
                offset = found - (piece_at - start)
                if len(run) == RUN and haystack[offset : offset + RUN] == run:
                    return True
            found = haystack.find(piece, found + 1)
    return False


def test_envelopes_after_close_match_no_earlier_copy(app: Flask, survey: SurveyInfo) -> None:
    (start,) = query(app, "SELECT pg_current_wal_lsn()::text")[0]
    codes = issue(app)
    run_schedule(app, codes)
    before = envelopes(app, survey)  # a backup taken while the survey was open
    (end,) = query(app, "SELECT pg_current_wal_lsn()::text")[0]
    wal_before_close = wal_between(app, str(start), str(end))

    # Positive control: the envelopes stored while open are in the log written before the
    # close, so the search below is one that finds them.
    assert all(shares_a_run(envelope, wal_before_close) for envelope in before)

    with app.app_context():
        close_survey(get_db(), survey.slug)
    after = envelopes(app, survey)

    assert len(after) == len(before) == PEOPLE
    for envelope in after:
        assert not any(shares_a_run(envelope, old) for old in before)
        assert not shares_a_run(envelope, wal_before_close)
