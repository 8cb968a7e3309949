"""The canary test of DESIGN.md §5.

A respondent with a distinctive comment, browser and address answers a survey, and another
answers a codes survey with an access code. Afterwards none of these — nor the code, nor the
single-use token the code was exchanged for — may appear in the raw database file, in any log
record, or anywhere in the instance folder. The database content is also searched through SQL,
so PostgreSQL is covered.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, text
from werkzeug.serving import make_server

from survey_app import create_app
from survey_app.extensions import get_code_secret, get_db, get_keyring
from survey_app.services.codes import issue_codes
from tests.conftest import FIXTURE_QUESTIONNAIRES, make_config
from tests.helpers.journey import PASSPHRASE, create_survey, post_page

CANARY_TEXT = "quartz-zebra-canary-4471 my manager said it"
CANARY_AGENT = "CanaryBrowser/9.9 (canary-agent-5523)"
CANARY_ADDRESS = "203.0.113.77"
CANARY_FORWARDED = "198.51.100.23"
NEEDLES = [
    CANARY_TEXT,
    "quartz-zebra-canary-4471",
    CANARY_AGENT,
    "canary-agent-5523",
    CANARY_ADDRESS,
    CANARY_FORWARDED,
]


@pytest.fixture
def canary_app(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    config = make_config(
        tmp_path, database_url, SURVEY_QUESTIONNAIRE_DIR=str(FIXTURE_QUESTIONNAIRES)
    )
    app = create_app(config)
    yield app
    with app.app_context():
        get_db().dispose()


def respond_as_canary(app: Flask) -> None:
    info = create_survey(app, "sample-survey", slug="canary")
    client = app.test_client()
    client.environ_base.update(
        {
            "REMOTE_ADDR": CANARY_ADDRESS,
            "HTTP_USER_AGENT": CANARY_AGENT,
            "HTTP_X_FORWARDED_FOR": CANARY_FORWARDED,
            "HTTP_X_REAL_IP": CANARY_FORWARDED,
        }
    )
    first = post_page(client, f"/s/{info.slug}/q/first", {"colour": "red", "pets": ["cat"]})
    assert first.status_code == 303
    second = post_page(
        client,
        f"/s/{info.slug}/q/second",
        {"statements__tea": "agree", "statements__rain": "disagree", "comment": CANARY_TEXT},
    )
    assert second.status_code == 303
    sent = post_page(client, f"/s/{info.slug}/check", {})
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/done")
    # A second, failing request too: error paths must not log the client either.
    assert client.get("/s/no-such-survey/").status_code == 404


def respond_with_a_code(app: Flask) -> list[str]:
    """A codes-survey respondent; returns the secrets that must leave no trace: the code as
    handed out and as typed, and the token it was exchanged for (read from the draft)."""
    info = create_survey(app, "sample-survey", slug="canary-codes", access="codes")
    with app.app_context():
        (code,) = issue_codes(get_db(), info.slug, 1, get_code_secret())
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": CANARY_ADDRESS, "HTTP_USER_AGENT": CANARY_AGENT})
    typed = code.lower().replace("-", " ")
    assert post_page(client, f"/s/{info.slug}/", {"access_code": typed}).status_code == 303
    token = draft_token(app, client, info.id, f"/s/{info.slug}/")
    first = post_page(client, f"/s/{info.slug}/q/first", {"colour": "blue"})
    assert first.status_code == 303
    second = post_page(
        client,
        f"/s/{info.slug}/q/second",
        {"statements__tea": "agree", "statements__rain": "agree", "comment": CANARY_TEXT},
    )
    assert second.status_code == 303
    sent = post_page(client, f"/s/{info.slug}/check", {})
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/done")
    return [code, code.replace("-", ""), typed, token.hex(), token.hex().upper()]


def draft_token(app: Flask, client: FlaskClient, survey_id: str, path: str) -> bytes:
    """The respondent's token, read from the browser's draft the way the server reads it."""
    parts = []
    for index in range(8):
        cookie = client.get_cookie(f"candour_draft_{survey_id[:12]}_{index}", path=path)
        if cookie is not None:
            parts.append(cookie.value)
    sealed = base64.urlsafe_b64decode("".join(parts))
    with app.app_context():
        plain = get_keyring().decrypt(sealed, aad=b"candour/draft/" + survey_id.encode())
    token = bytes.fromhex(json.loads(zlib.decompress(plain))["t"])
    assert len(token) == 32
    return token


def test_canary_leaves_no_trace(canary_app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    respond_as_canary(canary_app)
    traces = respond_with_a_code(canary_app)
    needles = NEEDLES + traces
    raw_token = bytes.fromhex(traces[3])

    # 1. Every log record, formatted as a handler would write it.
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in caplog.records:
        line = formatter.format(record)
        for needle in needles:
            assert needle not in line, f"log record contains {needle!r}: {line}"

    # 2. Every value in every table, read back through SQL (SQLite and PostgreSQL alike).
    with canary_app.app_context():
        engine = get_db().engine
        with engine.connect() as connection:
            for table in inspect(engine).get_table_names():
                for row in connection.execute(text(f"SELECT * FROM {table}")):
                    blob = b"".join(
                        v if isinstance(v, bytes) else str(v).encode("utf-8") for v in row
                    )
                    for needle in needles:
                        assert needle.encode("utf-8") not in blob, f"{table} holds {needle!r}"
                    assert raw_token not in blob, f"{table} holds the token"

    # 3. The raw bytes of every file in the instance folder (the SQLite file, its WAL, the
    #    development secrets, anything else the app wrote).
    instance = Path(canary_app.config["SURVEY_INSTANCE_DIR"])
    files = [p for p in instance.rglob("*") if p.is_file()]
    if canary_app.config["SURVEY_DATABASE_URL"].startswith("sqlite"):
        assert any(p.name == "candour.db" for p in files)
    for path in files:
        data = path.read_bytes()
        assert raw_token not in data, f"{path.name} holds the token"
        for needle in needles:
            for encoding in ("utf-8", "utf-16-le"):
                assert needle.encode(encoding) not in data, f"{path.name} holds {needle!r}"

    # The responses really were stored and still open: the test is not vacuous.
    with canary_app.app_context():
        from survey_app.services.export import open_responses

        for slug in ("canary", "canary-codes"):
            opened = open_responses(get_db(), slug, PASSPHRASE)
            assert [r.answers["comment"] for r in opened] == [CANARY_TEXT]


def test_development_server_logs_no_request_lines(
    canary_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """Werkzeug's server writes the client address and time of every request; those lines
    are dropped before any handler sees them (start-up messages are kept)."""
    caplog.set_level(logging.DEBUG)
    create_survey(canary_app, "sample-survey", slug="canary")
    server = make_server("127.0.0.1", 0, canary_app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/s/canary/"
        request = urllib.request.Request(url, headers={"User-Agent": CANARY_AGENT})
        with urllib.request.urlopen(request, timeout=10) as reply:
            assert reply.status == 200
        logging.getLogger("werkzeug").info("start-up message kept")
    finally:
        server.shutdown()
        thread.join(timeout=5)
    werkzeug_lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert "start-up message kept" in werkzeug_lines
    for line in werkzeug_lines:
        assert "127.0.0.1" not in line and "/s/canary/" not in line, line
        assert CANARY_AGENT not in line


def test_gunicorn_keeps_no_access_log() -> None:
    from survey_app import gunicorn_conf

    assert gunicorn_conf.accesslog is None
