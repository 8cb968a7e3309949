"""Secrets leave memory: after a web analysis run, the gunicorn worker that took the
passphrase holds neither the survey's private key nor any response's text; with Redis (as in
production) that worker retires once its job is done, and no server process holds the passphrase.

The attack replayed: run an analysis from the staff pages of a real gunicorn server, wait,
then read the worker process's memory (``/proc/<pid>/mem``) and search it. The job process
(``python -m survey_app.jobs``) that did the work has exited; the worker only handed it the
passphrase. A positive control searches the same memory for text the worker did handle.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
import requests
from flask import Flask

import config as configuration
from survey_app import create_app
from survey_app.extensions import get_db, get_keyring, get_questionnaires
from survey_app.services import accounts, keys, surveys
from survey_app.services.submission import submit_response
from survey_app.storage import migrating
from tests.conftest import FIXTURE_QUESTIONNAIRES
from tests.helpers.journey import PASSPHRASE
from tests.helpers.memory import process_memory

SLUG = "memory"
CANARY = "Quixotrombone"
PASSWORD = "worker memory test password"
EMAIL = "keyholder@example.org"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/mem").exists(), reason="reads process memory through Linux /proc"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(tmp_path: Path) -> dict[str, str]:
    config = configuration.TestConfig({"SURVEY_INSTANCE_DIR": str(tmp_path / "instance")})
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SURVEY_", "FLASK_"))},
        "SURVEY_ENV": "test",
        "SURVEY_INSTANCE_DIR": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'instance' / 'candour.db'}",
        "SECRET_KEY": str(config.SECRET_KEY),
        "SURVEY_DATA_KEYS": str(config.SURVEY_DATA_KEYS),
        "SURVEY_CODE_SECRET": str(config.SURVEY_CODE_SECRET),
        "SURVEY_QUESTIONNAIRE_DIR": str(FIXTURE_QUESTIONNAIRES),
    }


def prepare(env: dict[str, str]) -> tuple[Flask, bytes]:
    """A closed survey with comments and an admin with an authenticator; the private key."""
    (Path(env["SURVEY_INSTANCE_DIR"])).mkdir(parents=True, exist_ok=True)
    config = configuration.TestConfig(env)
    config.SURVEY_DATABASE_URL = env["DATABASE_URL"]
    config.SURVEY_QUESTIONNAIRE_DIR = env["SURVEY_QUESTIONNAIRE_DIR"]
    app = create_app(config)
    with app.app_context():
        db = get_db()
        migrating.upgrade(db, app.config["SURVEY_MIGRATIONS_DIR"])
        questionnaire = get_questionnaires()["report-survey"]
        surveys.create_survey(
            db,
            questionnaire,
            title="Memory",
            access="open",
            min_group=5,
            key_label="Lead",
            passphrase=PASSPHRASE,
            log2_n=12,
            slug=SLUG,
        )
        info = surveys.open_survey(db, SLUG)
        for index in range(30):
            answers = {
                "council": ["north", "south", "east"][index % 3],
                "witnessed": "yes",
                "comments": f"{CANARY} number {index} says the workload is unfair.",
            }
            submit_response(db, info, questionnaire, answers)
        surveys.close_survey(db, SLUG)
        hasher = accounts.password_hasher(1, 64)
        account = accounts.create_user(
            db, hasher, email=EMAIL, role="admin", password=PASSWORD, actor="test"
        )
        enrolment = accounts.start_enrolment(db, get_keyring(), account.id)
        totp = pyotp.TOTP(enrolment.secret)
        assert accounts.confirm_enrolment(db, get_keyring(), account.id, totp.now())
        private_key = keys.unlock_survey(db, SLUG, PASSPHRASE)
    env["TOTP_SECRET"] = enrolment.secret
    return app, private_key


@pytest.fixture(params=["redis", "memory"])
def server(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[int, int, dict[str, str], bytes]]:
    env = environment(tmp_path)
    if request.param == "redis":
        env["REDIS_URL"] = "redis://127.0.0.1:6379/14"
    _app, private_key = prepare(env)
    port = free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    process = subprocess.Popen(
        [
            str(gunicorn),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--config",
            "python:survey_app.gunicorn_conf",
            "survey_app.wsgi:build()",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                    break
            except requests.RequestException:  # not listening yet, or still loading the app
                time.sleep(0.2)
        else:
            raise AssertionError("gunicorn did not start")
        workers = children(process.pid)
        assert len(workers) == 1
        yield port, process.pid, env, private_key
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def token(page: requests.Response) -> str:
    found = CSRF.findall(page.text)
    assert found, page.text[:300]
    return found[-1]


def sign_in(base: str, secret: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/staff/login")
    sent = browser.post(
        f"{base}/staff/login",
        data={"email": EMAIL, "password": PASSWORD, "csrf_token": token(page)},
    )
    assert sent.url.endswith("/staff/login/code"), sent.url
    code = pyotp.TOTP(secret).at(time.time() + 30)  # the next step: this one enrolled
    done = browser.post(sent.url, data={"code": code, "csrf_token": token(sent)})
    assert done.url.endswith("/staff/"), done.url
    return browser


@pytest.mark.slow
def test_the_web_worker_keeps_no_key_and_no_response(
    server: tuple[int, int, dict[str, str], bytes],
) -> None:
    port, arbiter, env, private_key = server
    base = f"http://127.0.0.1:{port}"
    browser = sign_in(base, env["TOTP_SECRET"])
    page = browser.get(f"{base}/staff/surveys/{SLUG}/analyse")
    (took_passphrase,) = children(arbiter)
    started = browser.post(
        f"{base}/staff/surveys/{SLUG}/analyse",
        data={"passphrase": PASSPHRASE, "csrf_token": token(page)},
    )
    assert "/analyse/" in started.url
    deadline = time.monotonic() + 120
    while "Analysing the responses" in browser.get(started.url).text:
        assert time.monotonic() < deadline, "the analysis did not finish"
        time.sleep(0.5)
    assert "The release is ready" in browser.get(started.url).text
    retires = "REDIS_URL" in env
    if retires:
        # The worker that took the passphrase retires once its job is done; a fresh one serves.
        deadline = time.monotonic() + 60
        while took_passphrase in children(arbiter) or not children(arbiter):
            assert time.monotonic() < deadline, "the worker that took the passphrase still serves"
            time.sleep(0.2)
        assert not Path(f"/proc/{took_passphrase}").exists()
    # Some ordinary use of the server afterwards, as there would be.
    for _ in range(20):
        assert browser.get(f"{base}/staff/surveys/{SLUG}/report").ok
    (worker,) = children(arbiter)
    memory = process_memory(worker)
    assert len(memory) > 1_000_000
    # Positive control: text the worker did handle is found this way.
    assert EMAIL.encode() in memory
    assert CANARY.encode() not in memory, "a response's text is in the web worker"
    assert private_key not in memory, "the survey's private key is in the web worker"
    if retires:
        for pid in (arbiter, worker):
            assert PASSPHRASE.encode() not in process_memory(pid), "a passphrase stayed"
