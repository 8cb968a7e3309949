"""Anonymity is a property of the schema: what a response row can and cannot hold."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import Date, inspect

from survey_app.extensions import get_db

FORBIDDEN_FRAGMENTS = (
    "ip",
    "addr",
    "agent",
    "browser",
    "device",
    "time",
    "created_at",
    "updated",
    "code",
    "session",
    "cookie",
    "referrer",
    "email",
    "name",
)


def test_responses_hold_only_id_survey_version_date_and_envelope(app: Flask) -> None:
    with app.app_context():
        inspector = inspect(get_db().engine)
        columns = {c["name"]: c for c in inspector.get_columns("responses")}
        assert set(columns) == {
            "id",
            "survey_id",
            "questionnaire_version",
            "submitted_on",
            "envelope",
            "session_id",  # a series' response: its session, never a time
        }
        # "session_id" names a feedback session (a meeting of a series, a feedback_sessions
        # row), never a browser's session or a staff sign-in, so it alone may say "session".
        for name in columns.keys() - {"session_id"}:
            parts = name.split("_")
            assert not any(f in parts or f == name for f in FORBIDDEN_FRAGMENTS), name
        # The submission moment is a date, never a timestamp.
        assert isinstance(columns["submitted_on"]["type"], Date)
        # The id is random text, not an auto-increment integer.
        assert "CHAR" in str(columns["id"]["type"]).upper()
        # The only link is to the survey: nothing points at access codes (or anything else).
        targets = {fk["referred_table"] for fk in inspector.get_foreign_keys("responses")}
        assert targets == {"surveys"}


def test_access_codes_keep_used_but_never_when(app: Flask) -> None:
    with app.app_context():
        inspector = inspect(get_db().engine)
        columns = {c["name"]: c for c in inspector.get_columns("access_codes")}
        assert set(columns) == {"id", "survey_id", "digest", "used"}
        assert not any(
            isinstance(c["type"], Date) or "time" in str(c["type"]).lower()
            for c in columns.values()
        )
        targets = {fk["referred_table"] for fk in inspector.get_foreign_keys("access_codes")}
        assert targets == {"surveys"}
        # No other table refers to access codes either.
        for table in inspector.get_table_names():
            for fk in inspector.get_foreign_keys(table):
                assert fk["referred_table"] != "access_codes", table


def test_spent_tokens_hold_a_digest_and_the_survey_only(app: Flask) -> None:
    """A spent token is an HMAC of a random token: no time, no code, no response."""
    with app.app_context():
        inspector = inspect(get_db().engine)
        columns = {c["name"]: c for c in inspector.get_columns("spent_tokens")}
        assert set(columns) == {"digest", "survey_id"}
        assert inspector.get_pk_constraint("spent_tokens")["constrained_columns"] == ["digest"]
        targets = {fk["referred_table"] for fk in inspector.get_foreign_keys("spent_tokens")}
        assert targets == {"surveys"}
        for table in inspector.get_table_names():
            for fk in inspector.get_foreign_keys(table):
                assert fk["referred_table"] != "spent_tokens", table
