"""Key holder jobs on a real queue: RQ workers on Redis (``SURVEY_JOBS=queue``, production).

A job needs a key holder's passphrase, and an RQ job's arguments are pickled into Redis. So the
passphrase never travels as it is. Each job worker (``flask jobs worker``, a
``KeyHolderWorker``) makes an X25519 key pair when it starts, keeps the private half in its
own memory only, and announces the public half in Redis under a key that expires unless the
worker renews it. The web worker picks a live worker (an idle one if it can), seals the
passphrase to that worker's public key (``crypto.seal``: padded, bound to the job's id, kind
and parameters, with a deadline inside) and puts the job on that worker's own queue. Only that
worker can open it, and it does so in the work horse RQ forks for each job, which exits when
the job ends; the worker process itself only ever holds the sealed bytes. The horse starts
the job as ``python -m survey_app.jobs`` (``services.jobs.start_process``: passphrase on
standard input, never in arguments or environment), exactly as a web process does without a
queue.

Redis keys (database of ``REDIS_URL``; nothing here is secret, and nothing stays long):

- ``candour:jobs:workers``: the names of the workers that have announced themselves;
- ``candour:jobs:worker:<name>``: a live worker's public key (expires without a heartbeat);
- ``candour:jobs:claim:<job>``: who took the job, or ``cancelled`` when the web page gave up
  waiting first (``SET NX``, so a job runs only if it was not cancelled, and only once);
- ``candour:jobs:answer:<job>``: the job's first message for the waiting web page: started,
  refused (wrong passphrase) or failed; a workspace key never goes here but straight to the
  unlock store;
- ``candour:jobs:alive:<run>``: renewed by the horse while the job runs. A run still marked
  running without it has lost its worker (SIGKILL, out of memory, a restart): the run's page
  marks it failed (``mark_stopped_runs``), and so does every job worker when it starts. The
  job process itself dies with its horse (``PR_SET_PDEATHSIG``), so a run shown as failed has
  really stopped and can be started again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
import logging
import os
import random
import selectors
import subprocess
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import redis
from rq import Queue, Worker, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select, update

from survey_app.crypto import OpenError, generate_survey_keypair, open_envelope, seal
from survey_app.services.errors import ServiceError
from survey_app.services.jobs import (
    COULD_NOT_START,
    START_TIMEOUT,
    STOPPED,
    JobSettings,
    KeyKeeper,
    acknowledge,
    close_input,
    parse,
    start_process,
)
from survey_app.services.unlocking import RedisUnlockStore
from survey_app.storage.database import Database
from survey_app.storage.models import AnalysisRun

log = logging.getLogger(__name__)

PREFIX = "candour:jobs:"
WORKERS_KEY = PREFIX + "workers"
WORKER_KEY = PREFIX + "worker:"
CLAIM_KEY = PREFIX + "claim:"
ANSWER_KEY = PREFIX + "answer:"
ALIVE_KEY = PREFIX + "alive:"
#: Each worker's own queue (key holder jobs: only it can open their passphrase).
QUEUE_PREFIX = "candour-keyholder-"
#: The queue every worker also takes, for jobs that carry no secret.
SHARED_QUEUE = "candour"
CANCELLED = "cancelled"
PERFORM = "survey_app.services.job_queue.perform"
DAY = 24 * 3600
#: RQ stops a job that runs longer than this (an analysis of thousands of comments takes
#: minutes, not hours).
JOB_SECONDS = 6 * 3600
#: Clocks of the web and job servers may differ by this much.
CLOCK_SKEW = 300
#: Envelope context: the sealed passphrase of one job, and no other thing.
CONTEXT = "candour/job-passphrase/"

NO_WORKER = "No job worker is running, so the job could not be started. Tell an operator."
BUSY = "Every job worker is busy. Try again in a few minutes."


# ----------------------------------------------------------------------------- web side


@functools.cache
def connect(url: str) -> redis.Redis:
    """One client (and connection pool) per Redis URL for this process."""
    return redis.Redis.from_url(url)


# A blocking wait may last this much longer than it asked for before the client gives up.
WAIT_MARGIN_SECONDS = 10


@functools.cache
def connect_waiting(url: str, seconds: int) -> redis.Redis:
    """A client for waits of up to ``seconds`` (BLPOP). redis-py's reads time out after a
    few seconds by default, and a wait longer than that failed with ``TimeoutError`` while the
    job went on without the page."""
    return redis.Redis.from_url(url, socket_timeout=seconds + WAIT_MARGIN_SECONDS)


@dataclass(frozen=True)
class LiveWorker:
    name: str
    public_key: bytes

    @property
    def queue(self) -> str:
        return QUEUE_PREFIX + self.name


def live_workers(connection: redis.Redis) -> list[LiveWorker]:
    """The job workers that have announced themselves lately (forgetting the others)."""
    found = []
    for member in connection.smembers(WORKERS_KEY):
        name = _text(member)
        public = connection.hget(WORKER_KEY + name, "public")
        if public is None:
            connection.srem(WORKERS_KEY, name)  # its announcement expired: it has gone
            continue
        try:
            found.append(LiveWorker(name, bytes.fromhex(_text(public))))
        except ValueError:
            continue
    return found


def _load(connection: redis.Redis, worker: LiveWorker) -> int:
    """How many jobs a worker has in hand: queued for it, plus one if it is busy."""
    queued = Queue(worker.queue, connection=connection).count
    state = connection.hget(Worker.redis_worker_namespace_prefix + worker.name, "state")
    return queued + (1 if state is not None and _text(state) == "busy" else 0)


def choose_worker(connection: redis.Redis) -> LiveWorker | None:
    """The live worker with least in hand (chosen at random among equals)."""
    workers = live_workers(connection)
    if not workers:
        return None
    random.shuffle(workers)
    return min(workers, key=lambda worker: _load(connection, worker))


def submit(
    kind: str, settings: JobSettings, params: Mapping[str, str], passphrase: str
) -> dict[str, Any]:
    """Queue a key holder job for a live worker and return its first message (started,
    refused or failed), waiting at most about twice ``settings.start_seconds``.

    If no worker takes the job in time it is cancelled, so it can never run later without the
    key holder knowing. Raises ``ServiceError`` when there is no worker or all are busy.
    """
    assert settings.queue_url is not None
    connection = connect(settings.queue_url)
    try:
        worker = choose_worker(connection)
        if worker is None:
            raise ServiceError(NO_WORKER)
        job_id = uuid.uuid4().hex
        envelope = seal_passphrase(worker.public_key, job_id, kind, params, passphrase)
        Queue(worker.queue, connection=connection).enqueue_call(
            PERFORM,
            kwargs={"kind": kind, "params": dict(params), "envelope": envelope.hex()},
            job_id=job_id,
            description=kind,  # not the call: RQ would write every argument into it
            timeout=JOB_SECONDS,
            result_ttl=0,
            failure_ttl=DAY,
        )
        waiting = connect_waiting(settings.queue_url, settings.start_seconds)
        answer = waiting.blpop([ANSWER_KEY + job_id], timeout=settings.start_seconds)
        if answer is None:
            if connection.set(CLAIM_KEY + job_id, CANCELLED, nx=True, ex=DAY):
                _remove_job(connection, worker, job_id)
                raise ServiceError(BUSY)
            # The worker took the job just now: checking the passphrase takes moments.
            answer = waiting.blpop([ANSWER_KEY + job_id], timeout=settings.start_seconds)
        if answer is None:
            return {"event": "failed", "message": COULD_NOT_START}
        found = answer[1]
        return parse(found if isinstance(found, bytes) else str(found).encode("utf-8"))
    except redis.RedisError as error:
        log.error("the job queue could not be reached: %s", type(error).__name__)
        raise ServiceError(COULD_NOT_START) from None


def _remove_job(connection: redis.Redis, worker: LiveWorker, job_id: str) -> None:
    """Take a cancelled job off its queue (its worker would skip it anyway)."""
    Queue(worker.queue, connection=connection).remove(job_id)
    with contextlib.suppress(NoSuchJobError):
        Job.fetch(job_id, connection=connection).delete()


def _context(job_id: str, kind: str, params: Mapping[str, str]) -> tuple[str, str]:
    """What a sealed passphrase is bound to: this job, its kind and its parameters."""
    digest = hashlib.sha256(json.dumps([kind, dict(params)], sort_keys=True).encode()).hexdigest()
    return CONTEXT + job_id, digest


def seal_passphrase(
    public_key: bytes, job_id: str, kind: str, params: Mapping[str, str], passphrase: str
) -> bytes:
    survey_id, bound = _context(job_id, kind, params)
    body = json.dumps({"passphrase": passphrase, "until": int(time.time()) + CLOCK_SKEW})
    return seal(body.encode("utf-8"), public_key, survey_id=survey_id, questionnaire_version=bound)


def open_passphrase(
    private_key: bytes, job_id: str, kind: str, params: Mapping[str, str], envelope: bytes
) -> str | None:
    """The passphrase, or None if the envelope is not this job's, not for this worker, or
    too old (a copy replayed later)."""
    survey_id, bound = _context(job_id, kind, params)
    try:
        body = json.loads(
            open_envelope(envelope, private_key, survey_id=survey_id, questionnaire_version=bound)
        )
    except (OpenError, ValueError):
        return None
    if not isinstance(body, dict) or int(body.get("until", 0)) < time.time() - CLOCK_SKEW:
        return None
    passphrase = body.get("passphrase")
    return passphrase if isinstance(passphrase, str) else None


def mark_stopped_runs(settings: JobSettings, db: Database, run_id: str | None = None) -> int:
    """Mark failed each running run (or just ``run_id``) whose job has not said it is alive
    for longer than the heartbeat allows. Returns how many were marked."""
    assert settings.queue_url is not None
    connection = connect(settings.queue_url)
    grace = dt.timedelta(seconds=2 * settings.heartbeat_seconds)
    now = dt.datetime.now(dt.UTC)
    with db.session() as session:
        query = select(AnalysisRun.id, AnalysisRun.started_at).where(
            AnalysisRun.status == "running"
        )
        if run_id is not None:
            query = query.where(AnalysisRun.id == run_id)
        running = list(session.execute(query))
    stopped = [
        found
        for found, started in running
        if _aware(started) < now - grace and not connection.exists(ALIVE_KEY + found)
    ]
    return sum(_mark_failed(db, found) for found in stopped)


def _mark_failed(db: Database, run_id: str) -> int:
    """Failed, unless the run has finished meanwhile."""
    with db.transaction() as session:
        result = session.execute(
            update(AnalysisRun)
            .where(AnalysisRun.id == run_id, AnalysisRun.status == "running")
            .values(status="failed", message=STOPPED, finished_at=dt.datetime.now(dt.UTC))
        )
    return int(getattr(result, "rowcount", 0) or 0)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


# -------------------------------------------------------------------------- worker side


@dataclass(frozen=True)
class Identity:
    """A job worker's name, its key pair (private half in memory only) and its settings."""

    name: str
    public_key: bytes
    private_key: bytes = field(repr=False)
    settings: JobSettings


#: The worker this process is (set when a ``KeyHolderWorker`` is made; its horses inherit it).
_identity: Identity | None = None


class KeyHolderWorker(Worker):
    """An RQ worker with a key pair of its own, taking its own queue and the shared one.

    ``settings`` default to the application's configuration (``config.load_config``), so
    ``rq worker -w survey_app.services.job_queue.KeyHolderWorker`` works too.
    """

    def __init__(
        self,
        queues: Iterable[str | Queue] | str | Queue = (SHARED_QUEUE,),
        *,
        settings: JobSettings | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        global _identity  # one identity per worker process
        settings = settings or _configured_settings()
        name = name or f"candour-{uuid.uuid4().hex[:12]}"
        pair = generate_survey_keypair()
        _identity = Identity(name, pair.public, pair.private, settings)
        listed = [queues] if isinstance(queues, str | Queue) else list(queues)
        names = [queue.name if isinstance(queue, Queue) else queue for queue in listed]
        # The heartbeat setting decides how often the worker renews its announcement (while
        # idle, each wait for a job lasts worker_ttl - 15 seconds), whatever `rq worker` passes.
        kwargs.pop("default_worker_ttl", None)
        kwargs["worker_ttl"] = settings.heartbeat_seconds + 15
        kwargs["job_monitoring_interval"] = max(1, settings.heartbeat_seconds // 3)
        super().__init__([QUEUE_PREFIX + name, *names], name=name, **kwargs)
        self._stopping = False

    @property
    def announcement(self) -> str:
        return WORKER_KEY + self.name

    def register_birth(self) -> None:
        super().register_birth()  # type: ignore[no-untyped-call]
        assert _identity is not None
        database = Database(_identity.settings.database_url)
        try:
            marked = mark_stopped_runs(_identity.settings, database)
        except Exception as error:  # a worker still starts with the database away
            log.error("could not look for stopped runs: %s", type(error).__name__)
        else:
            if marked:
                log.info("marked %d stopped runs as failed", marked)
        finally:
            database.dispose()  # no connection may be shared with a forked horse
        self._announce(self.connection)  # ready for jobs

    def subscribe(self) -> None:
        """RQ's listener for commands, waking every second rather than every minute: redis-py
        (8.x) waits for it to wake when the worker stops, so SIGTERM took up to a minute."""
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]
            sleep_time=1, daemon=True, exception_handler=self._pubsub_exception_handler
        )

    def heartbeat(self, timeout: int | None = None, pipeline: Any = None) -> None:
        super().heartbeat(timeout, pipeline)
        if not self.is_horse and not self._stopping:
            self._announce(self.connection if pipeline is None else pipeline)

    def request_stop(self, signum: Any, frame: Any) -> None:
        """SIGTERM: no new jobs for this worker (a running one may finish)."""
        self._stopping = True
        self._withdraw()
        super().request_stop(signum, frame)  # type: ignore[no-untyped-call]

    def register_death(self) -> None:
        self._withdraw()
        super().register_death()  # type: ignore[no-untyped-call]

    def _withdraw(self) -> None:
        self.connection.delete(self.announcement)
        self.connection.srem(WORKERS_KEY, self.name)

    def _announce(self, connection: Any) -> None:
        assert _identity is not None
        connection.hset(self.announcement, "public", _identity.public_key.hex())
        connection.expire(self.announcement, 2 * _identity.settings.heartbeat_seconds + 15)
        connection.sadd(WORKERS_KEY, self.name)


def _configured_settings() -> JobSettings:
    from config import load_config

    config = load_config()
    if not config.REDIS_URL:
        raise ServiceError("A job worker needs REDIS_URL")
    mapping = {**config.as_mapping(), "SURVEY_JOBS": "queue"}
    return JobSettings.from_config(mapping)


@dataclass
class _Relay:
    """Sends a job's messages on: the first to the waiting web page, keys to the store."""

    connection: redis.Redis
    job_id: str
    keys: KeyKeeper
    answered: bool = False
    process: subprocess.Popen[bytes] | None = None

    def keep(self, message: dict[str, Any]) -> None:
        """Act on a ``key`` or ``forget`` message, then tell the job it has been."""
        self.keys.take(message)
        if self.process is not None:
            acknowledge(self.process)

    def first(self, message: dict[str, Any]) -> None:
        if message.get("event") == "key":
            self.keep(message)
            message = {"event": "key", "release": message.get("release")}  # never the key
        key = ANSWER_KEY + self.job_id
        with self.connection.pipeline() as pipeline:
            pipeline.rpush(key, json.dumps(message))
            pipeline.expire(key, 600)
            pipeline.execute()
        self.answered = True


def perform(kind: str, params: dict[str, str], envelope: str) -> None:
    """An RQ job, run in a work horse of a ``KeyHolderWorker``: open the passphrase, run the
    job in a fresh ``survey_app.jobs`` process, pass its messages on and keep its run alive."""
    job = get_current_job()
    if _identity is None or job is None:
        raise RuntimeError("key holder jobs run in `flask jobs worker` only")
    identity, connection = _identity, job.connection
    if not connection.set(CLAIM_KEY + job.id, identity.name, nx=True, ex=DAY):
        log.info("job %s was cancelled or has run already", job.id)
        return
    settings = identity.settings
    keys = KeyKeeper(RedisUnlockStore(str(settings.queue_url)), settings.unlock_seconds)
    relay = _Relay(connection, job.id, keys)
    passphrase = open_passphrase(
        identity.private_key, job.id, kind, params, bytes.fromhex(envelope)
    )
    if passphrase is None:
        log.error("job %s: its passphrase could not be opened", job.id)
        relay.first({"event": "failed", "message": COULD_NOT_START})
        return
    try:
        process = start_process(kind, settings, params, passphrase, die_with_parent=True)
    except OSError:
        relay.first({"event": "failed", "message": COULD_NOT_START})
        return
    finally:
        del passphrase  # this horse exits when the job ends; the name need not outlive it
    relay.process = process
    _follow(process, relay, connection, settings)


def _follow(
    process: subprocess.Popen[bytes], relay: _Relay, connection: redis.Redis, settings: JobSettings
) -> None:
    """Read the job's messages until it exits, renewing its run's heartbeat in between; mark
    the run failed if the job died without finishing it."""
    assert process.stdout is not None
    run_id: str | None = None
    beat = max(1.0, settings.heartbeat_seconds / 3)
    started = time.monotonic()
    pending = b""
    fd = process.stdout.fileno()
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                if run_id is not None:
                    connection.set(ALIVE_KEY + run_id, "1", ex=settings.heartbeat_seconds)
                if not relay.answered and time.monotonic() - started > START_TIMEOUT:
                    break  # it never said whether the passphrase fitted
                if not selector.select(beat):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                *lines, pending = (pending + chunk).split(b"\n")
                for line in lines:
                    run_id = _take(parse(line), relay) or run_id
    finally:
        close_input(process)
        if process.poll() is None:
            process.kill()
        code = process.wait()
        process.stdout.close()
        if not relay.answered:
            relay.first({"event": "failed", "message": COULD_NOT_START})
        if run_id is not None:
            if code != 0:
                database = Database(settings.database_url)
                try:
                    _mark_failed(database, run_id)
                finally:
                    database.dispose()
            connection.delete(ALIVE_KEY + run_id)


def _take(message: dict[str, Any], relay: _Relay) -> str | None:
    """Act on one message from the job; the run's id once it has started."""
    if not relay.answered:
        relay.first(message)
        run = message.get("run") if message.get("event") == "started" else None
        return str(run) if run else None
    if message.get("event") in ("key", "forget"):
        relay.keep(message)
    return None
