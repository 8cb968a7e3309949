"""The job process: ``python -m survey_app.jobs``, started by ``services.jobs.start_process``
(in a web server process, or in a job worker: ``services.job_queue``).

It reads one JSON line (the job: ``kind``, ``settings``, ``params`` and ``parent``) and one
line holding the passphrase from standard input, unlocks the survey key, writes one JSON line
saying whether it did, does the job and exits. Nothing about the job is ever written to its
command line or environment, and it logs only the kind of any failure, never a message that
might quote a comment. When ``parent`` names a process (a job worker's), the job ends as soon
as that process dies: nobody would be left to say that the job is alive, and it would be
shown as stopped while it went on. Kinds:

- ``unlock``: open a draft release's review workspace key and send it back;
- ``analyse``: an analysis run (progress in ``analysis_runs``), then the new review's key;
- ``publish``: publish a draft release (progress in ``analysis_runs``).
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import selectors
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from survey_app.crypto import Keyring
from survey_app.domain.model import Questionnaire
from survey_app.services import audit
from survey_app.services.errors import KeySlotError, NotFoundError, ServiceError
from survey_app.services.jobs import STOPPED
from survey_app.storage.database import Database

log = logging.getLogger("survey_app.jobs")

#: How long a job waits to hear that its key message was acted on before it carries on.
ACKNOWLEDGEMENT_TIMEOUT = 30.0

Emit = Callable[[dict[str, Any]], None]


@dataclass
class Environment:
    """What a job works with, built from the settings the web worker sent."""

    db: Database
    keyring: Keyring
    settings: Mapping[str, Any]

    def questionnaire(self, questionnaire_id: str, version: str) -> Questionnaire:
        from survey_app.domain.loading import load_directory

        found = load_directory(Path(self.settings["questionnaire_dir"])).version(
            questionnaire_id, version
        )
        if found is None:
            raise ServiceError("The survey's questionnaire version is no longer loaded")
        return found

    def theme_options(self) -> Any:
        from survey_app.services.themes import theme_options

        return theme_options(
            {
                "SURVEY_THEME_ENGINE": self.settings.get("theme_engine", "auto"),
                "SURVEY_REDACTION_FILE": self.settings.get("redaction_file"),
                "SURVEY_EMBEDDING_RUNTIME": self.settings.get("embedding_runtime", "auto"),
            }
        )


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    stdin = sys.stdin.buffer
    try:
        job = json.loads(stdin.readline())
        passphrase = stdin.readline().rstrip(b"\n").decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        _emit({"event": "failed", "message": "The job was not understood"})
        return 2
    if job.get("parent") and not _die_with(int(job["parent"])):
        return 1
    settings = job["settings"]
    env = Environment(
        Database(settings["database_url"]), Keyring.parse(settings["data_keys"]), settings
    )
    handler = HANDLERS.get(str(job.get("kind")))
    try:
        if handler is None:
            _emit({"event": "failed", "message": "There is no such job"})
            return 2
        handler(env, {str(k): str(v) for k, v in job.get("params", {}).items()}, passphrase, _emit)
    except KeySlotError as error:
        _emit({"event": "refused", "message": str(error)})
        return 1
    except ServiceError as error:
        _emit({"event": "failed", "message": str(error)})
        return 1
    finally:
        env.db.dispose()
    return 0


def _die_with(parent: int) -> bool:
    """Ask Linux to kill this process when the process that started it dies; False when it
    has died already. Elsewhere (no ``prctl``) the job simply carries on."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return True
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    return os.getppid() == parent  # it may have died before the request


def _emit(message: dict[str, Any]) -> None:
    """Send ``message``; after a ``key`` or ``forget`` message, wait until the process that
    started this job says it has acted on it (or has gone), so that the run is marked finished
    only once the review it made can be opened (or the published one no longer can)."""
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()
    if message.get("event") in ("key", "forget"):
        _await_acknowledgement()


def _await_acknowledgement() -> None:
    with selectors.DefaultSelector() as selector:
        selector.register(sys.stdin.buffer, selectors.EVENT_READ)
        if selector.select(ACKNOWLEDGEMENT_TIMEOUT):
            sys.stdin.buffer.readline()  # the acknowledgement, or nothing: its parent has gone


def _survey_key(env: Environment, slug: str, passphrase: str) -> bytes:
    from survey_app.services.keys import unlock
    from survey_app.services.surveys import survey_row

    with env.db.session() as session:
        return unlock(session, survey_row(session, slug), passphrase)[0]


def unlock_review(env: Environment, params: Mapping[str, str], passphrase: str, emit: Emit) -> None:
    from survey_app.services import review

    private_key = _survey_key(env, params["slug"], passphrase)
    key = review.workspace_key(env.db, params["slug"], params["release"], private_key)
    del private_key
    emit({"event": "key", "release": params["release"], "key": key.hex()})


def analyse(env: Environment, params: Mapping[str, str], passphrase: str, emit: Emit) -> None:
    from survey_app.services import surveys

    slug, actor = params["slug"], params.get("actor") or None
    survey = surveys.get_survey(env.db, slug)
    questionnaire = env.questionnaire(survey.questionnaire_id, survey.questionnaire_version)
    private_key = _survey_key(env, slug, passphrase)
    # pandas and scikit-learn load only once the passphrase has opened the key: a wrong one is
    # refused about a second sooner.
    from survey_app.services import analysis, review

    run_id = analysis.start_run(env.db, survey.id, actor)
    emit({"event": "started", "run": run_id})

    def progress(percent: int, message: str) -> None:
        analysis.update_run(env.db, run_id, progress=percent, message=message)

    def unlocked(release_id: str, key: bytes) -> None:
        emit({"event": "key", "release": release_id, "key": key.hex()})

    try:
        release_id = review.run_analysis_keeping_review(
            env.db,
            env.keyring,
            questionnaire,
            slug,
            "",
            actor=actor,
            progress=progress,
            private_key=private_key,
            theme_options=env.theme_options(),
            unlocked=unlocked,
            keep=params.get("review") != "discard",
        )
    except ServiceError as error:
        analysis.update_run(env.db, run_id, status="failed", message=str(error)[:300])
        audit.record(env.db, actor, "analysis_run", slug, f"failed: {error}"[:200])
        return
    except Exception as error:  # the page must say so rather than spin for ever
        log.error("analysis run failed: %s", type(error).__name__)
        analysis.update_run(env.db, run_id, status="failed", message=STOPPED)
        audit.record(env.db, actor, "analysis_run", slug, "failed unexpectedly")
        return
    analysis.update_run(
        env.db, run_id, status="done", progress=100, message="Done", release_id=release_id
    )
    audit.record(env.db, actor, "analysis_run", slug, f"release {release_id}")


def publish(env: Environment, params: Mapping[str, str], passphrase: str, emit: Emit) -> None:
    from survey_app.services import surveys

    slug, release_id, actor = params["slug"], params["release"], params.get("actor") or None
    survey = surveys.get_survey(env.db, slug)
    questionnaire = env.questionnaire(survey.questionnaire_id, survey.questionnaire_version)
    private_key = _survey_key(env, slug, passphrase)
    from survey_app.services import analysis, publishing  # after the key, as in analyse

    run_id = analysis.start_run(env.db, survey.id, actor, kind="publish")
    emit({"event": "started", "run": run_id})

    def progress(percent: int, message: str) -> None:
        analysis.update_run(env.db, run_id, progress=percent, message=message)

    try:
        publishing.publish(
            env.db,
            env.keyring,
            questionnaire,
            slug,
            release_id,
            "",
            actor=actor,
            private_key=private_key,
            progress=progress,
            review=params.get("review") or None,
        )
    except (ServiceError, NotFoundError) as error:
        analysis.update_run(env.db, run_id, status="failed", message=str(error)[:300])
        return
    except Exception as error:
        log.error("publishing failed: %s", type(error).__name__)
        analysis.update_run(env.db, run_id, status="failed", message=STOPPED)
        return
    analysis.update_run(
        env.db, run_id, status="done", progress=100, message="Done", release_id=release_id
    )
    audit.record(env.db, actor, "release_published", slug, f"release {release_id}")
    emit({"event": "forget", "release": release_id})


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

HANDLERS: dict[str, Callable[[Environment, Mapping[str, str], str, Emit], None]] = {
    "unlock": unlock_review,
    "analyse": analyse,
    "publish": publish,
}


if __name__ == "__main__":
    raise SystemExit(main())
