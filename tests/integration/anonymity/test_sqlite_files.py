"""Insider attacks on copies of the SQLite files (DESIGN.md §5).

The attacker holds the code list (so knows who had which code), a key slot (so can open every
response) and copies of ``candour.db`` and ``candour.db-wal`` taken while the survey is open.
They replay the write-ahead log commit by commit and try to pair codes with responses; they
read row ids and where rows sit in the file. Each attack is also run on a deliberately
old-style store (code and response in one transaction) to show it does find links there.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from survey_app import create_app
from survey_app.extensions import get_db
from survey_app.services.surveys import SurveyInfo, close_survey
from tests.conftest import FIXTURE_QUESTIONNAIRES, make_config
from tests.helpers.databases import TestDatabases
from tests.helpers.journey import create_survey
from tests.integration.anonymity.sqlitefiles import (
    FREE,
    cells_by_position,
    open_image,
    pages_by_table,
    pinned_log,
    read_wal,
    replay,
)
from tests.integration.anonymity.support import (
    CHANCE,
    PEOPLE,
    SCHEDULE,
    Commit,
    Respondent,
    attack_scores,
    digest_of,
    issue,
    old_style_send,
    owners,
    run_schedule,
)


@pytest.fixture
def app(tmp_path: Path, test_databases: TestDatabases) -> Iterator[Flask]:
    url = test_databases.sqlite_migrated(tmp_path / "instance" / "candour.db")
    application = create_app(
        make_config(tmp_path, url, SURVEY_QUESTIONNAIRE_DIR=str(FIXTURE_QUESTIONNAIRES))
    )
    yield application
    with application.app_context():
        get_db().dispose()


@pytest.fixture
def survey(app: Flask) -> SurveyInfo:
    return create_survey(app, "sample-survey", access="codes")


def database_file(app: Flask) -> Path:
    return Path(app.config["SURVEY_DATABASE_URL"].removeprefix("sqlite:///"))


def checkpoint(app: Flask) -> None:
    """Start from an empty log: everything so far (set-up, codes) is in the main file."""
    with app.app_context(), get_db().engine.connect() as connection:
        busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").scalar()
    assert busy == 0


def copy_files(app: Flask) -> tuple[bytes, bytes]:
    """What a backup of the live files would hold: the main file and its log."""
    path = database_file(app)
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes(), wal.read_bytes() if wal.exists() else b""


def read_log(
    app: Flask, info: SurveyInfo, codes: list[str], main: bytes, wal: bytes, scratch: Path
) -> list[Commit]:
    """Replay the copied log commit by commit and note, for each commit, whose codes it marked
    used and whose responses it added (the attacker opens responses with the key slot)."""
    person_of_digest = {digest_of(app, code): person for person, code in enumerate(codes)}
    scratch.mkdir(exist_ok=True)
    with open_image(main, scratch / "main.db") as connection:
        used_before, ids_before = _state(connection, info)
    log = []
    for connection in replay(main, read_wal(wal), scratch):
        used, ids = _state(connection, info)
        rows = connection.execute(
            "SELECT id, envelope, questionnaire_version FROM responses WHERE survey_id = ?",
            (info.id,),
        ).fetchall()
        added = [(row_id, bytes(blob), v) for row_id, blob, v in rows if row_id not in ids_before]
        people = owners(app, info, added)
        log.append(
            Commit(
                codes=tuple(sorted(person_of_digest[d] for d in used - used_before)),
                responses=tuple(sorted(people.values())),
            )
        )
        used_before, ids_before = used, ids
    return log


def _state(connection: sqlite3.Connection, info: SurveyInfo) -> tuple[set[bytes], set[str]]:
    try:
        used = {
            bytes(row[0])
            for row in connection.execute(
                "SELECT digest FROM access_codes WHERE survey_id = ? AND used", (info.id,)
            )
        }
        ids = {
            row[0]
            for row in connection.execute(
                "SELECT id FROM responses WHERE survey_id = ?", (info.id,)
            )
        }
    except sqlite3.OperationalError:  # a state from before the tables existed
        return set(), set()
    return used, ids


# --- The write-ahead log, replayed ------------------------------------------------------------


def test_replaying_the_log_links_no_code_to_a_response(
    app: Flask, survey: SurveyInfo, tmp_path: Path
) -> None:
    """Worst case: something held the log open, so every commit of the survey is in it."""
    codes = issue(app)
    checkpoint(app)
    with pinned_log(database_file(app)):
        run_schedule(app, codes)
        main, wal = copy_files(app)

    log = read_log(app, survey, codes, main, wal, tmp_path / "replay")

    # The harness saw every code used and every response stored, one per commit ...
    assert sorted(p for commit in log for p in commit.codes) == list(range(PEOPLE))
    assert sorted(p for commit in log for p in commit.responses) == list(range(PEOPLE))
    assert [bool(commit.codes) for commit in log if commit.codes or commit.responses] == [
        action == "start" for action, _person in SCHEDULE
    ]
    # ... and no commit both used a code and stored a response.
    assert not [commit for commit in log if commit.codes and commit.responses]
    # Matching codes to responses by what the log shows links no better than chance: a
    # random matching of the 12 codes to the 12 responses gets CHANCE (= 1) pair right on
    # average. (This schedule's send order is unrelated to its start order; see SCHEDULE.)
    scores = attack_scores(log)
    assert scores["same commit"] == 0
    assert all(score <= CHANCE for score in scores.values()), scores


def test_positive_control_the_log_does_link_a_code_stored_with_its_response(
    app: Flask, survey: SurveyInfo, tmp_path: Path
) -> None:
    """The same harness on the old way of storing (code used in the response's transaction)
    links every response to its code: the attack above is one that works."""
    codes = issue(app)
    checkpoint(app)
    with pinned_log(database_file(app)):
        for person in (3, 7, 0, 11, 5, 1, 9, 2, 10, 4, 8, 6):
            old_style_send(app, survey, codes[person], person)
        main, wal = copy_files(app)

    log = read_log(app, survey, codes, main, wal, tmp_path / "replay")

    assert attack_scores(log)["same commit"] == PEOPLE
    assert all(commit.codes == commit.responses for commit in log if commit.responses)


def tables_written(app: Flask, main: bytes, wal: bytes, scratch: Path) -> list[set[str]]:
    """For each committed transaction in a copied log, the tables whose pages it wrote."""
    log = read_wal(wal)
    image = bytearray(main)
    for frame in log.frames:  # the newest image of every page, to find which table owns it
        if frame.salts == log.salts:
            start = (frame.page - 1) * log.page_size
            image[start : start + log.page_size] = frame.image.ljust(log.page_size, b"\0")
    owner = pages_by_table(bytes(image), scratch)
    # Page 1 (the file header) and free pages hold no rows.
    return [
        {owner.get(frame.page, "?") for frame in transaction if frame.page != 1} - {FREE}
        for transaction in log.transactions()
    ]


def test_the_live_log_never_holds_a_code_with_a_response_sent_after_it(
    app: Flask, survey: SurveyInfo, tmp_path: Path
) -> None:
    """Normal running: after each code is redeemed the log is copied into the database file,
    and the next commit starts it afresh, cut to size. A copy of the live files taken at any
    moment may hold responses sent before the last code was used, and that code, but never a
    code followed by a response sent after it."""
    codes = issue(app)
    checkpoint(app)  # the set-up (tables, survey, codes) is not what this test is about
    started: dict[int, Respondent] = {}
    for moment, event in enumerate(SCHEDULE):
        run_schedule(app, codes, [event], started)
        main, wal = copy_files(app)
        written = tables_written(app, main, wal, tmp_path / f"pages-{moment}.db")
        kinds_of_write = ({"access_codes"}, {"responses", "spent_tokens"})
        assert all(tables in kinds_of_write for tables in written), (event, written)
        kinds = ["start" if "access_codes" in tables else "send" for tables in written]
        assert "start" not in kinds or kinds.index("start") == len(kinds) - 1, (event, kinds)
        if event[0] == "start":
            assert kinds[-1] == "start"  # the classification sees the redemption

    # At the end the log holds only the responses sent since the last code was used, one
    # commit each (their order is what a copy can tell; see the notes).
    last_start = max(i for i, (action, _p) in enumerate(SCHEDULE) if action == "start")
    sent_since = [person for _action, person in SCHEDULE[last_start + 1 :]]
    log = read_log(app, survey, codes, main, wal, tmp_path / "replay")
    assert log == [Commit((), (person,)) for person in sent_since]


# --- Row ids and where rows sit ---------------------------------------------------------------


@pytest.mark.parametrize("table", ["responses", "access_codes", "spent_tokens"])
def test_respondents_tables_have_no_row_ids(app: Flask, table: str) -> None:
    with app.app_context(), get_db().engine.connect() as connection:
        with pytest.raises(OperationalError, match="no such column: rowid"):
            connection.execute(text(f"SELECT rowid FROM {table}"))
        sql = connection.execute(
            text("SELECT sql FROM sqlite_schema WHERE name = :t"), {"t": table}
        ).scalar_one()
    assert sql.rstrip().endswith("WITHOUT ROWID")


def table_pages(app: Flask, table: str) -> list[list[tuple[int, str]]]:
    """Each page of ``table`` in the live database file, cells from the highest offset down."""
    checkpoint(app)
    path = database_file(app)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        root = connection.execute(
            "SELECT rootpage FROM sqlite_schema WHERE name = ?", (table,)
        ).fetchone()[0]
    connection.close()
    return cells_by_position(path.read_bytes(), page_size, root)


def scan_order(app: Flask, table: str) -> list[str]:
    """Rows in the order a full scan of the table's own b-tree meets them."""
    with app.app_context(), get_db().engine.connect() as connection:
        rows = connection.execute(text(f"SELECT id FROM {table} NOT INDEXED"))
        return [row[0] for row in rows]


def test_code_rows_say_nothing_about_the_order_of_the_csv(app: Flask, survey: SurveyInfo) -> None:
    codes = issue(app, 60)
    with app.app_context(), get_db().engine.connect() as connection:
        id_of = {
            bytes(digest): row_id
            for row_id, digest in connection.execute(text("SELECT id, digest FROM access_codes"))
        }
    csv_order = [id_of[digest_of(app, code)] for code in codes]

    # A scan meets the rows in the order of their random ids ...
    assert scan_order(app, "access_codes") == sorted(csv_order)
    # ... and inside every page the rows were written in that order too, not the CSV's.
    pages = table_pages(app, "access_codes")
    assert sum(len(cells) for cells in pages) == 60
    for cells in pages:
        written = [row_id for _offset, row_id in cells]
        assert written == sorted(written)
    # The CSV's order is not the ids' order (1 chance in 60! that it would be by accident).
    assert csv_order != sorted(csv_order)


def test_page_layout_reader_sees_the_order_rows_were_written(tmp_path: Path) -> None:
    """Positive control for the check above: in a page nobody rebuilt, the reader recovers
    the order rows arrived in, whatever their keys."""
    path = tmp_path / "control.db"
    arrival = ["m" * 32, "c" * 32, "x" * 32, "a" * 32, "q" * 32]
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (id TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID")
        for key in arrival:
            connection.execute("INSERT INTO t VALUES (?, zeroblob(40))", (key,))
        root = connection.execute("SELECT rootpage FROM sqlite_schema WHERE name = 't'")
        root_page = root.fetchone()[0]
    connection.close()
    (cells,) = cells_by_position(path.read_bytes(), 4096, root_page)
    assert [key for _offset, key in cells] == arrival


def test_response_rows_after_close_follow_their_new_random_ids(
    app: Flask, survey: SurveyInfo
) -> None:
    codes = issue(app)
    run_schedule(app, codes)
    with app.app_context():
        close_survey(get_db(), survey.slug)

    order = scan_order(app, "responses")
    assert len(order) == PEOPLE and order == sorted(order)
    for cells in table_pages(app, "responses"):
        written = [row_id for _offset, row_id in cells]
        assert written == sorted(written)


def shares_a_run(needle: bytes, haystack: bytes, run: int = 32) -> bool:
    """True if any ``run`` consecutive bytes of ``needle`` appear in ``haystack``: every such
    run contains one of the needle's ``run // 2``-byte pieces at a multiple of ``run // 2``."""
    step = run // 2
    for at in range(0, len(needle) - step + 1, step):
        found = haystack.find(needle[at : at + step])
        while found != -1:
            for start in range(max(0, at - run + step), at + 1):
                piece = needle[start : start + run]
                offset = found - (at - start)
                if len(piece) == run and offset >= 0 and haystack[offset : offset + run] == piece:
                    return True
            found = haystack.find(needle[at : at + step], found + 1)
    return False


def test_after_close_the_files_hold_no_byte_of_an_earlier_envelope(
    app: Flask, survey: SurveyInfo
) -> None:
    codes = issue(app)
    run_schedule(app, codes)
    with app.app_context(), get_db().engine.connect() as connection:
        before = [
            bytes(row[0]) for row in connection.execute(text("SELECT envelope FROM responses"))
        ]
    main, wal = copy_files(app)  # a backup taken while the survey was open
    # Positive control: the search finds every envelope in that copy.
    assert all(shares_a_run(envelope, main + wal) for envelope in before)

    with app.app_context():
        close_survey(get_db(), survey.slug)

    main_after, wal_after = copy_files(app)
    assert wal_after == b"", "the log is emptied after a close"
    with app.app_context(), get_db().engine.connect() as connection:
        after = [
            bytes(row[0]) for row in connection.execute(text("SELECT envelope FROM responses"))
        ]
    assert len(after) == PEOPLE
    for envelope in before:
        assert not shares_a_run(envelope, main_after), "an old envelope is still in the file"
    for envelope in after:
        assert not shares_a_run(envelope, main + wal), "a new envelope matches the old copy"
