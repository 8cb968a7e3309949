"""Key holder jobs in short-lived processes: the web worker hands over a passphrase and
never sees the private key or a response.

Unlocking a review, analysing and publishing each start ``python -m survey_app.jobs``. The
web worker writes the job (its settings and parameters) and the passphrase to the child's
standard input — never its command line or environment, which other users of the machine
can read — and reads one line back: the job has started (the passphrase opened a key slot),
or it was refused. The child does the work, writes progress to the ``analysis_runs`` table
and exits, taking the passphrase, the private key and every opened response with it.

The only secret a job sends back is a review workspace key (after an analysis, so the key
holder can review at once, or after unlocking): the web worker keeps it in the unlock store
(``services.unlocking``), in memory or Redis, for the configured time.
"""

from __future__ import annotations

import json
import logging
import selectors
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import IO, Any

from survey_app.services.errors import KeySlotError, ServiceError
from survey_app.services.unlocking import UnlockStore

log = logging.getLogger(__name__)

#: How long to wait for a job to say whether the passphrase opened a key slot.
START_TIMEOUT = 120.0

COULD_NOT_START = "The job could not be started. Try again; if it fails again, tell an operator."


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

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> JobSettings:
        return cls(
            database_url=str(config["SURVEY_DATABASE_URL"]),
            data_keys=str(config["SURVEY_DATA_KEYS"]),
            questionnaire_dir=str(config["SURVEY_QUESTIONNAIRE_DIR"]),
            theme_engine=str(config.get("SURVEY_THEME_ENGINE", "auto")),
            redaction_file=config.get("SURVEY_REDACTION_FILE") or None,
        )


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
    key message once ``keys`` holds the key). Raises ``KeySlotError`` for a wrong passphrase
    and ``ServiceError`` when the job refuses or fails to start. The rest of the job's
    messages are read by a background thread, which gives ``keys`` any workspace key to keep
    (or a published release's key to forget) and reaps the process when it exits.
    """
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "survey_app.jobs"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
    except OSError:
        log.error("a %s job could not be started", kind)
        raise ServiceError(COULD_NOT_START) from None
    assert process.stdin is not None and process.stdout is not None
    header = json.dumps({"kind": kind, "settings": asdict(settings), "params": dict(params)})
    try:
        process.stdin.write(header.encode("utf-8") + b"\n" + passphrase.encode("utf-8") + b"\n")
        process.stdin.close()
    except OSError:
        process.kill()
        process.wait()
        raise ServiceError(COULD_NOT_START) from None
    first = _first_message(process, process.stdout)
    event = first.get("event")
    if event == "key" and keys is not None:
        keys.take(first)
    if event in ("refused", "failed", None):
        _finish(process, process.stdout, keys)
        if event == "refused":
            raise KeySlotError(str(first.get("message", "")))
        raise ServiceError(str(first.get("message") or COULD_NOT_START))
    threading.Thread(
        target=_finish, args=(process, process.stdout, keys), name=f"job-{kind}", daemon=True
    ).start()
    return first


def _first_message(process: subprocess.Popen[bytes], stdout: IO[bytes]) -> dict[str, Any]:
    with selectors.DefaultSelector() as selector:
        selector.register(stdout, selectors.EVENT_READ)
        if not selector.select(START_TIMEOUT):
            process.kill()
            return {"event": "failed", "message": COULD_NOT_START}
    return _parse(stdout.readline())


def _parse(line: bytes) -> dict[str, Any]:
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
            message = _parse(line)
            if message.get("event") in ("key", "forget") and keys is not None:
                keys.take(message)
    finally:
        stdout.close()
        process.wait()
