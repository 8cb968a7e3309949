"""An insider with the files: a key slot that is gone must not stay in them.

The admin who starts a cycle sees every invitation code; a key holder who is removed keeps
their passphrase. Either, with a copy of the database files taken *after* the invitation was
accepted or the slot removed, must find no copy of the old wrapped key to open: SQLite's
write-ahead log is truncated and PostgreSQL's table rewritten (``purge_deleted_rows``). Each
test first checks that the old wrapped key *is* found in the files while it is current, so the
search can fail. (Backups and PostgreSQL WAL archives taken before still hold it: README,
threat model.)
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text

from survey_app.extensions import get_db, get_keyring, get_questionnaires
from survey_app.services import cycles, keys, surveys
from survey_app.storage.models import KeySlot, Survey
from tests.helpers.journey import PASSPHRASE, create_survey
from tests.integration.reports.support import QUESTIONNAIRE

SECOND = "a second key holder's phrase"


def stored(app: Flask) -> bytes:
    """What a copy of the database files holds of the key slots' table."""
    url = app.config["SURVEY_DATABASE_URL"]
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        wal = path.with_name(path.name + "-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    with app.app_context(), get_db().engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("CHECKPOINT")
        found = connection.execute(
            text("SELECT pg_read_binary_file(pg_relation_filepath('key_slots'))")
        ).scalar()
    return bytes(found)


def wrapped(app: Flask, slug: str, label: str) -> bytes:
    with app.app_context(), get_db().session() as session:
        found = session.scalar(
            select(KeySlot.wrapped_key)
            .join(Survey)
            .where(Survey.slug == slug, KeySlot.label == label)
        )
    assert found is not None
    return bytes(found)


def piece(key: bytes) -> bytes:
    """32 bytes from the middle of a wrapped key (its ciphertext): found only if stored."""
    middle = len(key) // 2
    return key[middle - 16 : middle + 16]


def test_an_accepted_invitation_leaves_no_copy_its_code_opens(sample_app: Flask) -> None:
    app = sample_app
    create_survey(app, QUESTIONNAIRE, slug="yearly", min_group=5)
    with app.app_context():
        surveys.close_survey(get_db(), "yearly")
        made = cycles.next_cycle(
            get_db(),
            get_keyring(),
            get_questionnaires(),
            "yearly",
            cycle="2027-28",
            actor="test",
            log2_n=app.config["SURVEY_SCRYPT_LOG2_N"],
        )
    slug, label = made.survey.slug, made.invitations[0].label
    invitation = wrapped(app, slug, label)
    assert piece(invitation) in stored(app), "the search finds a current slot"
    with app.app_context():
        cycles.accept_invitation(
            get_db(),
            slug,
            label=label,
            code=made.invitations[0].code,
            passphrase="next year's own passphrase",
            log2_n=app.config["SURVEY_SCRYPT_LOG2_N"],
            actor="test",
        )
    assert piece(wrapped(app, slug, label)) in stored(app)
    assert piece(invitation) not in stored(app)


def with_a_leaving_analyst(app: Flask) -> bytes:
    """Survey "held" with a second key slot, "Leaving analyst": that slot's wrapped key."""
    create_survey(app, QUESTIONNAIRE, slug="held", min_group=5)
    with app.app_context():
        keys.add_slot(
            get_db(),
            "held",
            passphrase=PASSPHRASE,
            label="Leaving analyst",
            new_passphrase=SECOND,
            log2_n=app.config["SURVEY_SCRYPT_LOG2_N"],
        )
    return wrapped(app, "held", "Leaving analyst")


def test_a_removed_key_slot_leaves_no_copy_its_passphrase_opens(sample_app: Flask) -> None:
    app = sample_app
    removed = with_a_leaving_analyst(app)
    assert piece(removed) in stored(app)
    with app.app_context():
        keys.remove_slot(get_db(), "held", passphrase=PASSPHRASE, label="Leaving analyst")
    assert piece(removed) not in stored(app)


def test_a_transaction_older_than_the_removal_does_not_keep_the_slot(sample_app: Flask) -> None:
    """On PostgreSQL, ``VACUUM FULL`` keeps a deleted row while any transaction that began
    before the deletion still runs (another process's report, a test beside this one): the
    purge waits for such transactions first (up to ``PURGE_WAIT_SECONDS``)."""
    app = sample_app
    url = app.config["SURVEY_DATABASE_URL"]
    if not url.startswith("postgresql"):
        pytest.skip("SQLite has one writer and overwrites deleted rows at once")
    old = with_a_leaving_analyst(app)
    other = create_engine(url)
    holding = threading.Event()

    def older_transaction() -> None:
        with other.connect() as connection:
            connection.execution_options(isolation_level="REPEATABLE READ")
            connection.execute(text("SELECT count(*) FROM pg_class")).scalar()  # the snapshot
            holding.set()
            time.sleep(2.0)

    thread = threading.Thread(target=older_transaction)
    thread.start()
    try:
        assert holding.wait(10)
        with app.app_context():
            keys.remove_slot(get_db(), "held", passphrase=PASSPHRASE, label="Leaving analyst")
    finally:
        thread.join()
        other.dispose()
    assert piece(old) not in stored(app)
