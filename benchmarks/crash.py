"""Crash benchmark: kill gunicorn (master and workers, SIGKILL) mid-load, again and again, then
check that every acknowledged response is stored, opens, and is stored once.

Run on demand, never as part of the test suite::

    .venv/bin/python benchmarks/crash.py                         # SQLite, 6 kills
    .venv/bin/python benchmarks/crash.py --database postgres     # a throwaway database
    .venv/bin/python benchmarks/crash.py --rounds 10 --concurrency 16

What it does:

1. Builds a throwaway instance as ``benchmarks/submit.py`` does (the same code: a fresh SQLite
   file or PostgreSQL database, ``flask db upgrade``, ``flask demo setup``, gunicorn with the
   project's settings) and drives complete responses to the open demo survey from
   ``--concurrency`` clients. Each respondent types a marker of its own (``crash-`` and 16
   random hex digits) as the first free-text answer; a response is *acknowledged* when the
   final POST answers 303 to the confirmation page, and its marker is then noted.
2. Each round lets the load run for a random 1.5-4 s, then sends SIGKILL to gunicorn's
   master and every worker at once (whatever they are doing: reading a request, sealing,
   committing), waits until they are gone, starts gunicorn again on the same port and waits
   for ``/healthz``. The clients keep sending throughout; requests that fail while the server
   is down are counted as errors, and those respondents start again with a new marker.
3. After the last round a short stretch of load shows the server working again; then
   gunicorn is stopped and the database is read through the application's own code: the
   survey key is unlocked with the demo key holder's passphrase (``survey_app.demo``) and
   every stored response of the survey is opened (``services.export.open_responses``, as
   ``flask responses export`` does).

It prints a table per round and a summary, and exits with status 1 if any acknowledged marker
is missing from the opened responses, any marker is stored twice, or any stored response
fails to open (2 if the instance or the server did not start). Responses stored but never
acknowledged (the server died after the commit, before its answer arrived) are expected and
only counted. The instance is always removed at the end (the PostgreSQL database dropped).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import os
import platform
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Run as a script, this folder is on the path: submit.py's client and instance are imported.
import submit
from sqlalchemy.exc import SQLAlchemyError

# This folder's analysis.py would hide the analysis package that survey_app.demo needs: the
# repository goes first, and the application's modules are imported where they are used.
sys.path.insert(0, str(submit.ROOT))

QUESTIONNAIRE = "reflective-space-feedback"
SLUG = f"demo-{QUESTIONNAIRE}"
MARKER_PREFIX = "crash-"
# Load before each kill: long enough for many responses, random so that the kill lands on
# every step of a request in turn.
LOAD_SECONDS = (1.5, 4.0)
FINAL_LOAD_SECONDS = 3.0
# A client whose request failed (the server is down) waits this long before the next.
PAUSE_AFTER_ERROR = 0.05
# Gunicorn's workers must be gone this soon after SIGKILL.
EXIT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Round:
    number: int
    load_seconds: float
    acknowledged: int
    errors: int
    killed: int  # processes killed: the master and its workers
    restart_seconds: float | None  # until /healthz answered again (None: the last stretch)


@dataclass(frozen=True)
class Opened:
    stored: int
    markers: Counter[str]
    unopenable: int
    unmarked: int


def load(
    port: int, concurrency: int, stop: threading.Event
) -> tuple[threading.Thread, list[submit.Phase]]:
    """Start ``concurrency`` clients answering the demo survey, each response with a fresh
    marker, until ``stop`` is set; the thread and (once it ends) its phase."""
    from survey_app.domain.loading import load_questionnaire

    questionnaire = load_questionnaire(submit.ROOT / "questionnaires" / f"{QUESTIONNAIRE}.yaml")

    def journey(
        stats: submit.Stats, rng: random.Random, connection: http.client.HTTPConnection
    ) -> None:
        marker = MARKER_PREFIX + secrets.token_hex(8)
        submit.respond(connection, SLUG, questionnaire, stats, rng, marker=marker)

    result: list[submit.Phase] = []

    def run() -> None:
        result.append(
            submit.run_phase(
                "crash",
                journey,
                port=port,
                concurrency=concurrency,
                count=10**9,
                seconds=10**6,
                stop=stop,
                max_errors=None,
                pause_after_error=PAUSE_AFTER_ERROR,
            )
        )

    thread = threading.Thread(target=run, name="load")
    thread.start()
    return thread, result


def kill(process: subprocess.Popen[bytes]) -> int:
    """SIGKILL gunicorn's master and all its workers at once; wait until all are gone.
    The number of processes killed."""
    victims = [process.pid, *submit.worker_pids(process.pid)]
    for pid in victims:
        with contextlib.suppress(ProcessLookupError):  # a worker that has just retired
            os.kill(pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + EXIT_TIMEOUT
    while any(_running(pid) for pid in victims[1:]):
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn workers still running after SIGKILL: {victims[1:]}")
        time.sleep(0.02)
    return len(victims)


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not exited (a zombie has)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def open_stored(url: str) -> Opened:
    """Every stored response of the demo survey, opened with the key holder's passphrase by
    the application's own code (``flask responses export`` does the same); the markers found
    in them."""
    from survey_app.crypto import CryptoError
    from survey_app.demo import DEMO_PASSPHRASE
    from survey_app.domain.loading import load_questionnaire
    from survey_app.domain.model import QuestionType
    from survey_app.services.export import open_responses
    from survey_app.storage.database import Database

    questionnaire = load_questionnaire(submit.ROOT / "questionnaires" / f"{QUESTIONNAIRE}.yaml")
    free_text = [
        question.id
        for section in questionnaire.sections
        for question in section.questions
        if question.type is QuestionType.FREE_TEXT
    ]
    db = Database(url)
    try:
        opened = open_responses(db, SLUG, DEMO_PASSPHRASE)
    except CryptoError:  # a stored response that does not open fails the whole check
        return Opened(submit.stored_responses(url, SLUG), Counter(), unopenable=1, unmarked=0)
    finally:
        db.dispose()
    markers: Counter[str] = Counter()
    unmarked = 0
    for response in opened:
        found = [
            response.answers[question]
            for question in free_text
            if str(response.answers.get(question, "")).startswith(MARKER_PREFIX)
        ]
        if found:
            markers[found[0]] += 1
        else:
            unmarked += 1
    return Opened(len(opened), markers, 0, unmarked)


def report(
    args: argparse.Namespace,
    rounds: list[Round],
    phases: list[submit.Phase],
    opened: Opened,
) -> bool:
    """Print the tables; True if nothing acknowledged was lost, duplicated or unreadable."""
    acknowledged = [marker for phase in phases for marker in phase.stats.markers]
    errors: Counter[str] = Counter()
    for phase in phases:
        errors.update(phase.stats.errors)
    lost = [marker for marker in acknowledged if opened.markers[marker] == 0]
    duplicated = {marker: n for marker, n in opened.markers.items() if n > 1}
    unacknowledged = set(opened.markers) - set(acknowledged)

    print()
    print(
        f"Candour crash benchmark, {dt.date.today().isoformat()}: {QUESTIONNAIRE} (open "
        f"access), gunicorn {args.workers} workers x {args.threads} threads, "
        f"{submit.DATABASE_NAMES[args.database]}, {args.concurrency} clients, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print()
    header = (
        f"{'round':>5}{'load s':>8}{'acknowledged':>14}{'failed requests':>17}"
        f"{'killed':>8}{'back in s':>11}"
    )
    print(header)
    print("-" * len(header))
    for item in rounds:
        back = f"{item.restart_seconds:.1f}" if item.restart_seconds is not None else "-"
        killed = str(item.killed) if item.killed else "-"
        print(
            f"{item.number:>5}{item.load_seconds:>8.1f}{item.acknowledged:>14}"
            f"{item.errors:>17}{killed:>8}{back:>11}"
        )
    print()
    print(f"kills (SIGKILL to master and workers): {sum(1 for r in rounds if r.killed)}")
    print(f"failed requests by kind (expected while the server is down): {sum(errors.values())}")
    for kind, count in errors.most_common(8):
        print(f"  {count:>6}  {kind}")
    print()
    rows = (
        ("acknowledged responses", len(acknowledged)),
        ("stored responses", opened.stored),
        ("  opened with the key holder's passphrase", opened.stored - opened.unopenable),
        ("  not openable (any one fails the check)", opened.unopenable),
        ("  without a marker", opened.unmarked),
        ("  stored, never acknowledged", len(unacknowledged)),
        ("acknowledged but not stored (lost)", len(lost)),
        ("markers stored more than once", len(duplicated)),
    )
    for label, value in rows:
        print(f"{label:<44}{value:>8}")
    passed = not lost and not duplicated and not opened.unopenable and not opened.unmarked
    print(f"result: {'PASS' if passed else 'FAIL'}")
    for marker in lost[:10]:
        print(f"  lost: {marker}")
    for marker, count in list(duplicated.items())[:10]:
        print(f"  stored {count} times: {marker}")
    return passed


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=6, help="kills (at least 1)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument("--seed", type=int, default=None, help="for the times of the kills")
    submit.add_server_options(parser)
    args = parser.parse_args(argv)
    submit.check_server_options(parser, args)
    if args.rounds < 1 or args.concurrency < 1:
        parser.error("--rounds and --concurrency must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, submit.interrupt)
    seed = args.seed if args.seed is not None else secrets.randbits(32)
    try:
        with submit.instance(args.database, args.postgres_url) as built:
            print(
                f"setting up {built.folder} on {submit.DATABASE_NAMES[args.database]} "
                f"(seed {seed}) ...",
                flush=True,
            )
            submit.set_up_instance(built.env)
            rounds, phases = crash_rounds(args, built, random.Random(seed))
            opened = open_stored(built.url)
            passed = report(args, rounds, phases, opened)
    except (RuntimeError, SQLAlchemyError) as error:
        print(f"benchmark not run: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0 if passed else 1


def crash_rounds(
    args: argparse.Namespace, built: submit.Instance, timing: random.Random
) -> tuple[list[Round], list[submit.Phase]]:
    """Serve, load, kill and restart ``args.rounds`` times, then load once more and stop
    gunicorn gracefully."""
    port = submit.free_port()
    log = built.folder / "gunicorn.log"
    stop = threading.Event()
    thread: threading.Thread | None = None
    rounds: list[Round] = []
    phases: list[submit.Phase] = []
    process = submit.start_gunicorn(built.env, port, args.workers, args.threads, log)
    try:
        for number in range(1, args.rounds + 2):
            last = number > args.rounds
            stop.clear()
            thread, result = load(port, args.concurrency, stop)
            seconds = FINAL_LOAD_SECONDS if last else timing.uniform(*LOAD_SECONDS)
            time.sleep(seconds)
            killed, back = 0, None
            if not last:
                killed = kill(process)
                started = time.monotonic()
                process = submit.start_gunicorn(built.env, port, args.workers, args.threads, log)
                back = time.monotonic() - started
            stop.set()
            thread.join()
            phases.extend(result)
            acknowledged = sum(phase.stats.acknowledged for phase in result)
            failed = sum(phase.error_count for phase in result)
            rounds.append(Round(number, seconds, acknowledged, failed, killed, back))
            print(
                f"round {number}: {acknowledged} acknowledged, {failed} failed requests"
                + (f", killed {killed} processes, back in {back:.1f} s" if back else ""),
                flush=True,
            )
    finally:
        stop.set()
        if thread is not None:
            thread.join()
        submit.stop_gunicorn(process)
    return rounds, phases


if __name__ == "__main__":
    sys.exit(main())
