"""Migration 0010 moves stored releases into two parts (figures, audit) and back.

The releases are made by the application's own analysis and publishing; stepping back to
0009 must give the single payload releases had then, and a payload written as 0009 wrote it
must come forward unchanged, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import inspect, text

from config import ROOT
from survey_app.crypto import Keyring
from survey_app.extensions import get_db, get_keyring
from survey_app.services import releases
from survey_app.storage import migrating
from survey_app.storage.database import Database
from survey_app.storage.models import Release
from tests.conftest import FIXTURE_QUESTIONNAIRES, make_config, migrated_app
from tests.integration.reports.support import SLUG, analyse_survey, closed_survey, publish
from tests.integration.reports.support import staff_member as signed_in_staff

MIGRATIONS = ROOT / "migrations"
CSV = f"/staff/surveys/{SLUG}/report/download/csv"


def _legacy_aad(survey_id: str, release_id: str) -> bytes:
    """The associated data of a whole release payload before 0010."""
    return f"candour/release/{survey_id}/{release_id}".encode("ascii")


def _whole(app: Flask) -> dict[str, dict[str, Any]]:
    with app.app_context(), get_db().session() as session:
        rows = session.query(Release).all()
        return {row.id: releases.read_release(session, get_keyring(), row) for row in rows}


def _tables(app: Flask) -> set[str]:
    with app.app_context():
        return set(inspect(get_db().engine).get_table_names())


def _columns(app: Flask) -> set[str]:
    with app.app_context():
        return {c["name"] for c in inspect(get_db().engine).get_columns("releases")}


@contextmanager
def _fresh(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """A new application on the same database and keys: nothing cached from before."""
    folder = tmp_path / "fresh"
    (folder / "instance").mkdir(parents=True)
    fresh = migrated_app(
        make_config(
            folder,
            app.config["SURVEY_DATABASE_URL"],
            SURVEY_QUESTIONNAIRE_DIR=str(FIXTURE_QUESTIONNAIRES),
            SECRET_KEY=app.config["SECRET_KEY"],
            SURVEY_DATA_KEYS=app.config["SURVEY_DATA_KEYS"],
            SURVEY_CODE_SECRET=app.config["SURVEY_CODE_SECRET"],
        )
    )
    try:
        yield fresh
    finally:
        with fresh.app_context():
            get_db().dispose()


def test_releases_move_to_two_parts_and_back(sample_app: Flask, tmp_path: Path) -> None:
    closed_survey(sample_app)
    publish(sample_app)
    draft_id = analyse_survey(sample_app)  # a second release, left as a draft
    before = _whole(sample_app)
    assert len(before) == 2
    admin, _staff = signed_in_staff(sample_app, "admin")
    draft_csv = admin.get(CSV).get_data()

    with sample_app.app_context():
        db, keyring = get_db(), get_keyring()
        migrating.downgrade(db, MIGRATIONS, "0009", keyring=keyring)
        assert migrating.current_revision(db) == "0009"
    assert "release_audits" not in _tables(sample_app)
    assert "revision" not in _columns(sample_app)
    # One payload per release, the whole document, as 0009's code wrote and read it.
    legacy = _legacy_payloads(sample_app, keyring)
    assert legacy == before

    # A payload written by 0009's code itself (not by the downgrade) comes forward too.
    with sample_app.app_context(), get_db().engine.begin() as connection:
        survey_id = connection.execute(
            text("SELECT survey_id FROM releases WHERE id = :id"), {"id": draft_id}
        ).scalar_one()
        plain = json.dumps(before[draft_id], separators=(",", ":")).encode("utf-8")
        connection.execute(
            text("UPDATE releases SET payload = :p WHERE id = :id"),
            {"p": keyring.encrypt(plain, aad=_legacy_aad(survey_id, draft_id)), "id": draft_id},
        )

    with sample_app.app_context():
        # Without the server's keys the releases cannot be moved: nothing is changed.
        with pytest.raises(RuntimeError, match="data keys"):
            migrating.upgrade(db, MIGRATIONS)
        assert migrating.current_revision(db) == "0009"
        assert "release_audits" not in _tables(sample_app)
        migrating.upgrade(db, MIGRATIONS, keyring=keyring)
        assert migrating.current_revision(db) == migrating.head_revision(MIGRATIONS)
        assert migrating.schema_differences(db) == []

    with _fresh(sample_app, tmp_path) as fresh:
        assert _whole(fresh) == before
        with fresh.app_context(), get_db().session() as session:
            for row in session.query(Release).all():
                assert row.revision == 1
                figures = releases.open_figures(get_keyring(), row.survey_id, row.id, row.payload)
                assert "audit" not in figures["release"] and "fingerprints" not in figures
        analyst, _analyst = signed_in_staff(fresh, "analyst", assigned_to=SLUG)
        assert analyst.get(CSV).get_data() == draft_csv


def _legacy_payloads(app: Flask, keyring: Keyring) -> dict[str, Any]:
    with app.app_context(), get_db().engine.connect() as connection:
        rows = connection.execute(text("SELECT id, survey_id, payload FROM releases")).all()
    return {
        rid: json.loads(keyring.decrypt(bytes(payload), aad=_legacy_aad(sid, rid)))
        for rid, sid, payload in rows
    }


def test_an_empty_database_needs_no_keys(empty_database_url: str) -> None:
    """``flask db upgrade`` of a new installation, and back: no release, nothing to move."""
    db = Database(empty_database_url)
    try:
        migrating.upgrade(db, MIGRATIONS)
        migrating.downgrade(db, MIGRATIONS, "0009")
        migrating.upgrade(db, MIGRATIONS)
        assert migrating.schema_differences(db) == []
    finally:
        db.dispose()
