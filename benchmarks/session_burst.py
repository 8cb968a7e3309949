"""Load benchmark: a room of respondents answers one feedback session within two minutes.

Run on demand, never as part of the test suite::

    .venv/bin/python benchmarks/session_burst.py                     # SQLite
    .venv/bin/python benchmarks/session_burst.py --database postgres # PostgreSQL on 127.0.0.1
    .venv/bin/python benchmarks/session_burst.py --respondents 300 --window 120 --concurrency 30

What it does, in one run:

1. Builds a throwaway instance (temporary folder, generated development secrets) on a fresh
   SQLite file, or on a fresh schema of the PostgreSQL database ``test`` at 127.0.0.1:5432
   (user ``postgres``, trust authentication) with ``--database postgres``. With ``flask db
   upgrade``, ``flask series create`` (questionnaire ``reflective-space-feedback``),
   ``flask sessions create`` and ``flask sessions start`` it makes one series with one open
   session; through the app's Python API it adds a staff admin with an authenticator.
2. Serves it with gunicorn (``--workers 2`` by default, the project's gunicorn settings) on a
   free port of 127.0.0.1, and signs the admin in through ``/staff/login`` and
   ``/staff/login/code``, as a facilitator would before showing the room page.
3. Starts ``--respondents`` journeys evenly spread over ``--window`` seconds, run by
   ``--concurrency`` client threads. Each respondent has an empty cookie jar and does what a
   browser does after scanning the QR code: ``GET /f/<code>``, ``POST`` it (starts a draft,
   303 to the section), the section (GET, then POST with the CSRF token and varied answers),
   "Check your answers" (GET, then POST: sends), and the confirmation page. A response is
   *acknowledged* when the sending POST answers 303 to ``/s/<series>/done``.
   Meanwhile a poller fetches ``/staff/sessions/<id>/count`` every ``--poll-interval``
   seconds, as the "show to the room" page does, and once more after the last journey.
4. Stops gunicorn, counts the session's responses in the database and compares them with the
   acknowledged ones; drops the PostgreSQL schema and removes the instance.

It prints latency percentiles per request kind and per journey, errors, acknowledged versus
stored responses, wall time and the poller's last count. The exit status is 1 if any request
failed or the two counts differ, 2 if the instance or gunicorn did not start.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import http.client
import os
import platform
import random
import re
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyotp
import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.submit import (  # noqa: E402
    CONFIRMATION,
    HOST,
    Browser,
    JourneyError,
    Stats,
    _csrf,
    _expect,
    _interrupt,
    _machine_cpu,
    _redirect,
    _server_cpu,
    flask_cli,
    free_port,
    gunicorn,
    instance_environment,
    percentile,
    section_answers,
)
from config import load_config  # noqa: E402
from survey_app import create_app  # noqa: E402
from survey_app.domain.loading import load_questionnaire  # noqa: E402
from survey_app.domain.model import Questionnaire  # noqa: E402
from survey_app.extensions import get_db, get_keyring  # noqa: E402
from survey_app.services import accounts, sessions  # noqa: E402
from survey_app.storage.database import Database  # noqa: E402

QUESTIONNAIRE = "reflective-space-feedback"
SERIES_SLUG = "bench-sessions"
PASSPHRASE = "benchmark-key-holder-passphrase"  # a throwaway instance
STAFF_EMAIL = "room@example.org"
STAFF_PASSWORD = "benchmark staff password"  # a throwaway instance
# The PostgreSQL server: this machine only, trust authentication, the database ``test``.
POSTGRES_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MAX_PAGES = 10  # the questionnaire has one section; a journey never makes more requests

# Request kinds, in the order a respondent meets them, then the poller's.
KINDS = (
    "start page GET",
    "start POST",
    "section GET",
    "section POST",
    "check GET",
    "send POST",
    "done GET",
    "count poll GET",
)
POLL = "count poll GET"
SHORT_CODE = re.compile(r"short code ([0-9A-Z]+)")


# --- The instance --------------------------------------------------------------------------


@contextmanager
def database(kind: str, instance: Path) -> Iterator[str]:
    """The database URL for the instance: its SQLite file, or a fresh PostgreSQL schema that
    is dropped afterwards (as tests/conftest.py does)."""
    if kind == "sqlite":
        yield f"sqlite:///{instance / 'candour.db'}"
        return
    schema = f"bench_{secrets.token_hex(6)}"
    admin = create_engine(POSTGRES_SERVER)
    try:
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as error:
        admin.dispose()
        raise RuntimeError(f"cannot create a schema at {POSTGRES_SERVER}: {error}") from None
    try:
        yield f"{POSTGRES_SERVER}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@dataclass(frozen=True)
class Setting:
    short_code: str
    session_id: str
    totp_secret: str


def set_up(env: dict[str, str], minutes: int) -> Setting:
    """A series with one started session, and a staff admin with an authenticator."""
    flask_cli(env, ["db", "upgrade"])
    flask_cli(
        env,
        [
            "series",
            "create",
            "--questionnaire",
            QUESTIONNAIRE,
            "--title",
            "Reflective Space (benchmark)",
            "--slug",
            SERIES_SLUG,
            "--key-label",
            "Benchmark",
            "--passphrase",
            PASSPHRASE,
        ],
    )
    created = flask_cli(
        env,
        [
            "sessions",
            "create",
            "--series",
            SERIES_SLUG,
            "--title",
            "End-of-session feedback (benchmark)",
            "--date",
            dt.date.today().isoformat(),
            "--format",
            "online",
            "--minutes",
            str(minutes),
        ],
    )
    found = SHORT_CODE.search(created)
    if found is None:
        raise RuntimeError(f"no short code in the output of flask sessions create:\n{created}")
    code = found.group(1)
    flask_cli(env, ["sessions", "start", code])
    # The staff admin, through the Python API on the same database and secrets as gunicorn:
    # no command prints an authenticator secret.
    app = create_app(load_config(env))
    with app.app_context():
        db = get_db()
        try:
            hasher = accounts.password_hasher(
                int(app.config["SURVEY_ARGON2_TIME_COST"]),
                int(app.config["SURVEY_ARGON2_MEMORY_COST"]),
            )
            account = accounts.create_user(
                db,
                hasher,
                email=STAFF_EMAIL,
                role="admin",
                password=STAFF_PASSWORD,
                actor="benchmark",
            )
            enrolment = accounts.start_enrolment(db, get_keyring(), account.id)
            now = pyotp.TOTP(enrolment.secret).now()
            if accounts.confirm_enrolment(db, get_keyring(), account.id, now) is None:
                raise RuntimeError("the staff admin's authenticator code was refused")
            meeting = sessions.find_session(db, code)
            if meeting is None or meeting.state(sessions.utcnow()) != "open":
                raise RuntimeError(f"session {code} is not open after flask sessions start")
            return Setting(code, meeting.id, enrolment.secret)
        finally:
            db.dispose()


def stored_responses(url: str, short_code: str) -> int:
    """The session's rows in the ``responses`` table, read after gunicorn has stopped."""
    db = Database(url)
    try:
        meeting = sessions.find_session(db, short_code)
        return 0 if meeting is None else sessions.response_count(db, meeting)
    finally:
        db.dispose()


# --- A respondent --------------------------------------------------------------------------


def respond(port: int, short_code: str, questionnaire: Questionnaire, rng: random.Random) -> Stats:
    """One respondent, from the short link to the confirmation page, as a browser does it."""
    stats = Stats()
    browser = Browser(port, stats)
    link = f"/f/{short_code}"
    step = "start page GET"
    started = time.perf_counter()
    try:
        page = _expect(browser.get(step, link), step, 200)
        step = "start POST"
        path = _redirect(browser.post(step, link, [("csrf_token", _csrf(page, step))]), step)
        base = f"/s/{SERIES_SLUG}/"
        if not path.startswith(base + "q/"):
            raise JourneyError(step, f"redirected to {path}")
        answers: dict[str, Any] = {}
        for _ in range(MAX_PAGES):
            if path.startswith(base + "q/"):
                step = "section GET"
                page = _expect(browser.get(step, path), step, 200)
                section = questionnaire.section(path.removeprefix(base + "q/"))
                form = [("csrf_token", _csrf(page, step))]
                form += section_answers(section, answers, rng)
                step = "section POST"
                path = _redirect(browser.post(step, path, form), step)
            elif path == base + "check":
                step = "check GET"
                page = _expect(browser.get(step, path), step, 200)
                step = "send POST"
                path = _redirect(
                    browser.post(step, path, [("csrf_token", _csrf(page, step))]), step
                )
                if path != base + "done":
                    raise JourneyError(step, f"redirected to {path}")
                stats.acknowledged += 1
                step = "done GET"
                done = _expect(browser.get(step, path), step, 200)
                if CONFIRMATION not in done.body:
                    raise JourneyError(step, "no confirmation text")
                stats.completed += 1
                stats.journeys.append(time.perf_counter() - started)
                return stats
            else:
                raise JourneyError(step, f"redirected to {path}")
        raise JourneyError(step, f"more than {MAX_PAGES} pages")
    except JourneyError as error:
        stats.errors[error.kind] += 1
    except (OSError, http.client.HTTPException) as error:
        stats.errors[f"{step}: {type(error).__name__}"] += 1
    finally:
        browser.close()
    return stats


# --- The room's count ----------------------------------------------------------------------


def sign_in(base: str, totp_secret: str) -> requests.Session:
    """The staff admin signed in with password and authenticator code."""
    browser = requests.Session()
    page = browser.get(f"{base}/staff/login", timeout=30)
    sent = browser.post(
        f"{base}/staff/login",
        data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD, "csrf_token": _token(page)},
        timeout=30,
    )
    if not sent.url.endswith("/staff/login/code"):
        raise RuntimeError(f"staff sign-in: password step ended at {sent.url}")
    code = pyotp.TOTP(totp_secret).at(time.time() + 30)  # the next step: enrolment used this one
    done = browser.post(sent.url, data={"code": code, "csrf_token": _token(sent)}, timeout=30)
    if not done.url.endswith("/staff/"):
        raise RuntimeError(f"staff sign-in: code step ended at {done.url}")
    return browser


def _token(page: requests.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    if found is None:
        raise RuntimeError(f"staff sign-in: no csrf_token on {page.url} (HTTP {page.status_code})")
    return found.group(1)


class Poller:
    """Fetches the session's count every ``interval`` seconds until stopped, then once more."""

    def __init__(self, browser: requests.Session, url: str, interval: float) -> None:
        self.stats = Stats()
        self.last_count: int | None = None
        self._browser = browser
        self._url = url
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def finish(self) -> None:
        """Stop polling, then fetch the count once more (every journey has ended)."""
        self._stop.set()
        self._thread.join()
        self.poll()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll()
            self._stop.wait(self._interval)

    def poll(self) -> None:
        started = time.perf_counter()
        try:
            reply = self._browser.get(self._url, timeout=30, allow_redirects=False)
        except requests.RequestException as error:
            self.stats.errors[f"{POLL}: {type(error).__name__}"] += 1
            return
        self.stats.latency(POLL, time.perf_counter() - started)
        if reply.status_code != 200:
            self.stats.errors[f"{POLL}: HTTP {reply.status_code}"] += 1
            return
        try:
            body = reply.json()
            count, state = int(body["count"]), body["state"]
        except (ValueError, KeyError, TypeError):
            self.stats.errors[f"{POLL}: not the expected JSON"] += 1
            return
        if state != "open":
            self.stats.errors[f"{POLL}: session {state}"] += 1
        self.last_count = count
        self.stats.completed += 1


# --- The burst -----------------------------------------------------------------------------


@dataclass
class Burst:
    stats: Stats
    seconds: float
    latest_start: float  # seconds after the first start
    most_late: float  # the largest delay of a start behind its schedule
    cpu_client: float
    cpu_server: float | None
    cpu_machine: float | None


def run_burst(
    args: argparse.Namespace,
    port: int,
    server_pid: int,
    short_code: str,
    questionnaire: Questionnaire,
) -> Burst:
    """``args.respondents`` journeys, started evenly over ``args.window`` seconds."""
    spacing = args.window / args.respondents
    starts: list[tuple[float, float]] = []  # (actual, planned) seconds after the first
    lock = threading.Lock()
    cpu_server = _server_cpu(server_pid)
    cpu_machine = _machine_cpu()
    cpu_client = time.process_time()
    origin = time.perf_counter()

    def journey(index: int) -> Stats:
        delay = origin + index * spacing - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        with lock:
            starts.append((time.perf_counter() - origin, index * spacing))
        return respond(port, short_code, questionnaire, random.Random(args.seed + index))

    total = Stats()
    with concurrent.futures.ThreadPoolExecutor(args.concurrency, "respondent") as pool:
        futures = [pool.submit(journey, index) for index in range(args.respondents)]
        for future in concurrent.futures.as_completed(futures):
            total.merge(future.result())
    seconds = time.perf_counter() - origin
    return Burst(
        stats=total,
        seconds=seconds,
        latest_start=max(actual for actual, _ in starts),
        most_late=max(actual - planned for actual, planned in starts),
        cpu_client=time.process_time() - cpu_client,
        cpu_server=_after(cpu_server, _server_cpu(server_pid)),
        cpu_machine=_after(cpu_machine, _machine_cpu()),
    )


def _after(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


# --- Report --------------------------------------------------------------------------------


def report(
    args: argparse.Namespace, burst: Burst, poller: Poller, stored: int, health: str
) -> bool:
    """Print the summary; True if the run passed (no errors, acknowledged == stored)."""
    stats = Stats()
    stats.merge(burst.stats)
    stats.merge(poller.stats)
    errors = stats.errors
    acknowledged = burst.stats.acknowledged

    print()
    print(
        f"Candour session burst, {dt.date.today().isoformat()}: {args.respondents} respondents "
        f"in {args.window:g} s, one session of {QUESTIONNAIRE}, "
        f"{'PostgreSQL' if args.database == 'postgres' else 'SQLite'}, gunicorn {args.workers} "
        f"sync workers, {args.concurrency} clients, count polled every {args.poll_interval:g} s, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print()
    header = f"{'':<18}{'count':>7}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    print(header)
    print("-" * len(header))
    for kind in KINDS:
        _row(kind, stats.latencies.get(kind, []))
    _row("whole journey", burst.stats.journeys)
    print()
    print(
        f"wall time: {burst.seconds:.1f} s (first start to last journey's end); "
        f"last start at {burst.latest_start:.1f} s, at most {burst.most_late:.2f} s behind "
        "its schedule"
    )
    if args.window > 0 and burst.latest_start > args.window:
        print(f"  WARNING: journeys started after the {args.window:g} s window")
    cores = os.cpu_count() or 1
    line = f"cpu, as % of one core ({cores} cores = {100 * cores}%): load generator "
    line += f"{100 * burst.cpu_client / burst.seconds:.0f}%"
    if burst.cpu_server is not None:
        line += f", gunicorn {100 * burst.cpu_server / burst.seconds:.0f}%"
        if burst.cpu_machine is not None:
            other = max(burst.cpu_machine - burst.cpu_server - burst.cpu_client, 0.0)
            line += f", other processes {100 * other / burst.seconds:.0f}%"
        per = 1000 * burst.cpu_server / max(burst.stats.completed, 1)
        line += f"; gunicorn CPU per response {per:.1f} ms"
    print(line)
    print(f"errors: {sum(errors.values())}")
    for kind, count in errors.most_common():
        print(f"  {count:>6}  {kind}")
    print(f"responses: {acknowledged} acknowledged, {stored} stored for the session")
    if poller.last_count is None:
        print("last count seen by the poller: none")
    else:
        note = "" if poller.last_count == stored else f" (differs from the {stored} stored)"
        print(f"last count seen by the poller (after the last journey): {poller.last_count}{note}")
    if health:
        print(health)
    return not errors and acknowledged == stored


def _row(label: str, seconds: list[float]) -> None:
    values = sorted(seconds)
    cells = [percentile(values, fraction) for fraction in (0.50, 0.90, 0.99)]
    cells.append(values[-1] if values else 0.0)
    print(f"{label:<18}{len(values):>7}" + "".join(f"{1000 * cell:>9.1f}" for cell in cells))


def _log_problems(log: Path) -> str:
    """Tracebacks or errors in gunicorn's log, if any (it has no access log)."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    bad = [line for line in lines if "Traceback" in line or "[ERROR]" in line]
    return f"gunicorn log: {len(bad)} error line(s), first: {bad[0]}" if bad else ""


# --- Main ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--respondents", type=int, default=300, help="journeys in the burst")
    parser.add_argument(
        "--window", type=float, default=120.0, help="seconds over which the journeys start"
    )
    parser.add_argument("--concurrency", type=int, default=30, help="client threads, at most")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--database", choices=("sqlite", "postgres"), default="sqlite", help="where to store"
    )
    parser.add_argument(
        "--poll-interval", type=float, default=3.0, help="seconds between count polls"
    )
    parser.add_argument("--seed", type=int, default=2026, help="answers of respondent i: seed+i")
    args = parser.parse_args(argv)
    for name in ("respondents", "concurrency", "workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.window < 0 or args.poll_interval <= 0:
        parser.error("--window must not be negative and --poll-interval must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # stop gunicorn and clean up on `kill` too
    questionnaire = load_questionnaire(ROOT / "questionnaires" / f"{QUESTIONNAIRE}.yaml")
    instance = Path(tempfile.mkdtemp(prefix="candour-bench-"))
    # The session stays open well beyond the burst (at least 5 minutes, as the app requires).
    minutes = max(5, int(args.window // 60) + 30)
    try:
        with database(args.database, instance) as url:
            env = instance_environment(instance)
            env["DATABASE_URL"] = url
            print(f"setting up {instance} on {args.database} ...", flush=True)
            setting = set_up(env, minutes)
            port = free_port()
            log = instance / "gunicorn.log"
            with gunicorn(env, port, args.workers, log) as pid:
                print(f"gunicorn on {HOST}:{port}, {args.workers} workers", flush=True)
                base = f"http://{HOST}:{port}"
                staff = sign_in(base, setting.totp_secret)
                poller = Poller(
                    staff, f"{base}/staff/sessions/{setting.session_id}/count", args.poll_interval
                )
                print(
                    f"burst: {args.respondents} respondents over {args.window:g} s at "
                    f"/f/{setting.short_code} ...",
                    flush=True,
                )
                poller.start()
                try:
                    burst = run_burst(args, port, pid, setting.short_code, questionnaire)
                finally:
                    poller.finish()
                    staff.close()
            # gunicorn has stopped: every acknowledged response must now be stored.
            stored = stored_responses(url, setting.short_code)
            passed = report(args, burst, poller, stored, _log_problems(log))
    except (RuntimeError, requests.RequestException) as error:  # did not start, or sign-in
        print(f"benchmark not run: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(instance, ignore_errors=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
