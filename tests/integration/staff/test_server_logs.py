"""Gunicorn's logs never write a client address: a real gunicorn process on 127.0.0.1 with the
project's settings (survey_app/gunicorn_conf.py) gets a normal request and malformed ones over
a raw socket, and its captured error log is searched. The same requests to gunicorn with its
own default logging show what would be written otherwise, so the search is known to work."""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from config import ROOT, load_config
from survey_app import create_app
from survey_app.crypto import generate_key_spec
from survey_app.extensions import get_db
from survey_app.logs import ADDRESS_REMOVED, ScrubAddresses, scrub_addresses
from survey_app.storage import migrating

HOST = "127.0.0.1"
NORMAL = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
MALFORMED = [
    b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nNot a header line\r\n\r\n",
    b"BROKEN REQUEST LINE\r\n\r\n",
]
# Any dotted quad, and the IPv6 loopback, whether written as ::1 or in full.
ANY_IPV4 = re.compile(r"(?<![0-9])[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?![0-9])")
OUR_SETTINGS = ["--config", "python:survey_app.gunicorn_conf"]
GUNICORN_DEFAULTS = ["--error-logfile", "-", "--log-level", "info"]


def environment(tmp_path: Path) -> dict[str, str]:
    """The test configuration, entirely from environment variables, on a migrated SQLite."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("SURVEY_") and name not in {"DATABASE_URL", "SECRET_KEY"}
    }
    instance = tmp_path / "instance"
    env.update(
        SURVEY_ENV="test",
        SURVEY_INSTANCE_DIR=str(instance),
        DATABASE_URL=f"sqlite:///{instance / 'candour.db'}",
        SECRET_KEY="a-secret-key-for-this-test-only-0123456789",
        SURVEY_DATA_KEYS=generate_key_spec("k1"),
        SURVEY_CODE_SECRET="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        PYTHONUNBUFFERED="1",
        # gunicorn ≥ 25.1 opens a control socket there: one of this test's own.
        XDG_RUNTIME_DIR=str(tmp_path),
    )
    env.pop("REDIS_URL", None)
    app = create_app(load_config(env))
    with app.app_context():
        migrating.upgrade(get_db(), app.config["SURVEY_MIGRATIONS_DIR"])
        get_db().dispose()
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def exchange(port: int, request: bytes) -> bytes:
    """Send raw bytes, read the whole answer (gunicorn closes the connection after it)."""
    with socket.create_connection((HOST, port), timeout=30) as connection:
        connection.sendall(request)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@contextmanager
def gunicorn(env: dict[str, str], options: list[str], log: Path) -> Iterator[int]:
    """A gunicorn process with one worker on a free port of 127.0.0.1; stopped on exit, after
    which ``log`` holds everything it wrote."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", *options, "--bind", f"{HOST}:{port}"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--workers", "1", "survey_app.wsgi:build()"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60  # a readiness wait, not an assertion about time
        while True:
            assert process.poll() is None, log.read_text(errors="replace")
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=60)


def serve_and_log(env: dict[str, str], options: list[str], log: Path) -> tuple[list[bytes], str]:
    with gunicorn(env, options, log) as port:
        answers = [exchange(port, request) for request in (NORMAL, *MALFORMED)]
    return answers, log.read_text(errors="replace")


@pytest.mark.slow
def test_gunicorn_logs_no_client_address(tmp_path: Path) -> None:
    env = environment(tmp_path)
    # The access log asked for on the command line too: it must stay off.
    options = [*OUR_SETTINGS, "--access-logfile", "-"]
    answers, text = serve_and_log(env, options, tmp_path / "ours.log")
    assert answers[0].startswith(b"HTTP/1.1 200"), answers[0][:200]
    for answer in answers[1:]:
        assert answer.startswith(b"HTTP/1.1 400"), answer[:200]  # the requests were refused
    assert "Booting worker" in text  # and this is the error log
    assert HOST not in text, text
    assert not ANY_IPV4.search(text), text
    assert "::1" not in text
    assert "Invalid request" not in text
    assert "/healthz" not in text  # no access line
    assert f"Listening at: http://{ADDRESS_REMOVED}:" in text

    # Control: gunicorn's own logging, same requests. It writes the address, so the search
    # above would have found it.
    answers, text = serve_and_log(env, GUNICORN_DEFAULTS, tmp_path / "defaults.log")
    assert [answer[:12] for answer in answers] == [b"HTTP/1.1 200"] + [b"HTTP/1.1 400"] * 2
    assert f"Invalid request from ip={HOST}" in text


# --- the filter on its own --------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "Listening at: http://127.0.0.1:8000 (41)",
            f"Listening at: http://{ADDRESS_REMOVED}:8000 (41)",
        ),
        ("peer ('192.168.1.20', 5555) reset", f"peer ('{ADDRESS_REMOVED}', 5555) reset"),
        ("from [::1]:443", f"from [{ADDRESS_REMOVED}]:443"),
        ("from fe80::1%eth0.", f"from {ADDRESS_REMOVED}."),
        (
            "from 2001:db8:0:0:0:0:0:1 and ::ffff:10.0.0.1",
            f"from {ADDRESS_REMOVED} and {ADDRESS_REMOVED}",
        ),
        (
            "at 10:30:15, gunicorn 27.0.1, Class::method",
            "at 10:30:15, gunicorn 27.0.1, Class::method",
        ),
        ("version 1.2.3.4.5 and 999.1.1.1", "version 1.2.3.4.5 and 999.1.1.1"),
    ],
)
def test_scrub_addresses(message: str, expected: str) -> None:
    assert scrub_addresses(message) == expected


def record(msg: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("gunicorn.error", logging.WARNING, __file__, 1, msg, args, exc_info)


def test_the_filter_drops_bad_request_lines_and_scrubs_the_rest() -> None:
    scrub = ScrubAddresses()
    # Exactly how gunicorn writes it (workers/base.py): formatted before logging.
    assert not scrub.filter(record("Invalid request from ip=10.1.2.3: Invalid HTTP Version"))
    kept = record("Connection from %s:%d closed", "10.1.2.3", 443)
    assert scrub.filter(kept)
    assert kept.getMessage() == f"Connection from {ADDRESS_REMOVED}:443 closed"
    try:
        raise ConnectionResetError("reset by ('10.1.2.3', 5555)")
    except ConnectionResetError as error:
        failed = record("Error handling request", exc=error)
    assert scrub.filter(failed)
    formatted = logging.Formatter().format(failed)
    assert "ConnectionResetError" in formatted
    assert "10.1.2.3" not in formatted
