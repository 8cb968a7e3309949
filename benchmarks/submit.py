"""Load benchmark: complete survey responses through gunicorn, from 127.0.0.1 only.

Run on demand (``make benchmark``), never as part of the test suite::

    .venv/bin/python benchmarks/submit.py [--concurrency 8] [--responses 3000] [--duration 60]
    .venv/bin/python benchmarks/submit.py --database postgres     # 4 workers by default
    .venv/bin/python benchmarks/submit.py --access codes          # each respondent types a code

What it does, in one run:

1. Builds a throwaway instance: a temporary folder with generated development secrets and a
   fresh database -- an SQLite file there, or with ``--database postgres`` a database of its
   own on the PostgreSQL server of ``--postgres-url``, dropped at the end -- then runs
   ``flask db upgrade`` and ``flask demo setup`` and serves it with gunicorn, as ``make run``
   does (the project's gunicorn settings, ``--threads 8``), with ``--workers`` workers (2 on
   SQLite, 4 on PostgreSQL by default) on a free port of 127.0.0.1. The open surveys' ceiling
   on responses a minute is raised to its highest value, 10,000, so that it measures the
   server, not the ceiling.
2. Drives complete responses to the demo survey from ``--concurrency`` concurrent clients. Each
   response is a new respondent with an empty cookie jar, doing what a browser does: start page,
   "Start now" link, each section (GET, then POST with the CSRF token and varied answers,
   following the 303), "Check your answers" (GET, then POST), and the confirmation page. A
   response is *acknowledged* when the final POST answers 303 to the confirmation page. Each
   client keeps its connection open between requests (HTTP keep-alive), as a browser or a
   proxy does. With ``--access codes`` the survey is a codes survey of the same
   questionnaire, made with ``flask surveys create --access codes`` and ``flask codes issue``:
   each respondent types a fresh code on the start page (POST, which uses the code up) instead
   of following the "Start now" link.
3. After a short warm-up, times the journeys; then times ``GET /healthz`` at the same
   concurrency, so the cost of a response can be read against the cheapest request the app has.
4. Stops gunicorn, counts the survey's rows in the database and compares them with the number
   of acknowledged responses.

It prints a summary table and exits with status 1 if any request failed or any acknowledged
response is missing from the database. The run is bounded by ``--responses`` and ``--duration``
(and stops early after too many errors), and the instance is always removed at the end.
``benchmarks/crash.py`` uses the same client and instance to kill the server mid-load.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import email.utils
import http.client
import math
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlencode, urlsplit

from sqlalchemy import create_engine, func, make_url, select
from sqlalchemy.exc import SQLAlchemyError

from survey_app.domain.loading import load_questionnaire
from survey_app.domain.model import Question, Questionnaire, QuestionType, Section
from survey_app.storage.database import Database
from survey_app.storage.models import Response, Survey

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
TARGET_PER_SECOND = 140.0
DATABASES = ("sqlite", "postgres")
# PostgreSQL has the cores to itself only when nothing else runs; its own processes take part
# of them, so it gets more workers to keep both cores busy.
DEFAULT_WORKERS = {"sqlite": 2, "postgres": 4}
# As `make run` (THREADS in the Makefile): gunicorn's threaded workers, which keep connections
# open between requests.
THREADS = 8
# The server on which --database postgres makes (and afterwards drops) a database of its own.
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# The highest ceiling on an open survey's responses a minute (services.intake.MOST_PER_MINUTE):
# the benchmark measures the server, not the ceiling.
CEILING_PER_MINUTE = "10000"
# A phase gives up after this many failed requests: the server is clearly not coping (or gone).
MAX_ERRORS = 100
REQUEST_TIMEOUT = 30.0
STARTUP_TIMEOUT = 30.0
# Safety net for questionnaires with many sections: a journey never makes more requests.
MAX_PAGES = 50

CSRF_INPUT = re.compile(rb'name="csrf_token" value="([^"]+)"')
CONFIRMATION = b"your answers have been sent"
WORDS = (
    "the session felt calm and well held",
    "more time for small groups",
    "hearing other people's stories",
    "a clear start and finish",
    "café-style tables – less formal",  # non-ASCII on purpose: forms travel as UTF-8
    "shorter presentations",
    "space to be honest without being judged",
    "racism in supervision",
    "career progression",
    "nothing, it was good",
)

# Journey steps, in the order a browser meets them (used for the per-step table).
STEPS = (
    "start GET",
    "start POST",
    "section GET",
    "section POST",
    "check GET",
    "check POST",
    "done GET",
)
CODES_PASSPHRASE = "benchmark-key-holder-passphrase"  # a throwaway instance
HEALTH_STEP = "healthz GET"
DATABASE_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


# --- A minimal browser ---------------------------------------------------------------------


class CookieJar:
    """Just enough of a browser's cookie store for this app: cookies are kept per (name, path),
    sent only to paths under their Path, longest path first, and dropped when they expire.
    The draft cookies live at ``/s/<slug>/`` and the Flask session cookie at ``/``."""

    def __init__(self) -> None:
        self._cookies: dict[tuple[str, str], str] = {}

    def header(self, request_path: str) -> str | None:
        matching = sorted(
            (
                (path, name, value)
                for (name, path), value in self._cookies.items()
                if _path_matches(request_path, path)
            ),
            key=lambda cookie: -len(cookie[0]),
        )
        return "; ".join(f"{name}={value}" for _, name, value in matching) or None

    def update(self, set_cookie_lines: Sequence[str], request_path: str) -> None:
        for line in set_cookie_lines:
            name, value, path, expired = _parse_set_cookie(line, request_path)
            if expired:
                self._cookies.pop((name, path), None)
            else:
                self._cookies[(name, path)] = value


def _path_matches(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 §5.1.4 path-match."""
    if request_path == cookie_path:
        return True
    if request_path.startswith(cookie_path):
        return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    return False


def _parse_set_cookie(line: str, request_path: str) -> tuple[str, str, str, bool]:
    """(name, value, path, expired) from one Set-Cookie header line."""
    pair, *attributes = line.split(";")
    name, _, value = pair.strip().partition("=")
    # RFC 6265 default-path: the request path up to (not including) its last "/".
    path = request_path[: request_path.rfind("/")] or "/"
    max_age: str | None = None
    expires: str | None = None
    for attribute in attributes:
        key, _, argument = attribute.strip().partition("=")
        key = key.lower()
        if key == "path" and argument.startswith("/"):
            path = argument
        elif key == "max-age":
            max_age = argument
        elif key == "expires":
            expires = argument
    # Max-Age wins over Expires (and is cheaper to read: no date to parse).
    if max_age is not None:
        expired = int(max_age) <= 0
    elif expires is not None:
        expired = email.utils.parsedate_to_datetime(expires) <= dt.datetime.now(dt.UTC)
    else:
        expired = False
    return name, value, path, expired


@dataclass(frozen=True)
class Reply:
    status: int
    location: str | None
    body: bytes


def connect(port: int) -> http.client.HTTPConnection:
    """A client's connection to the server, kept open between requests while the server allows
    it (gunicorn's threaded workers do, for ``keepalive`` seconds); ``http.client`` opens a new
    one by itself after the server has closed it."""
    return http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)


class Browser:
    """One respondent: one cookie jar, requests over a client's ``http.client`` connection.

    A client's connection outlives its respondents (as a proxy's connections to the server
    do); the cookie jar does not.
    """

    def __init__(self, connection: http.client.HTTPConnection, stats: Stats) -> None:
        self._connection = connection
        self._origin = f"http://{connection.host}:{connection.port}"
        self._stats = stats
        self.jar = CookieJar()

    def get(self, step: str, path: str) -> Reply:
        return self._send(step, "GET", path, None)

    def post(self, step: str, path: str, form: list[tuple[str, str]]) -> Reply:
        return self._send(step, "POST", path, urlencode(form).encode("ascii"))

    def _send(self, step: str, method: str, path: str, body: bytes | None) -> Reply:
        headers = {
            "User-Agent": "candour-benchmark/1",
            "Accept": "text/html",
            "Accept-Encoding": "identity",
        }
        cookie = self.jar.header(urlsplit(path).path)
        if cookie:
            headers["Cookie"] = cookie
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self._origin
        started = time.perf_counter()
        kept_open = self._connection.sock is not None
        try:
            response, data = self._exchange(method, path, body, headers)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self._connection.close()
            if not kept_open:
                raise
            # The server closed a kept-open connection before answering (it had been idle
            # past gunicorn's keepalive): as a browser does, send once more on a new one. Had
            # the server read the request, a second send of the same answers stores nothing.
            self._stats.resent += 1
            response, data = self._exchange(method, path, body, headers)
        self._stats.latency(step, time.perf_counter() - started)
        self.jar.update(response.msg.get_all("Set-Cookie") or [], urlsplit(path).path)
        return Reply(response.status, response.getheader("Location"), data)

    def _exchange(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[http.client.HTTPResponse, bytes]:
        try:
            self._connection.request(method, path, body=body, headers=headers)
            response = self._connection.getresponse()
            return response, response.read()
        except (OSError, http.client.HTTPException):
            self._connection.close()
            raise


# --- Answers -------------------------------------------------------------------------------


def section_answers(
    section: Section, answers: dict[str, Any], rng: random.Random, marker: str | None = None
) -> list[tuple[str, str]]:
    """Form fields for one section: every required question, most optional ones, and short
    free text now and then. ``answers`` (so far) decides which questions are shown, as on the
    server, and is updated with what is sent. A ``marker`` is the answer to the first free-text
    question, so that the response can be recognised once opened."""
    fields: list[tuple[str, str]] = []
    for question in section.visible_questions(answers):
        if marker is not None and question.type is QuestionType.FREE_TEXT:
            value: str | list[str] | dict[str, str] | None = marker
            marker = None
        elif not question.required and rng.random() < 0.2:
            continue
        else:
            value = _answer(question, rng)
        if value is None:
            continue
        answers[question.id] = value
        if isinstance(value, dict):
            fields.extend((f"{question.id}__{row}", choice) for row, choice in value.items())
        elif isinstance(value, list):
            fields.extend((question.id, choice) for choice in value)
        else:
            fields.append((question.id, value))
    return fields


def _answer(question: Question, rng: random.Random) -> str | list[str] | dict[str, str] | None:
    kind = question.type
    if kind in (QuestionType.SINGLE_CHOICE, QuestionType.LIKERT):
        return rng.choice(question.options).value
    if kind is QuestionType.MULTIPLE_CHOICE:
        plain = [option.value for option in question.options if not option.exclusive]
        exclusive = [option.value for option in question.options if option.exclusive]
        if exclusive and (not plain or rng.random() < 0.1):
            return [rng.choice(exclusive)]
        return rng.sample(plain, k=rng.randint(1, min(3, len(plain))))
    if kind is QuestionType.LIKERT_GRID:
        return {s.id: rng.choice(question.options).value for s in question.statements}
    if kind is QuestionType.FREE_TEXT:
        if not question.required and rng.random() < 0.6:
            return None
        text = ", ".join(rng.sample(WORDS, k=rng.randint(1, 3)))
        return text[: question.max_length] if question.max_length else text
    if kind is QuestionType.NUMBER:
        low = question.minimum if question.minimum is not None else 0
        high = question.maximum if question.maximum is not None else low + 50
        return str(rng.randint(low, high))
    raise ValueError(f"no answers for question type {kind}")


# --- Measurements --------------------------------------------------------------------------


class JourneyError(Exception):
    """A request in a journey did not get the answer a browser expects."""

    def __init__(self, step: str, problem: str) -> None:
        super().__init__(f"{step}: {problem}")
        self.kind = f"{step}: {problem}"


@dataclass
class Stats:
    """What one client thread saw. Merged at the end of a phase (no locking while running)."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    journeys: list[float] = field(default_factory=list)
    acknowledged: int = 0
    completed: int = 0
    requests: int = 0
    # Requests sent again on a new connection after a kept-open one was found closed.
    resent: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    # The markers of acknowledged responses that carried one (crash.py).
    markers: list[str] = field(default_factory=list)

    def latency(self, step: str, seconds: float) -> None:
        self.latencies.setdefault(step, []).append(seconds)
        self.requests += 1

    def merge(self, other: Stats) -> None:
        for step, values in other.latencies.items():
            self.latencies.setdefault(step, []).extend(values)
        self.journeys.extend(other.journeys)
        self.acknowledged += other.acknowledged
        self.completed += other.completed
        self.requests += other.requests
        self.resent += other.resent
        self.errors.update(other.errors)
        self.markers.extend(other.markers)


@dataclass
class Phase:
    name: str
    stats: Stats
    seconds: float
    cpu_client: float
    cpu_server: float | None
    # PostgreSQL's processes serving the instance's database (None on SQLite).
    cpu_database: float | None
    # Busy CPU seconds of the whole machine during the phase: whatever the client and gunicorn
    # did not use is other load, which makes the figures unreliable.
    cpu_machine: float | None

    @property
    def error_count(self) -> int:
        return sum(self.stats.errors.values())


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (0 for none)."""
    if not values:
        return 0.0
    rank = max(1, math.ceil(fraction * len(values)))
    return values[min(rank, len(values)) - 1]


# --- The journey ---------------------------------------------------------------------------


class CodeBox:
    """The issued access codes, handed out one per respondent across threads."""

    def __init__(self, codes: list[str]) -> None:
        self._codes = codes
        self._lock = threading.Lock()

    def take(self) -> str:
        with self._lock:
            if not self._codes:
                raise JourneyError("start POST", "no access codes left")
            return self._codes.pop()


def respond(
    connection: http.client.HTTPConnection,
    slug: str,
    questionnaire: Questionnaire,
    stats: Stats,
    rng: random.Random,
    codes: CodeBox | None = None,
    marker: str | None = None,
) -> None:
    """One respondent, start page to confirmation, as a browser does it. A ``marker`` is
    typed as the first free-text answer, and listed in ``stats`` once acknowledged."""
    base = f"/s/{slug}/"
    browser = Browser(connection, stats)
    started = time.perf_counter()
    start = _expect(browser.get("start GET", base), "start GET", 200)
    if codes is not None:
        form = [("csrf_token", _csrf(start, "start GET")), ("access_code", codes.take())]
        path = _redirect(browser.post("start POST", base, form), "start POST")
    else:
        link = re.search(rb'href="(' + re.escape(base.encode()) + rb'q/[^"?#]+)"', start.body)
        if link is None:
            raise JourneyError("start GET", "no Start now link")
        path = link.group(1).decode("ascii")
    answers: dict[str, Any] = {}
    to_type = marker
    for _ in range(MAX_PAGES):
        if path.startswith(base + "q/"):
            page = _expect(browser.get("section GET", path), "section GET", 200)
            section = questionnaire.section(path.removeprefix(base + "q/"))
            form = [("csrf_token", _csrf(page, "section GET"))]
            form += section_answers(section, answers, rng, to_type)
            if to_type is not None and to_type in answers.values():
                to_type = None
            path = _redirect(browser.post("section POST", path, form), "section POST")
        elif path == base + "check":
            if to_type is not None:
                raise JourneyError("check GET", "no free-text question took the marker")
            page = _expect(browser.get("check GET", path), "check GET", 200)
            form = [("csrf_token", _csrf(page, "check GET"))]
            path = _redirect(browser.post("check POST", path, form), "check POST")
            if path != base + "done":
                raise JourneyError("check POST", f"redirected to {path}")
            stats.acknowledged += 1
            if marker is not None:
                stats.markers.append(marker)
            done = _expect(browser.get("done GET", path), "done GET", 200)
            if CONFIRMATION not in done.body:
                raise JourneyError("done GET", "no confirmation text")
            stats.completed += 1
            stats.journeys.append(time.perf_counter() - started)
            return
        else:
            raise JourneyError("section POST", f"redirected to {path}")
    raise JourneyError("section POST", f"more than {MAX_PAGES} pages")


def _expect(reply: Reply, step: str, status: int) -> Reply:
    if reply.status != status:
        raise JourneyError(step, f"HTTP {reply.status}")
    return reply


def _redirect(reply: Reply, step: str) -> str:
    _expect(reply, step, 303)
    if not reply.location:
        raise JourneyError(step, "303 without Location")
    target = urlsplit(reply.location)
    return target.path + (f"?{target.query}" if target.query else "")


def _csrf(reply: Reply, step: str) -> str:
    match = CSRF_INPUT.search(reply.body)
    if match is None:
        raise JourneyError(step, "no csrf_token")
    return match.group(1).decode("ascii")


def health(connection: http.client.HTTPConnection, stats: Stats) -> None:
    reply = _expect(Browser(connection, stats).get(HEALTH_STEP, "/healthz"), HEALTH_STEP, 200)
    if b'"ok"' not in reply.body:
        raise JourneyError(HEALTH_STEP, "status is not ok")
    stats.completed += 1


# --- Phases --------------------------------------------------------------------------------


Task = Callable[[Stats, random.Random, http.client.HTTPConnection], None]


def run_phase(
    name: str,
    task: Task,
    *,
    port: int,
    concurrency: int,
    count: int,
    seconds: float,
    stop: threading.Event,
    server_pid: int | None = None,
    database: str | None = None,
    max_errors: int | None = MAX_ERRORS,
    pause_after_error: float = 0.0,
) -> Phase:
    """Run ``task`` from ``concurrency`` threads, each with a connection of its own, until
    ``count`` tasks have started, ``seconds`` have passed, ``stop`` is set or more than
    ``max_errors`` requests have failed (None: never give up). A thread whose task failed
    waits ``pause_after_error`` seconds before its next. The CPU used by gunicorn (master
    ``server_pid``) and by PostgreSQL for ``database`` is measured when they are given."""
    claimed = 0
    failures = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(index: int) -> Stats:
        nonlocal claimed, failures
        stats = Stats()
        rng = random.Random(index)
        connection = connect(port)
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                with lock:
                    if claimed >= count or (max_errors is not None and failures > max_errors):
                        break
                    claimed += 1
                try:
                    task(stats, rng, connection)
                except JourneyError as error:
                    stats.errors[error.kind] += 1
                except (OSError, http.client.HTTPException) as error:
                    stats.errors[f"connection: {type(error).__name__}"] += 1
                    connection.close()
                else:
                    continue
                with lock:
                    failures += 1
                if pause_after_error:
                    stop.wait(pause_after_error)
        finally:
            connection.close()
        return stats

    cpu_server = _server_cpu(server_pid) if server_pid is not None else None
    cpu_database = _database_cpu(database) if database is not None else None
    cpu_machine = _machine_cpu()
    cpu_client = time.process_time()
    started = time.perf_counter()
    total = Stats()
    with concurrent.futures.ThreadPoolExecutor(concurrency, thread_name_prefix=name) as pool:
        futures = [pool.submit(client, index) for index in range(concurrency)]
        try:
            for future in concurrent.futures.as_completed(futures):
                total.merge(future.result())
        except BaseException:
            stop.set()  # Ctrl-C or SIGTERM: let the threads finish their current request
            raise
    elapsed = time.perf_counter() - started
    return Phase(
        name=name,
        stats=total,
        seconds=elapsed,
        cpu_client=time.process_time() - cpu_client,
        cpu_server=_difference(cpu_server, _server_cpu(server_pid) if server_pid else None),
        cpu_database=_difference(cpu_database, _database_cpu(database) if database else None),
        cpu_machine=_difference(cpu_machine, _machine_cpu()),
    )


def _difference(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def _machine_cpu() -> float | None:
    """Busy CPU seconds of the whole machine so far, summed over cores (Linux), else None."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [int(value) for value in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal: all but idle and iowait count as busy
    busy = sum(ticks) - ticks[3] - ticks[4]
    return busy / os.sysconf("SC_CLK_TCK")


def _processes() -> Iterator[tuple[int, list[str]]]:
    """(pid, fields of /proc/<pid>/stat after the command name) of every process (Linux)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command name (field 2) may hold spaces; fields after ")" are fixed.
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        yield int(entry.name), fields


def worker_pids(master_pid: int) -> list[int]:
    """The gunicorn master's children: its workers."""
    return [pid for pid, fields in _processes() if int(fields[1]) == master_pid]


def _server_cpu(master_pid: int) -> float | None:
    """CPU seconds used so far by gunicorn's master and workers, including workers that have
    exited (Linux /proc), else None."""
    if not Path("/proc").is_dir():
        return None
    total = 0
    try:
        for pid, fields in _processes():
            if pid == master_pid:
                total += sum(int(value) for value in fields[11:15])  # its own, and reaped ones
            elif int(fields[1]) == master_pid:
                total += int(fields[11]) + int(fields[12])  # utime + stime
    except OSError:
        return None
    return total / os.sysconf("SC_CLK_TCK")


def _database_cpu(name: str) -> float | None:
    """CPU seconds used so far by PostgreSQL's server processes connected to database
    ``name`` (their title names it: "postgres: <user> <database> <client> <state>")."""
    if not Path("/proc").is_dir():
        return None
    total = 0
    try:
        for pid, fields in _processes():
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(b"postgres: ") and f" {name} ".encode() in title:
                total += int(fields[11]) + int(fields[12])
    except OSError:
        return None
    return total / os.sysconf("SC_CLK_TCK")


# --- The server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Instance:
    """A throwaway instance: its folder, environment and database."""

    folder: Path
    env: dict[str, str]
    database: str  # "sqlite" or "postgres"
    url: str
    # The PostgreSQL database made for it (None on SQLite).
    database_name: str | None = None


@contextmanager
def instance(database: str, postgres_url: str = POSTGRES_URL) -> Iterator[Instance]:
    """A fresh instance in a temporary folder, on a fresh SQLite file or a PostgreSQL database
    of its own on the server of ``postgres_url``; removed (the database dropped) afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="candour-bench-"))
    name: str | None = None
    try:
        if database == "postgres":
            name = f"candour_bench_{secrets.token_hex(4)}"
            url = _create_database(postgres_url, name)
        else:
            url = f"sqlite:///{folder / 'candour.db'}"
        yield Instance(folder, instance_environment(folder, url), database, url, name)
    finally:
        if name is not None:
            _drop_database(postgres_url, name)
        shutil.rmtree(folder, ignore_errors=True)


def _create_database(server_url: str, name: str) -> str:
    """Make database ``name`` on the server of ``server_url``; its URL."""
    _server_command(server_url, f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _drop_database(server_url: str, name: str) -> None:
    # FORCE: a gunicorn worker killed by crash.py may leave a session behind.
    _server_command(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _server_command(server_url: str, sql: str) -> None:
    """One statement outside any transaction (as CREATE and DROP DATABASE must be)."""
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(sql)
    finally:
        engine.dispose()


def instance_environment(folder: Path, url: str) -> dict[str, str]:
    """The development configuration on a fresh folder and database, secrets generated there,
    the open surveys' ceiling at its highest."""
    env = dict(os.environ)
    for name in (
        "DATABASE_URL",
        "SECRET_KEY",
        "SURVEY_DATA_KEYS",
        "SURVEY_CODE_SECRET",
        "SURVEY_QUESTIONNAIRE_DIR",
        "REDIS_URL",
    ):
        env.pop(name, None)
    env.update(
        SURVEY_ENV="development",
        SURVEY_INSTANCE_DIR=str(folder),
        DATABASE_URL=url,
        SURVEY_OPEN_RESPONSES_PER_MINUTE=CEILING_PER_MINUTE,
        FLASK_APP="survey_app.wsgi:build()",
        PYTHONUNBUFFERED="1",
    )
    return env


def set_up_instance(env: dict[str, str]) -> None:
    """``flask db upgrade`` and ``flask demo setup``, without last year's synthetic responses
    (which only the report pages need, and which take minutes to analyse)."""
    flask_cli(env, ["db", "upgrade"])
    flask_cli(env, ["demo", "setup", "--past-responses", "0"])


def set_up_codes_survey(
    env: dict[str, str], instance: Path, questionnaire: Questionnaire, count: int
) -> tuple[str, list[str]]:
    """A codes survey of the questionnaire, opened, with ``count`` codes; (slug, codes)."""
    slug = f"bench-codes-{questionnaire.id}"
    out = instance / "codes.csv"
    flask_cli(
        env,
        [
            "surveys",
            "create",
            "--questionnaire",
            questionnaire.id,
            "--title",
            f"{questionnaire.title} (benchmark, codes)",
            "--access",
            "codes",
            "--slug",
            slug,
            "--key-label",
            "Benchmark",
            "--passphrase",
            CODES_PASSPHRASE,
        ],
    )
    flask_cli(env, ["codes", "issue", "--survey", slug, "--count", str(count), "--out", str(out)])
    flask_cli(env, ["surveys", "open", slug])
    codes = out.read_text(encoding="utf-8").split()[1:]
    return slug, codes


def flask_cli(env: dict[str, str], command: list[str]) -> str:
    """Run ``flask <command>`` on the instance; its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def start_gunicorn(
    env: dict[str, str], port: int, workers: int, threads: int, log: Path
) -> subprocess.Popen[bytes]:
    """Serve the app as `make run` does; return once /healthz answers."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--config",
                "python:survey_app.gunicorn_conf",
                "survey_app.wsgi:build()",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(process, port, log)
    except BaseException:
        stop_gunicorn(process)
        raise
    return process


def stop_gunicorn(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM: a graceful shutdown of master and workers (SIGKILL after 20 s)."""
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def gunicorn(
    env: dict[str, str], port: int, workers: int, threads: int, log: Path
) -> Iterator[int]:
    """Serve the app; yield the master's pid once /healthz answers; always stop it."""
    process = start_gunicorn(env, port, workers, threads, log)
    try:
        yield process.pid
    finally:
        stop_gunicorn(process)


def _wait_until_healthy(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {process.returncode}:\n{_tail(log)}")
        connection = http.client.HTTPConnection(HOST, port, timeout=2)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer /healthz in {STARTUP_TIMEOUT:.0f}s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stored_responses(url: str, slug: str) -> int:
    """Rows in the ``responses`` table for the survey, read straight from the database."""
    db = Database(url)
    try:
        with db.session() as session:
            count = session.scalar(
                select(func.count(Response.id))
                .join(Survey, Survey.id == Response.survey_id)
                .where(Survey.slug == slug)
            )
            return int(count or 0)
    finally:
        db.dispose()


# --- Report --------------------------------------------------------------------------------


def report(
    args: argparse.Namespace,
    warmup: Phase,
    journeys: Phase,
    healthz: Phase,
    stored: int,
    load: tuple[float, float],
) -> bool:
    """Print the summary; True if the run passed (no errors, nothing lost)."""
    per_journey = journeys.stats.requests / max(journeys.stats.completed, 1)
    rate = journeys.stats.completed / journeys.seconds
    request_rate = journeys.stats.requests / journeys.seconds
    health_rate = healthz.stats.requests / healthz.seconds
    acknowledged = warmup.stats.acknowledged + journeys.stats.acknowledged
    errors = Counter[str]()
    for phase in (warmup, journeys, healthz):
        errors.update(phase.stats.errors)
    lost = max(acknowledged - stored, 0)

    print()
    print(
        f"Candour submit benchmark, {dt.date.today().isoformat()}: {args.questionnaire} "
        f"({args.access} access), gunicorn {args.workers} workers x {args.threads} threads, "
        f"{DATABASE_NAMES[args.database]}, {args.concurrency} clients, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print()
    header = f"{'':<22}{'count':>8}{'per s':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
    print(header)
    print("-" * len(header))
    _row("responses (journeys)", len(journeys.stats.journeys), rate, journeys.stats.journeys)
    every: list[float] = []
    for step in STEPS:
        if step not in journeys.stats.latencies:
            continue  # "start POST" happens only with --access codes
        values = journeys.stats.latencies[step]
        every.extend(values)
        _row(f"  {step}", len(values), len(values) / journeys.seconds, values)
    _row("  all journey requests", len(every), request_rate, every)
    health_latencies = healthz.stats.latencies.get(HEALTH_STEP, [])
    _row(HEALTH_STEP, len(health_latencies), health_rate, health_latencies)
    print()
    print(
        f"timed: {journeys.seconds:.1f} s of journeys after {warmup.stats.completed} warm-up "
        f"journeys; {healthz.seconds:.1f} s of /healthz"
    )
    print(f"load average (1 min) before the run {load[0]:.2f}, after it {load[1]:.2f}")
    cores = os.cpu_count() or 1
    print(f"cpu, as % of one core ({cores} cores = {100 * cores}%):")
    busy_elsewhere = False
    for phase, item in ((journeys, "response"), (healthz, "request")):
        line = f"  {phase.name:<9} load generator {100 * phase.cpu_client / phase.seconds:.0f}%"
        if phase.cpu_server is not None:
            line += f", gunicorn {100 * phase.cpu_server / phase.seconds:.0f}%"
            ours = phase.cpu_server + phase.cpu_client + (phase.cpu_database or 0.0)
            if phase.cpu_database is not None:
                line += f", PostgreSQL {100 * phase.cpu_database / phase.seconds:.0f}%"
            if phase.cpu_machine is not None:
                other = max(phase.cpu_machine - ours, 0.0)
                line += f", other processes {100 * other / phase.seconds:.0f}%"
                busy_elsewhere |= other / phase.seconds > 0.15
            per_item = 1000 * phase.cpu_server / max(phase.stats.completed, 1)
            line += f"; gunicorn CPU per {item} {per_item:.2f} ms"
            if phase.cpu_database is not None:
                per_item = 1000 * phase.cpu_database / max(phase.stats.completed, 1)
                line += f" (+ PostgreSQL {per_item:.2f} ms)"
        print(line)
    if busy_elsewhere:
        print("  WARNING: other processes were busy; the figures understate the app")
    if rate and health_rate:
        print(
            f"ratio to /healthz: {rate:.1f} responses/s vs {health_rate:.0f} health checks/s, "
            f"so a response ({per_journey:.0f} requests) costs {health_rate / rate:.1f} health "
            f"checks and one journey request {health_rate / request_rate:.2f}"
        )
    print(
        f"target: {rate:.1f} >= {TARGET_PER_SECOND:.0f} responses/s: "
        f"{'met' if rate >= TARGET_PER_SECOND else 'NOT met'}"
    )
    resent = warmup.stats.resent + journeys.stats.resent + healthz.stats.resent
    print(f"errors: {sum(errors.values())} (requests sent again on a new connection: {resent})")
    for kind, count in errors.most_common():
        print(f"  {count:>6}  {kind}")
    print(f"database: {acknowledged} acknowledged, {stored} stored")
    if stored > acknowledged:
        # A request that failed after its commit (e.g. a dropped connection) stores a response
        # that was never acknowledged; that is an error above, not a loss.
        print(f"  {stored - acknowledged} stored without acknowledgement")
    print(f"lost: {lost}")
    return lost == 0 and not errors


def _row(label: str, count: int, rate: float, seconds: list[float]) -> None:
    values = sorted(seconds)
    p50, p99 = percentile(values, 0.50), percentile(values, 0.99)
    top = values[-1] if values else 0.0
    print(
        f"{label:<22}{count:>8}{rate:>10.1f}{1000 * p50:>9.1f}{1000 * p99:>9.1f}{1000 * top:>9.1f}"
    )


# --- Main ----------------------------------------------------------------------------------


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """--database, --postgres-url, --workers and --threads (shared with crash.py)."""
    parser.add_argument(
        "--database",
        choices=DATABASES,
        default="sqlite",
        help="a fresh SQLite file, or a fresh database on the PostgreSQL server of --postgres-url",
    )
    parser.add_argument(
        "--postgres-url",
        default=POSTGRES_URL,
        help="the PostgreSQL server (and a database to connect to there) on which to make the "
        "throwaway database, dropped afterwards",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn workers (default: "
        + ", ".join(f"{n} on {DATABASE_NAMES[d]}" for d, n in DEFAULT_WORKERS.items())
        + ")",
    )
    parser.add_argument(
        "--threads", type=int, default=THREADS, help="threads per gunicorn worker, as make run"
    )


def check_server_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.workers is None:
        args.workers = DEFAULT_WORKERS[args.database]
    for name in ("workers", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument("--responses", type=int, default=3000, help="timed journeys, at most")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds, at most")
    add_server_options(parser)
    parser.add_argument("--warmup", type=int, default=100, help="untimed journeys first")
    parser.add_argument(
        "--health-duration", type=float, default=10.0, help="seconds of /healthz, at most"
    )
    parser.add_argument(
        "--access",
        choices=("open", "codes"),
        default="open",
        help="answer the open demo survey, or a codes survey (a code typed per respondent)",
    )
    parser.add_argument(
        "--questionnaire",
        default="reflective-space-feedback",
        help="answer the demo survey of this questionnaire (demo-<id>)",
    )
    args = parser.parse_args(argv)
    check_server_options(parser, args)
    for name in ("concurrency", "responses"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.duration <= 0 or args.health_duration <= 0 or args.warmup < 0:
        parser.error("durations must be positive and --warmup not negative")
    return args


def interrupt(signum: int, _frame: FrameType | None) -> None:
    """On SIGTERM: stop gunicorn and clean up, as on Ctrl-C."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, interrupt)
    questionnaire = load_questionnaire(ROOT / "questionnaires" / f"{args.questionnaire}.yaml")
    slug = f"demo-{questionnaire.id}"
    stop = threading.Event()
    load_before = os.getloadavg()[0]
    try:
        with instance(args.database, args.postgres_url) as built:
            print(
                f"setting up {built.folder} on {DATABASE_NAMES[args.database]} "
                "(flask db upgrade, flask demo setup) ...",
                flush=True,
            )
            set_up_instance(built.env)
            codes: CodeBox | None = None
            if args.access == "codes":
                # Enough for every journey that can start, failed ones included.
                count = args.warmup + args.responses + 2 * MAX_ERRORS + args.concurrency
                slug, issued = set_up_codes_survey(built.env, built.folder, questionnaire, count)
                codes = CodeBox(issued)
            port = free_port()
            log = built.folder / "gunicorn.log"
            with gunicorn(built.env, port, args.workers, args.threads, log) as pid:
                print(
                    f"gunicorn on {HOST}:{port}, {args.workers} workers x {args.threads} threads",
                    flush=True,
                )

                def journey(
                    stats: Stats, rng: random.Random, connection: http.client.HTTPConnection
                ) -> None:
                    respond(connection, slug, questionnaire, stats, rng, codes)

                def probe(
                    stats: Stats, _rng: random.Random, connection: http.client.HTTPConnection
                ) -> None:
                    health(connection, stats)

                common: dict[str, Any] = {
                    "port": port,
                    "concurrency": args.concurrency,
                    "server_pid": pid,
                    "database": built.database_name,
                    "stop": stop,
                }
                print(f"warm-up: {args.warmup} journeys ...", flush=True)
                warmup = run_phase(
                    "warm-up", journey, count=args.warmup, seconds=args.duration, **common
                )
                print(
                    f"timed: up to {args.responses} journeys or {args.duration:.0f} s ...",
                    flush=True,
                )
                journeys = run_phase(
                    "responses", journey, count=args.responses, seconds=args.duration, **common
                )
                print(f"/healthz: up to {args.health_duration:.0f} s ...", flush=True)
                healthz = run_phase(
                    "healthz",
                    probe,
                    count=args.responses * len(STEPS),
                    seconds=args.health_duration,
                    **common,
                )
            # gunicorn has stopped: every acknowledged response must now be stored.
            stored = stored_responses(built.url, slug)
            load = (load_before, os.getloadavg()[0])
            passed = report(args, warmup, journeys, healthz, stored, load)
    except (RuntimeError, SQLAlchemyError) as error:  # the instance or gunicorn did not start
        print(f"benchmark not run: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        stop.set()
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
