"""The server alone can read no comment: a stolen database plus the server's configuration
(the development secrets) reveals neither comment texts nor who wrote them.

The attack: with the database and every secret in the configuration, decrypt whatever the
server's own keys open and look for the comments and for respondents' groups. Before this
change the review workspace was sealed with the server's data key and gave away every comment
with its author's council, ethnic group and role.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import inspect, text

from survey_app.crypto import CryptoError, DecryptError, Keyring, open_envelope
from survey_app.extensions import get_db, get_keyring
from survey_app.services import review, surveys, themes
from survey_app.storage.models import Release
from tests.helpers.journey import PASSPHRASE
from tests.integration.reports.test_release_attacks import SLUG, closed_with_comments
from tests.integration.reports.test_themes import COMMENTS

PHRASES = [c.split(",")[0].encode("utf-8") for c in COMMENTS]


def every_value(app: Flask) -> list[tuple[str, str, Any]]:
    """(table, column, value) for every value in every table of the database."""
    found = []
    with app.app_context():
        engine = get_db().engine
        for table in inspect(engine).get_table_names():
            with engine.connect() as connection:
                result = connection.execute(text(f'SELECT * FROM "{table}"'))
                for row in result:
                    for column, value in row._mapping.items():
                        found.append((table, str(column), value))
    return found


def readable_with_the_configuration(
    keyring: Keyring, value: bytes, survey_id: str, release_id: str
) -> list[bytes]:
    """Every way the server's data keys open a blob, trying each purpose's binding."""
    opened = []
    for aad in (
        f"candour/release/{survey_id}/{release_id}",  # a release before migration 0010
        f"candour/release/figures/{survey_id}/{release_id}",
        f"candour/release/audit/{survey_id}/{release_id}",
        f"candour/workspace/{survey_id}/{release_id}",
    ):
        try:
            opened.append(keyring.decrypt(value, aad=aad.encode("ascii")))
        except DecryptError:
            continue
    return opened


def test_a_database_and_the_configuration_reveal_no_comment(sample_app: Flask) -> None:
    release_id = closed_with_comments(sample_app)
    with sample_app.app_context():
        info = surveys.get_survey(get_db(), SLUG)
        keyring = get_keyring()
    values = every_value(sample_app)
    blobs = [(t, c, v) for t, c, v in values if isinstance(v, bytes | memoryview)]
    assert any(t == "releases" and c == "workspace" and v for t, c, v in blobs)
    opened_payloads = 0
    for table, column, value in blobs:
        raw = bytes(value)
        assert not any(p in raw for p in PHRASES), (table, column)
        for plain in readable_with_the_configuration(keyring, raw, info.id, release_id):
            assert (table, column) in (
                ("releases", "payload"),
                ("release_audits", "payload"),
            ), "only the report (its figures and its audit) opens"
            assert not any(p in plain for p in PHRASES)
            document = json.loads(plain)
            assert "groups" not in json.dumps(document)
            opened_payloads += 1
    assert opened_payloads == 2
    for table, column, value in values:
        if isinstance(value, str):
            assert not any(p.decode() in value for p in PHRASES), (table, column)


def test_the_workspace_opens_only_with_a_key_slot(sample_app: Flask) -> None:
    """Positive control: a key holder's passphrase does open the comments, so the search
    above would have found them had the server's keys opened them."""
    release_id = closed_with_comments(sample_app)
    with sample_app.app_context():
        db = get_db()
        info = surveys.get_survey(db, SLUG)
        with db.session() as session:
            row = session.get(Release, release_id)
            assert row is not None
            sealed, sealed_key = row.workspace, row.workspace_key
        # Without the private key, the sealed workspace key does not open...
        with pytest.raises(CryptoError):
            open_envelope(
                sealed_key,
                bytes(32),
                survey_id=info.id,
                questionnaire_version=f"review-key/{release_id}",
            )
        with pytest.raises(DecryptError):
            get_keyring().decrypt(
                sealed, aad=f"candour/workspace/{info.id}/{release_id}".encode("ascii")
            )
        # ...with a key holder's passphrase it does, and the comments are there.
        from survey_app.services.keys import unlock_survey

        key = review.workspace_key(db, SLUG, release_id, unlock_survey(db, SLUG, PASSPHRASE))
        workspace = themes.open_workspace(key, sealed, info.id, release_id)
    texts = {c.text for r in workspace.reviews.values() for c in r.comments}
    assert set(COMMENTS) <= texts
    # And the workspace keeps no respondent's groups: only comments, themes and row numbers.
    document = json.loads(workspace.to_json())
    assert set(document) == {"format", "rows", "responses", "reviews"}
