"""Sign-in limits and sessions are shared by every server process: a real gunicorn with two
workers on one Redis (database 7 on 127.0.0.1:6379, emptied before and after).

Which worker answers is made certain, not left to chance: the other worker is paused
(SIGSTOP) while a request is sent, so the one still running must take it. The same harness
on gunicorn without Redis (each worker counting in its own memory) lets more attempts through,
which shows that the harness really does spread attempts over both workers.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import requests

import config as configuration
from survey_app import create_app
from survey_app.extensions import get_db
from survey_app.services import accounts
from survey_app.storage import migrating
from survey_app.web.staff import devices

REDIS = "redis://127.0.0.1:6379/7"
PASSWORD = "shared limits test password"
EMAIL = "viewer@example.org"
OTHER_EMAIL = "facilitator@example.org"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/task").exists(), reason="finds gunicorn's workers through Linux /proc"
)


@pytest.fixture(scope="module")
def redis_db() -> Iterator[redis.Redis]:
    """Redis database 7, for this module alone while it runs (a lock file keeps out any other
    test process on this machine), empty at the start and at the end."""
    client = redis.Redis.from_url(REDIS)
    try:
        client.ping()
    except redis.RedisError:
        client.close()
        pytest.skip("no Redis server at 127.0.0.1:6379 (production needs one; CI starts one)")
    with open(Path(tempfile.gettempdir()) / "candour-test-redis-7.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        client.flushdb()
        try:
            yield client
        finally:
            client.flushdb()
            client.close()


@pytest.fixture(scope="module")
def running(redis_db: redis.Redis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with gunicorn(tmp_path_factory.mktemp("shared"), REDIS) as server:
        yield server


@pytest.fixture
def server(running: Server, redis_db: redis.Redis) -> Server:
    """The two-worker server, with no counts yet."""
    redis_db.flushdb()
    return running


@dataclass
class Server:
    base: str
    workers: tuple[int, int]

    @contextmanager
    def only(self, worker: int) -> Iterator[None]:
        """While inside, only ``worker`` (0 or 1) can take a request: the other is paused."""
        paused = self.workers[1 - worker]
        os.kill(paused, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(paused, signal.SIGCONT)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def prepare(tmp_path: Path, redis_url: str | None) -> dict[str, str]:
    """The environment for gunicorn, and a database with two accounts (no two-factor)."""
    instance = tmp_path / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SURVEY_", "FLASK_"))},
        "SURVEY_ENV": "test",
        "SURVEY_INSTANCE_DIR": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'candour.db'}",
        "SECRET_KEY": secrets.token_urlsafe(32),
        # Behind one proxy (this test plays it): the address is the last X-Forwarded-For.
        "SURVEY_PROXY_COUNT": "1",
        "XDG_RUNTIME_DIR": str(tmp_path),
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    config = configuration.TestConfig(env)
    env["SURVEY_DATA_KEYS"] = str(config.SURVEY_DATA_KEYS)
    env["SURVEY_CODE_SECRET"] = str(config.SURVEY_CODE_SECRET)
    config.SURVEY_DATABASE_URL = env["DATABASE_URL"]
    app = create_app(config)
    with app.app_context():
        db = get_db()
        migrating.upgrade(db, app.config["SURVEY_MIGRATIONS_DIR"])
        hasher = accounts.password_hasher(1, 64)
        for email, role in ((EMAIL, "viewer"), (OTHER_EMAIL, "facilitator")):
            accounts.create_user(
                db, hasher, email=email, role=role, password=PASSWORD, actor="test"
            )
        db.dispose()
    return env


@contextmanager
def gunicorn(tmp_path: Path, redis_url: str | None) -> Iterator[Server]:
    env = prepare(tmp_path, redis_url)
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        *("--bind", f"127.0.0.1:{port}", "--workers", "2"),
        *("--config", "python:survey_app.gunicorn_conf", "survey_app.wsgi:build()"),
    ]
    with open(tmp_path / "gunicorn.log", "wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                ready = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok
            except requests.RequestException:  # not listening yet, or still loading the app
                ready = False
            if ready and len(children(process.pid)) == 2:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("gunicorn did not start two workers")
        first, second = children(process.pid)
        yield Server(f"http://127.0.0.1:{port}", (first, second))
    finally:
        for worker in children(process.pid):
            os.kill(worker, signal.SIGCONT)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def browser(address: str) -> requests.Session:
    """A browser at ``address`` (as the proxy in front of gunicorn reports it)."""
    session = requests.Session()
    session.headers["X-Forwarded-For"] = address
    return session


def attempt(server: Server, client: requests.Session, email: str, password: str) -> int:
    """One sign-in attempt; the page and the form are fetched from the same worker."""
    page = client.get(f"{server.base}/staff/login", allow_redirects=False)
    assert page.status_code == 200, page.status_code
    token = CSRF.findall(page.text)[-1]
    sent = client.post(
        f"{server.base}/staff/login",
        data={"email": email, "password": password, "csrf_token": token},
        allow_redirects=False,
    )
    return sent.status_code


def signed_in(server: Server, client: requests.Session) -> bool:
    page = client.get(f"{server.base}/staff/releases", allow_redirects=False)
    return page.status_code == 200


def sign_out(server: Server, client: requests.Session) -> None:
    page = client.get(f"{server.base}/staff/releases")
    token = CSRF.findall(page.text)[-1]
    client.post(f"{server.base}/staff/logout", data={"csrf_token": token})


@pytest.mark.slow
def test_without_redis_each_worker_counts_alone(tmp_path: Path) -> None:
    """The control (first, before the shared server starts): in each worker's own memory the
    same spread of guesses goes twice as far, so the tests below do reach both workers."""
    with gunicorn(tmp_path, None) as server:
        statuses = []
        for number in range(10):
            with server.only(number % 2):
                statuses.append(attempt(server, browser(f"203.0.113.{number}"), EMAIL, "guess"))
        assert statuses == [200] * 10  # five a minute per account, counted once per worker
        with server.only(0):
            assert attempt(server, browser("203.0.113.99"), EMAIL, "guess") == 429


def test_both_workers_share_the_account_limit_and_a_known_device_gets_through(
    server: Server,
) -> None:
    laptop = browser("192.0.2.44")
    with server.only(0):
        assert attempt(server, laptop, EMAIL, PASSWORD) == 303
        assert laptop.cookies.get(devices.COOKIE, path="/staff/")
    with server.only(1):
        assert signed_in(server, laptop)  # the session is shared too
        sign_out(server, laptop)
        assert not signed_in(server, laptop)
    # Guesses from many addresses, alternating between the workers: with the laptop's
    # sign-in, five attempts on the account; the sixth is refused, right password or not.
    guesses = []
    for number in range(4):
        with server.only(number % 2):
            guesses.append(attempt(server, browser(f"203.0.113.{number}"), EMAIL, "guess"))
    assert guesses == [200] * 4
    for worker in (0, 1):
        with server.only(worker):
            assert attempt(server, browser("203.0.113.9"), EMAIL, PASSWORD) == 429
    # The owner's laptop, a known device, signs in on either worker all the same.
    with server.only(1):
        assert attempt(server, laptop, EMAIL, PASSWORD) == 303
    with server.only(0):
        assert signed_in(server, laptop)


def test_a_flood_of_random_emails_does_not_stop_a_real_user(
    server: Server, redis_db: redis.Redis
) -> None:
    # One sender floods both workers with empty passwords for made-up addresses: after the
    # address's ten a minute, it is refused.
    flood = browser("198.51.100.66")
    statuses = []
    for number in range(14):
        with server.only(number % 2):
            statuses.append(attempt(server, flood, f"x{number}@example.net", ""))
    assert statuses == [200] * 10 + [429] * 4
    # Many senders, one guess each: no limit over all accounts to use up.
    for number in range(30):
        with server.only(number % 2):
            sender = browser(f"203.0.113.{number + 1}")
            assert attempt(server, sender, f"y{number}@example.net", "") == 200
    # A real user, on a browser that has never signed in before, gets in on either worker.
    for worker, email in ((0, EMAIL), (1, OTHER_EMAIL)):
        with server.only(worker):
            person = browser(f"192.0.2.{80 + worker}")
            assert attempt(server, person, email, PASSWORD) == 303
            assert signed_in(server, person)
    # Redis holds counts under HMACs: no address and nothing typed.
    keys = [key.decode() for key in redis_db.scan_iter(count=1000)]
    assert any("staff-sign-in-address" in key for key in keys)
    for key in keys:
        assert not re.search(r"\d+\.\d+\.\d+\.\d+|@|example", key), key
