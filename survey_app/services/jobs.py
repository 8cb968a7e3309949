"""Key holder jobs in short-lived processes: the web worker hands over a passphrase and
never sees the private key or a response.

Unlocking a review, analysing and publishing each run in ``python -m survey_app.jobs``, a
process that exits when its job ends. Where that process is started depends on
``SURVEY_JOBS``: with ``queue`` (production, with Redis) a job worker (``flask jobs worker``)
starts it, after the passphrase has reached that worker sealed to its own key
(``services.job_queue``); with ``process`` (``make run``, without Redis) this web process
starts it, as described below. Either way the job code is the same.

The process that starts it writes the job (its settings and parameters) and the passphrase
to the child's standard input — never its command line or environment, which other users of
the machine can read — and reads one line back: the job has started (the passphrase opened a
key slot), or it was refused. The child does the work, writes progress to the
``analysis_runs`` table and exits, taking the passphrase, the private key and every opened
response with it.

The only secret a job sends back is a review workspace key (after an analysis, so the key
holder can review at once, or after unlocking): the process that started it keeps it in the
unlock store (``services.unlocking``), in memory or Redis, for the configured time.
"""

from __future__ import annotations

import json
import logging
import os
import selectors
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any

from survey_app.services.errors import KeySlotError, ServiceError
from survey_app.services.unlocking import UnlockStore
from survey_app.storage.database import Database

log = logging.getLogger(__name__)

#: How long to wait for a job to say whether the passphrase opened a key slot.
START_TIMEOUT = 120.0

#: What a job is sent once the process that started it has acted on a key message.
ACKNOWLEDGED = b"kept\n"

COULD_NOT_START = "The job could not be started. Try again; if it fails again, tell an operator."
STOPPED = "The job stopped unexpectedly. Try again; if it fails again, tell an operator."


@dataclass(frozen=True)
class KeyKeeper:
    """Where a job's workspace keys go: the unlock store, for ``seconds``."""

    store: UnlockStore
    seconds: int

    def take(self, message: Mapping[str, Any]) -> None:
        """Act on a job's ``key`` (keep it) or ``forget`` (drop it) message."""
        try:
            release = str(message["release"])
            if message.get("event") == "forget":
                self.store.drop(release)
            else:
                self.store.put(release, bytes.fromhex(str(message["key"])), self.seconds)
        except (KeyError, ValueError):
            log.error("a job sent a malformed key message")


@dataclass(frozen=True)
class JobSettings:
    """What a job process needs from the configuration (sent over its standard input)."""

    database_url: str
    data_keys: str
    questionnaire_dir: str
    theme_engine: str
    redaction_file: str | None
    embedding_runtime: str = "auto"
    # Where jobs run: None for a child of this process, or the Redis of the job queue. The
    # rest is for the queue only (never sent to a job process: see ``for_process``).
    queue_url: str | None = None
    start_seconds: int = 25
    heartbeat_seconds: int = 30
    unlock_seconds: int = 8 * 3600

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> JobSettings:
        queued = config.get("SURVEY_JOBS") == "queue" and config.get("REDIS_URL")
        return cls(
            database_url=str(config["SURVEY_DATABASE_URL"]),
            data_keys=str(config["SURVEY_DATA_KEYS"]),
            questionnaire_dir=str(config["SURVEY_QUESTIONNAIRE_DIR"]),
            theme_engine=str(config.get("SURVEY_THEME_ENGINE", "auto")),
            redaction_file=config.get("SURVEY_REDACTION_FILE") or None,
            embedding_runtime=str(config.get("SURVEY_EMBEDDING_RUNTIME", "auto")),
            queue_url=str(config["REDIS_URL"]) if queued else None,
            start_seconds=int(config.get("SURVEY_JOB_START_SECONDS", 25)),
            heartbeat_seconds=int(config.get("SURVEY_JOB_HEARTBEAT_SECONDS", 30)),
            unlock_seconds=int(config.get("SURVEY_REVIEW_UNLOCK_HOURS", 8)) * 3600,
        )

    def for_process(self) -> dict[str, Any]:
        """What a job process is told (over its standard input)."""
        return {
            "database_url": self.database_url,
            "data_keys": self.data_keys,
            "questionnaire_dir": self.questionnaire_dir,
            "theme_engine": self.theme_engine,
            "redaction_file": self.redaction_file,
            "embedding_runtime": self.embedding_runtime,
        }


def run_job(
    kind: str,
    settings: JobSettings,
    params: Mapping[str, str],
    passphrase: str,
    *,
    keys: KeyKeeper | None = None,
) -> dict[str, Any]:
    """Start a job and wait until it has unlocked the survey key.

    Returns the job's first message (``{"event": "started", ...}`` or, for ``unlock``, the
    key message once the unlock store holds the key). Raises ``KeySlotError`` for a wrong
    passphrase and ``ServiceError`` when the job refuses or fails to start.

    With a job queue (``settings.queue_url``) a job worker runs the job and keeps any workspace
    key in the (Redis) unlock store itself. Otherwise the job is a child of this process, and
    a background thread reads the rest of its messages, gives ``keys`` any workspace key to
    keep (or a published release's key to forget) and reaps the process when it exits.
    """
    if settings.queue_url:
        from survey_app.services import job_queue

        return answered(job_queue.submit(kind, settings, params, passphrase))
    try:
        process = start_process(kind, settings, params, passphrase)
    except OSError:
        log.error("a %s job could not be started", kind)
        raise ServiceError(COULD_NOT_START) from None
    assert process.stdout is not None
    first = _first_message(process, process.stdout)
    if first.get("event") == "key" and keys is not None:
        keys.take(first)
        acknowledge(process)
    if first.get("event") in ("refused", "failed", None):
        _finish(process, process.stdout, keys)
        answered(first)
    threading.Thread(
        target=_finish, args=(process, process.stdout, keys), name=f"job-{kind}", daemon=True
    ).start()
    return first


def answered(first: dict[str, Any]) -> dict[str, Any]:
    """A job's first message, or the error it stands for."""
    event = first.get("event")
    if event == "refused":
        raise KeySlotError(str(first.get("message", "")))
    if event in ("failed", None):
        raise ServiceError(str(first.get("message") or COULD_NOT_START))
    return first


def start_process(
    kind: str,
    settings: JobSettings,
    params: Mapping[str, str],
    passphrase: str,
    *,
    die_with_parent: bool = False,
) -> subprocess.Popen[bytes]:
    """Start ``python -m survey_app.jobs`` and hand it the job and the passphrase on its
    standard input; its messages come back on its standard output. The input stays open for
    ``acknowledge`` until the job's messages have all been read (``close_input``).

    ``die_with_parent`` asks the job to end if the process that started it dies (a job worker
    that crashed cannot report what the job says any more). Raises ``OSError``.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "survey_app.jobs"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert process.stdin is not None
    header = {
        "kind": kind,
        "settings": settings.for_process(),
        "params": dict(params),
        "parent": os.getpid() if die_with_parent else None,
    }
    try:
        process.stdin.write(
            json.dumps(header).encode("utf-8") + b"\n" + passphrase.encode("utf-8") + b"\n"
        )
        process.stdin.flush()
    except OSError:
        process.kill()
        process.wait()
        raise
    return process


def acknowledge(process: subprocess.Popen[bytes]) -> None:
    """Tell a job that its ``key`` or ``forget`` message has been acted on. The job waits for
    this before it marks its run finished, so a page that shows the run as done never finds
    the review still locked."""
    try:
        assert process.stdin is not None
        process.stdin.write(ACKNOWLEDGED)
        process.stdin.flush()
    except (OSError, ValueError):  # it has exited, or its input is closed: nothing waits
        pass


def close_input(process: subprocess.Popen[bytes]) -> None:
    try:
        if process.stdin is not None:
            process.stdin.close()
    except OSError:
        pass


def notice_stopped(settings: JobSettings, db: Database, run_id: str) -> None:
    """Mark a run failed if the job worker running it has stopped (a crash, a restart): a
    queued job's process says it is alive in Redis while it runs. Nothing to do without a
    queue, where the job is a child of the web process."""
    if not settings.queue_url:
        return
    import redis

    from survey_app.services import job_queue

    try:
        job_queue.mark_stopped_runs(settings, db, run_id)
    except redis.RedisError as error:  # the page still shows what the database says
        log.error("could not ask the job queue about a run: %s", type(error).__name__)


def _first_message(process: subprocess.Popen[bytes], stdout: IO[bytes]) -> dict[str, Any]:
    with selectors.DefaultSelector() as selector:
        selector.register(stdout, selectors.EVENT_READ)
        if not selector.select(START_TIMEOUT):
            process.kill()
            return {"event": "failed", "message": COULD_NOT_START}
    return parse(stdout.readline())


def parse(line: bytes) -> dict[str, Any]:
    if not line:
        return {"event": None}
    try:
        message = json.loads(line)
    except ValueError:
        return {"event": None}
    return message if isinstance(message, dict) else {"event": None}


def _finish(process: subprocess.Popen[bytes], stdout: IO[bytes], keys: KeyKeeper | None) -> None:
    """Read the job's remaining messages (keeping or forgetting keys), then reap it."""
    try:
        for line in stdout:
            message = parse(line)
            if message.get("event") in ("key", "forget") and keys is not None:
                keys.take(message)
                acknowledge(process)
    finally:
        close_input(process)
        stdout.close()
        process.wait()
