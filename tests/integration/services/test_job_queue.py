"""Key holder jobs on the job queue: the staff pages enqueue, a real ``flask jobs worker``
process runs the job, and the passphrase never rests in Redis.

Redis database 9 on 127.0.0.1:6379 belongs to this module while it runs (a lock file keeps
out any other test process on this machine); it is emptied before and after each test. Each
test starts its workers as subprocesses on the same database file (or PostgreSQL schema) as
the application, and stops them at the end.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import fcntl
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

import config as configuration
from config import ROOT
from survey_app import create_app
from survey_app.crypto import generate_survey_keypair
from survey_app.extensions import get_db, get_questionnaires, get_unlock_store, job_settings
from survey_app.services import analysis, job_queue, jobs, surveys
from survey_app.services.errors import ServiceError
from survey_app.services.submission import submit_response
from survey_app.services.unlocking import MemoryUnlockStore
from tests.conftest import FIXTURE_QUESTIONNAIRES, make_config
from tests.helpers.journey import create_survey
from tests.helpers.memory import process_memory
from tests.helpers.pages import check_page
from tests.helpers.runs import wait_for_run
from tests.integration.staff.support import events, form_token, signed_in

REDIS = "redis://127.0.0.1:6379/9"
SLUG = "queued"
PASSPHRASE = "Zephyrquill lantern 4417 marmalade"
WRONG = "Brackenfold otter 9023 quince"
HEARTBEAT = 2  # seconds: a killed job is noticed quickly
RESPONSES = 120
# Enough that an analysis goes on for seconds after it has said it started (about 2 s here),
# while a test kills its worker within milliseconds of that.
SLOW = 300

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/task").exists(), reason="finds the job worker's processes through /proc"
)


@pytest.fixture(scope="module")
def redis_lock() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS)
    try:
        client.ping()
    except redis.RedisError:
        client.close()
        pytest.skip("no Redis server at 127.0.0.1:6379 (production needs one; CI starts one)")
    with open(Path(tempfile.gettempdir()) / "candour-test-redis-9.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield client
        finally:
            client.flushdb()
            client.close()


@pytest.fixture
def redis_db(redis_lock: redis.Redis) -> Iterator[redis.Redis]:
    redis_lock.flushdb()
    yield redis_lock
    redis_lock.flushdb()


@pytest.fixture
def queued_app(tmp_path: Path, database_url: str, redis_db: redis.Redis) -> Iterator[Flask]:
    """The application with the test questionnaires, its jobs on the queue in database 9."""
    config = make_config(
        tmp_path,
        database_url,
        SURVEY_QUESTIONNAIRE_DIR=str(FIXTURE_QUESTIONNAIRES),
        REDIS_URL=REDIS,
        SURVEY_JOBS="queue",
        SURVEY_JOB_HEARTBEAT_SECONDS=HEARTBEAT,
    )
    app = create_app(config)
    yield app
    with app.app_context():
        get_db().dispose()


class Workers:
    """``flask jobs worker`` processes for the application's configuration."""

    def __init__(self, app: Flask, tmp_path: Path) -> None:
        config = app.config
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("SURVEY_", "FLASK_")) and k not in ("DATABASE_URL",)
            },
            "FLASK_APP": "survey_app.wsgi:build()",
            "SURVEY_ENV": "test",
            "SURVEY_INSTANCE_DIR": str(tmp_path / "instance"),
            "DATABASE_URL": config["SURVEY_DATABASE_URL"],
            "SECRET_KEY": config["SECRET_KEY"],
            "SURVEY_DATA_KEYS": config["SURVEY_DATA_KEYS"],
            "SURVEY_CODE_SECRET": config["SURVEY_CODE_SECRET"],
            "SURVEY_QUESTIONNAIRE_DIR": config["SURVEY_QUESTIONNAIRE_DIR"],
            "REDIS_URL": REDIS,
            "SURVEY_JOBS": "queue",
            "SURVEY_JOB_HEARTBEAT_SECONDS": str(HEARTBEAT),
        }
        self.log = tmp_path / "worker.log"
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, connection: redis.Redis) -> subprocess.Popen[bytes]:
        """A new worker, once it has announced its key."""
        before = set(connection.smembers(job_queue.WORKERS_KEY))
        flask = Path(sys.executable).parent / "flask"
        with open(self.log, "ab") as log:
            process = subprocess.Popen(
                [str(flask), "jobs", "worker"], cwd=ROOT, env=self.env, stdout=log, stderr=log
            )
        self.started.append(process)
        deadline = time.monotonic() + 60
        while not set(connection.smembers(job_queue.WORKERS_KEY)) - before:
            assert process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, "the worker did not announce itself"
            time.sleep(0.1)
        return process

    def stop(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def workers(queued_app: Flask, tmp_path: Path) -> Iterator[Workers]:
    found = Workers(queued_app, tmp_path)
    yield found
    found.stop()


def closed_survey(app: Flask, count: int = RESPONSES) -> None:
    info = create_survey(app, "report-survey", slug=SLUG, min_group=5, passphrase=PASSPHRASE)
    with app.app_context():
        questionnaire = get_questionnaires()["report-survey"]
        for index in range(count):
            answers = {
                "council": ["north", "south", "east"][index % 3],
                "witnessed": ["yes", "no"][index % 2],
                "comments": f"Comment {index}: the workload is unfair and managers do not listen.",
            }
            submit_response(get_db(), info, questionnaire, answers)
        surveys.close_survey(get_db(), SLUG)


def post_analyse(client: FlaskClient, passphrase: str) -> tuple[int, str, list[str]]:
    """Send the analyse form as a signed-in admin: status, Location and any error messages."""
    page = check_page(client.get(f"/staff/surveys/{SLUG}/analyse"))
    response = client.post(
        f"/staff/surveys/{SLUG}/analyse",
        data={"passphrase": passphrase, "csrf_token": form_token(page)},
    )
    if response.status_code == 303:
        return 303, response.headers["Location"], []
    return response.status_code, "", check_page(response, response.status_code).error_messages()


def encodings(secret: str) -> list[bytes]:
    """The passphrase as it might be written down by accident."""
    raw = secret.encode("utf-8")
    return [
        raw,
        raw.hex().encode(),
        raw.hex().upper().encode(),
        base64.b64encode(raw),
        base64.urlsafe_b64encode(raw),
        base64.b64encode(raw).rstrip(b"="),
        urllib.parse.quote(secret).encode(),
        urllib.parse.quote_plus(secret).encode(),
        json.dumps(secret).encode(),
        secret.encode("utf-16-le"),
        secret.encode("utf-16-be"),
        secret.lower().encode(),
        secret.split()[0].encode(),  # a part of it
    ]


def everything_in(connection: redis.Redis) -> list[bytes]:
    """Every key and value in the database, with compressed values also decompressed (RQ
    keeps a job's pickled call zlib-compressed)."""
    found: list[bytes] = []
    for key in connection.scan_iter(count=1000):
        found.append(key)
        kind = connection.type(key)
        values: list[Any]
        if kind == b"string":
            values = [connection.get(key) or b""]
        elif kind == b"list":
            values = list(connection.lrange(key, 0, -1))
        elif kind == b"hash":
            values = [item for pair in connection.hgetall(key).items() for item in pair]
        elif kind == b"set":
            values = list(connection.smembers(key))
        elif kind == b"zset":
            scored: Any = connection.zrange(key, 0, -1, withscores=True)
            values = [member for member, _score in scored]
        elif kind == b"stream":
            entries: Any = connection.xrange(key)
            values = [item for _id, fields in entries for pair in fields.items() for item in pair]
        else:
            raise AssertionError(f"{key!r} has a type this test does not read: {kind!r}")
        for value in values:
            assert isinstance(value, bytes)
            found.append(value)
            with contextlib.suppress(zlib.error):
                found.append(zlib.decompress(value))
    return found


def assert_absent(connection: redis.Redis, secret: str) -> None:
    stored = everything_in(connection)
    for encoded in encodings(secret):
        assert not any(encoded in value for value in stored), f"{encoded!r} is in Redis"


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def run_of(app: Flask, url: str) -> analysis.RunInfo:
    with app.app_context():
        found = analysis.get_run(get_db(), url.rstrip("/").rsplit("/", 1)[1])
    assert found is not None
    return found


@pytest.mark.slow
def test_a_queued_analysis_runs_in_a_worker_and_redis_never_holds_the_passphrase(
    queued_app: Flask, workers: Workers, redis_db: redis.Redis
) -> None:
    closed_survey(queued_app)
    client, _staff = signed_in(queued_app, "admin")
    worker = workers.start(redis_db)
    status, run_url, errors = post_analyse(client, PASSPHRASE)
    assert (status, errors) == (303, [])
    # While the job runs: its RQ job (with the sealed passphrase) is in Redis, and nothing else.
    stored = everything_in(redis_db)
    assert any(SLUG.encode() in value for value in stored), "positive control: the job's slug"
    assert_absent(redis_db, PASSPHRASE)
    assert wait_for_run(client, run_url) == "The release is ready"
    run = run_of(queued_app, run_url)
    assert (run.status, run.progress) == ("done", 100)
    with queued_app.app_context():
        info = surveys.get_survey(get_db(), SLUG)
        assert analysis.release_count(get_db(), info.id) == 1
        # The worker kept the new review's key in the shared unlock store.
        assert run.release_id is not None
        assert get_unlock_store().get(run.release_id) is not None
    assert next(e.detail for e in events(queued_app, "analysis_run")).startswith("release ")
    assert_absent(redis_db, PASSPHRASE)
    # Locked, then unlocked again by a job on the queue: the key comes back to the store.
    with queued_app.app_context():
        get_unlock_store().drop(run.release_id)
    page = check_page(client.get(f"/staff/surveys/{SLUG}/review/unlock"))
    unlocked = client.post(
        f"/staff/surveys/{SLUG}/review/unlock",
        data={"csrf_token": form_token(page), "release": run.release_id, "passphrase": PASSPHRASE},
    )
    assert unlocked.headers["Location"] == f"/staff/surveys/{SLUG}/themes"
    with queued_app.app_context():
        left = get_unlock_store().expires_in(run.release_id)
    assert left is not None and 7 * 3600 < left <= 8 * 3600
    assert_absent(redis_db, PASSPHRASE)
    # The worker process itself only ever held the sealed passphrase: its horse opened it.
    assert worker.poll() is None
    memory = process_memory(worker.pid)
    assert len(memory) > 1_000_000
    assert b"candour-keyholder-" in memory  # positive control: its own queue's name
    assert PASSPHRASE.encode() not in memory, "the worker process holds the passphrase"


def test_a_wrong_passphrase_comes_back_from_the_worker_and_is_refused(
    queued_app: Flask, workers: Workers, redis_db: redis.Redis
) -> None:
    closed_survey(queued_app, count=12)
    client, _staff = signed_in(queued_app, "admin")
    worker = workers.start(redis_db)
    status, _url, errors = post_analyse(client, WRONG)
    assert status == 400
    assert errors == ["That passphrase does not open any key slot of this survey"]
    assert [e.detail for e in events(queued_app, "analysis_run")] == ["refused: wrong passphrase"]
    with queued_app.app_context():
        info = surveys.get_survey(get_db(), SLUG)
        assert analysis.release_count(get_db(), info.id) == 0
    assert_absent(redis_db, WRONG)
    # A worker told to stop withdraws at once: no page picks it any more.
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 0
    assert job_queue.live_workers(redis_db) == []


@pytest.mark.slow
def test_a_worker_killed_mid_job_leaves_the_run_failed_and_it_can_be_run_again(
    queued_app: Flask, workers: Workers, redis_db: redis.Redis
) -> None:
    closed_survey(queued_app, count=SLOW)
    client, _staff = signed_in(queued_app, "admin")
    worker = workers.start(redis_db)
    status, run_url, _errors = post_analyse(client, PASSPHRASE)
    assert status == 303
    # The worker and its work horse die at once (as with SIGKILL from the out-of-memory killer
    # or a machine that stops); the job process dies with the horse.
    (horse,) = children(worker.pid)
    job_processes = children(horse)
    assert len(job_processes) == 1
    os.kill(worker.pid, signal.SIGKILL)
    os.kill(horse, signal.SIGKILL)
    worker.wait()
    assert run_of(queued_app, run_url).status == "running", "the job ended before it was killed"
    deadline = time.monotonic() + 30
    while alive(job_processes[0]):
        assert time.monotonic() < deadline, "the job process outlived its worker"
        time.sleep(0.1)
    assert wait_for_run(client, run_url) == "The analysis did not finish"
    page = check_page(client.get(run_url))
    assert page.one("#run-progress").text.startswith("The job stopped unexpectedly")
    assert page.one("main a.cd-link")["href"] == f"/staff/surveys/{SLUG}/analyse"
    assert run_of(queued_app, run_url).status == "failed"
    # Trying again (the passphrase is asked for again: it was never kept) works.
    workers.start(redis_db)
    status, again_url, _errors = post_analyse(client, PASSPHRASE)
    assert status == 303 and again_url != run_url
    assert wait_for_run(client, again_url) == "The release is ready"
    assert run_of(queued_app, run_url).status == "failed"
    assert_absent(redis_db, PASSPHRASE)


@pytest.mark.slow
def test_a_job_process_killed_mid_job_is_failed_at_once_and_its_worker_goes_on(
    queued_app: Flask, workers: Workers, redis_db: redis.Redis
) -> None:
    """The out-of-memory killer picks the biggest process: the job's, not the worker's."""
    closed_survey(queued_app, count=SLOW)
    client, _staff = signed_in(queued_app, "admin")
    worker = workers.start(redis_db)
    status, run_url, _errors = post_analyse(client, PASSPHRASE)
    assert status == 303
    (horse,) = children(worker.pid)
    (job_process,) = children(horse)
    os.kill(job_process, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while run_of(queued_app, run_url).status == "running":  # marked by the horse, at once
        assert time.monotonic() < deadline, "the run was not marked failed"
        time.sleep(0.1)
    assert run_of(queued_app, run_url).message.startswith("The job stopped unexpectedly")
    status, again_url, _errors = post_analyse(client, PASSPHRASE)
    assert status == 303
    assert wait_for_run(client, again_url) == "The release is ready"
    assert worker.poll() is None


def test_a_new_worker_marks_runs_left_behind_by_a_crash_as_failed(
    queued_app: Flask, workers: Workers, redis_db: redis.Redis
) -> None:
    closed_survey(queued_app, count=0)
    with queued_app.app_context():
        info = surveys.get_survey(get_db(), SLUG)
        left = analysis.start_run(get_db(), info.id, "admin@example.org")
        analysis.update_run(get_db(), left, started_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
        running = analysis.start_run(get_db(), info.id, "admin@example.org")
    redis_db.set(job_queue.ALIVE_KEY + running, "1", ex=60)  # a job another worker runs
    workers.start(redis_db)
    assert run_of(queued_app, f"/{left}").status == "failed"
    assert run_of(queued_app, f"/{running}").status == "running"


def test_without_a_worker_the_page_says_so_at_once(
    queued_app: Flask, redis_db: redis.Redis
) -> None:
    closed_survey(queued_app, count=12)
    client, _staff = signed_in(queued_app, "admin")
    status, _url, errors = post_analyse(client, PASSPHRASE)
    assert (status, errors) == (409, [job_queue.NO_WORKER])
    assert redis_db.dbsize() == 0  # nothing was queued


def test_a_job_no_worker_takes_in_time_is_cancelled(
    queued_app: Flask, redis_db: redis.Redis
) -> None:
    """A worker that announced itself but has frozen: the page gives up, and the job is
    withdrawn so that it can never run later behind the key holder's back."""
    closed_survey(queued_app, count=12)
    client, _staff = signed_in(queued_app, "admin")
    pair = generate_survey_keypair()
    redis_db.hset(job_queue.WORKER_KEY + "frozen", "public", pair.public.hex())
    redis_db.sadd(job_queue.WORKERS_KEY, "frozen")
    queued_app.config["SURVEY_JOB_START_SECONDS"] = 1
    status, _url, errors = post_analyse(client, PASSPHRASE)
    assert (status, errors) == (409, [job_queue.BUSY])
    assert redis_db.llen("rq:queue:" + job_queue.QUEUE_PREFIX + "frozen") == 0
    claims = list(redis_db.scan_iter(match=job_queue.CLAIM_KEY + "*"))
    assert len(claims) == 1 and redis_db.get(claims[0]) == job_queue.CANCELLED.encode()
    assert_absent(redis_db, PASSPHRASE)


def test_a_sealed_passphrase_opens_only_for_its_worker_and_its_job() -> None:
    pair, other = generate_survey_keypair(), generate_survey_keypair()
    params = {"slug": SLUG, "actor": "a@example.org"}
    sealed = job_queue.seal_passphrase(pair.public, "job1", "analyse", params, PASSPHRASE)
    assert PASSPHRASE.encode() not in sealed
    assert job_queue.open_passphrase(pair.private, "job1", "analyse", params, sealed) == PASSPHRASE
    assert job_queue.open_passphrase(other.private, "job1", "analyse", params, sealed) is None
    assert job_queue.open_passphrase(pair.private, "job2", "analyse", params, sealed) is None
    assert job_queue.open_passphrase(pair.private, "job1", "unlock", params, sealed) is None
    changed = {**params, "slug": "another"}
    assert job_queue.open_passphrase(pair.private, "job1", "analyse", changed, sealed) is None
    # Padded: a short and a long passphrase seal to the same length.
    short = job_queue.seal_passphrase(pair.public, "job1", "analyse", params, "x" * 8)
    assert len(short) == len(sealed)


def test_without_redis_jobs_run_in_a_child_of_the_web_process(
    tmp_path: Path, database_url: str
) -> None:
    assert configuration.TestConfig({}).SURVEY_JOBS == "process"
    config = make_config(
        tmp_path, database_url, SURVEY_QUESTIONNAIRE_DIR=str(FIXTURE_QUESTIONNAIRES)
    )
    app = create_app(config)
    try:
        with app.app_context():
            assert job_settings().queue_url is None
        closed_survey(app, count=12)
        client, _staff = signed_in(app, "admin")
        status, run_url, _errors = post_analyse(client, PASSPHRASE)
        assert status == 303
        assert wait_for_run(client, run_url) == "The release is ready"
        with app.app_context():  # nothing to notice without a queue
            jobs.notice_stopped(job_settings(), get_db(), "no such run")
    finally:
        with app.app_context():
            get_db().dispose()


class SlowStore(MemoryUnlockStore):
    """An unlock store that takes its time to keep a key (a busy Redis, a loaded machine)."""

    def put(self, name: str, key: bytes, seconds: int) -> None:
        time.sleep(1.5)
        super().put(name, key, seconds)


@pytest.mark.slow
def test_a_run_shows_as_done_only_once_its_review_key_is_kept(
    tmp_path: Path, database_url: str
) -> None:
    """The page says "ready" when the run is done; the review it links to must open then."""
    config = make_config(
        tmp_path, database_url, SURVEY_QUESTIONNAIRE_DIR=str(FIXTURE_QUESTIONNAIRES)
    )
    app = create_app(config)
    try:
        closed_survey(app, count=12)
        store = SlowStore()
        with app.app_context():
            first = jobs.run_job(
                "analyse",
                job_settings(),
                {"slug": SLUG, "actor": ""},
                PASSPHRASE,
                keys=jobs.KeyKeeper(store, 600),
            )
            deadline = time.monotonic() + 120
            while (run := analysis.get_run(get_db(), str(first["run"]))) is not None:
                if run.status != "running":
                    break
                assert time.monotonic() < deadline, "the analysis did not finish"
                time.sleep(0.05)
        assert run is not None and run.status == "done" and run.release_id is not None
        assert store.get(run.release_id) is not None
    finally:
        with app.app_context():
            get_db().dispose()


def test_the_queue_needs_redis() -> None:
    with pytest.raises(configuration.ConfigError, match="SURVEY_JOBS=queue needs REDIS_URL"):
        configuration.TestConfig({"SURVEY_JOBS": "queue"})
    assert (
        configuration.TestConfig({"SURVEY_JOBS": "queue", "REDIS_URL": REDIS}).SURVEY_JOBS
        == "queue"
    )
    with pytest.raises(ServiceError):
        jobs.answered({"event": "failed", "message": "x"})


def test_the_worker_command_needs_redis(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SURVEY_", "FLASK_"))},
        "FLASK_APP": "survey_app.wsgi:build()",
        "SURVEY_ENV": "test",
        "SURVEY_INSTANCE_DIR": str(tmp_path / "instance"),
    }
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    flask = Path(sys.executable).parent / "flask"
    done = subprocess.run(
        [str(flask), "jobs", "worker", "--burst"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert (
        done.stderr.strip() == "Error: A job worker needs REDIS_URL: the queue it takes jobs from."
    )


def test_the_page_waits_as_long_as_it_says_for_a_workers_answer(redis_lock: redis.Redis) -> None:
    """redis-py's reads give up after 5 s by default: a page waiting 25 s for a worker failed
    after 5 while the job went on. The waiting client outlasts the wait it asks for."""
    seconds = 6
    waiting = job_queue.connect_waiting(REDIS, seconds)
    started = time.monotonic()
    assert waiting.blpop(["candour-test-no-answer"], timeout=seconds) is None
    assert time.monotonic() - started >= seconds - 0.5
