"""PostgreSQL: a pooled connection that has waited in the pool is checked before use, and
replaced if the server dropped it; one used a moment ago is handed out as it is (checking
every connection on every page cost two round trips per page)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from survey_app.storage import database
from survey_app.storage.database import Database


def _backend(db: Database) -> int:
    with db.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _drop_on_the_server(url: str, pid: int) -> None:
    """What a server restart or a firewall's idle timeout does to one connection."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            for _ in range(500):  # the backend takes a moment to go (longer on a busy machine)
                gone = connection.execute(
                    text("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = :pid"),
                    {"pid": pid},
                ).scalar_one()
                if gone:
                    return
                time.sleep(0.02)
        raise AssertionError("the backend did not end")
    finally:
        engine.dispose()


@pytest.fixture
def postgres_url(database_url: str, database_kind: str) -> str:
    if database_kind != "postgres":
        pytest.skip("SQLite has no server connection to lose")
    return database_url


def test_a_connection_dropped_while_idle_is_replaced_before_use(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0.05)
    db = Database(postgres_url)
    try:
        first = _backend(db)
        _drop_on_the_server(postgres_url, first)
        time.sleep(0.1)  # longer than the (shortened) idle time
        # The pool finds the connection gone and opens another: the page's query just works.
        assert _backend(db) != first
    finally:
        db.dispose()


def test_a_connection_used_a_moment_ago_is_not_checked(postgres_url: str) -> None:
    db = Database(postgres_url)
    try:
        first = _backend(db)
        _drop_on_the_server(postgres_url, first)
        # Within IDLE_PING_SECONDS of its last use it is handed out unchecked, so the loss
        # shows on that one query (a 503 page: the form and its draft stay in the browser)...
        with pytest.raises(DBAPIError) as failed:
            _backend(db)
        assert failed.value.connection_invalidated
        # ... and the pool, having seen the server go, starts afresh for the next one.
        assert _backend(db) != first
    finally:
        db.dispose()


def test_a_single_read_runs_without_a_transaction_around_it(postgres_url: str) -> None:
    """`Database.connect` is for lone reads: each statement commits on its own, so no BEGIN
    and ROLLBACK round trips surround it (and nothing is held open between statements)."""
    db = Database(postgres_url)
    try:
        with db.connect() as connection:
            first = connection.execute(text("SELECT pg_current_xact_id()")).scalar_one()
            second = connection.execute(text("SELECT pg_current_xact_id()")).scalar_one()
        assert first != second
        with db.transaction() as session:  # a transaction is still one transaction
            ids = {session.execute(text("SELECT pg_current_xact_id()")).scalar_one() for _ in "ab"}
        assert len(ids) == 1
    finally:
        db.dispose()
