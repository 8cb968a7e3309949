"""Load benchmark: complete survey responses through gunicorn on SQLite, from 127.0.0.1 only.

Run on demand (``make benchmark``), never as part of the test suite::

    .venv/bin/python benchmarks/submit.py [--concurrency 8] [--responses 3000] [--duration 60]
    .venv/bin/python benchmarks/submit.py --access codes     # each respondent types a code

What it does, in one run:

1. Builds a throwaway instance (temporary folder, fresh SQLite file, generated development
   secrets) with ``flask db upgrade`` and ``flask demo setup``, then serves it with gunicorn
   (``--workers 2`` by default, the project's gunicorn settings) on a free port of 127.0.0.1.
2. Drives complete responses to the demo survey from ``--concurrency`` concurrent clients. Each
   response is a new respondent with an empty cookie jar, doing what a browser does: start page,
   "Start now" link, each section (GET, then POST with the CSRF token and varied answers,
   following the 303), "Check your answers" (GET, then POST), and the confirmation page. A
   response is *acknowledged* when the final POST answers 303 to the confirmation page.
   With ``--access codes`` the survey is a codes survey of the same questionnaire, made with
   ``flask surveys create --access codes`` and ``flask codes issue``: each respondent types
   a fresh code on the start page (POST, which uses the code up) instead of following the
   "Start now" link.
3. After a short warm-up, times the journeys; then times ``GET /healthz`` at the same
   concurrency, so the cost of a response can be read against the cheapest request the app has.
4. Stops gunicorn, counts the survey's rows in the SQLite file and compares them with the number
   of acknowledged responses.

It prints a summary table and exits with status 1 if any request failed or any acknowledged
response is missing from the database. The run is bounded by ``--responses`` and ``--duration``
(and stops early after too many errors), and the instance is always removed at the end.
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

from sqlalchemy import func, select

from survey_app.domain.loading import load_questionnaire
from survey_app.domain.model import Question, Questionnaire, QuestionType, Section
from survey_app.storage.database import Database
from survey_app.storage.models import Response, Survey

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
TARGET_PER_SECOND = 100.0
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
    expired = False
    max_age_seen = False
    for attribute in attributes:
        key, _, argument = attribute.strip().partition("=")
        key = key.lower()
        if key == "path" and argument.startswith("/"):
            path = argument
        elif key == "max-age":
            max_age_seen = True
            expired = int(argument) <= 0
        elif key == "expires" and not max_age_seen:
            when = email.utils.parsedate_to_datetime(argument)
            expired = when <= dt.datetime.now(dt.UTC)
    return name, value, path, expired


@dataclass(frozen=True)
class Reply:
    status: int
    location: str | None
    body: bytes


class Browser:
    """One respondent: one cookie jar, requests over ``http.client``.

    gunicorn's sync workers close the connection after every response, so each request opens
    a new TCP connection (``http.client`` reconnects by itself), as a browser would have to.
    """

    def __init__(self, port: int, stats: Stats) -> None:
        self._connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        self._origin = f"http://{HOST}:{port}"
        self._stats = stats
        self.jar = CookieJar()

    def close(self) -> None:
        self._connection.close()

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
        try:
            self._connection.request(method, path, body=body, headers=headers)
            response = self._connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self._connection.close()
            raise
        self._stats.latency(step, time.perf_counter() - started)
        self.jar.update(response.msg.get_all("Set-Cookie") or [], urlsplit(path).path)
        return Reply(response.status, response.getheader("Location"), data)


# --- Answers -------------------------------------------------------------------------------


def section_answers(
    section: Section, answers: dict[str, Any], rng: random.Random
) -> list[tuple[str, str]]:
    """Form fields for one section: every required question, most optional ones, and short
    free text now and then. ``answers`` (so far) decides which questions are shown, as on the
    server, and is updated with what is sent."""
    fields: list[tuple[str, str]] = []
    for question in section.visible_questions(answers):
        if not question.required and rng.random() < 0.2:
            continue
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
    errors: Counter[str] = field(default_factory=Counter)

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
        self.errors.update(other.errors)


@dataclass
class Phase:
    name: str
    stats: Stats
    seconds: float
    cpu_client: float
    cpu_server: float | None
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
    port: int,
    slug: str,
    questionnaire: Questionnaire,
    stats: Stats,
    rng: random.Random,
    codes: CodeBox | None = None,
) -> None:
    """One respondent, start page to confirmation, as a browser does it."""
    base = f"/s/{slug}/"
    browser = Browser(port, stats)
    started = time.perf_counter()
    try:
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
        for _ in range(MAX_PAGES):
            if path.startswith(base + "q/"):
                page = _expect(browser.get("section GET", path), "section GET", 200)
                section = questionnaire.section(path.removeprefix(base + "q/"))
                form = [("csrf_token", _csrf(page, "section GET"))]
                form += section_answers(section, answers, rng)
                path = _redirect(browser.post("section POST", path, form), "section POST")
            elif path == base + "check":
                page = _expect(browser.get("check GET", path), "check GET", 200)
                form = [("csrf_token", _csrf(page, "check GET"))]
                path = _redirect(browser.post("check POST", path, form), "check POST")
                if path != base + "done":
                    raise JourneyError("check POST", f"redirected to {path}")
                stats.acknowledged += 1
                done = _expect(browser.get("done GET", path), "done GET", 200)
                if CONFIRMATION not in done.body:
                    raise JourneyError("done GET", "no confirmation text")
                stats.completed += 1
                stats.journeys.append(time.perf_counter() - started)
                return
            else:
                raise JourneyError("section POST", f"redirected to {path}")
        raise JourneyError("section POST", f"more than {MAX_PAGES} pages")
    finally:
        browser.close()


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


def health(port: int, stats: Stats) -> None:
    browser = Browser(port, stats)
    try:
        reply = _expect(browser.get(HEALTH_STEP, "/healthz"), HEALTH_STEP, 200)
        if b'"ok"' not in reply.body:
            raise JourneyError(HEALTH_STEP, "status is not ok")
        stats.completed += 1
    finally:
        browser.close()


# --- Phases --------------------------------------------------------------------------------


def run_phase(
    name: str,
    task: Callable[[Stats, random.Random], None],
    *,
    concurrency: int,
    count: int,
    seconds: float,
    server_pid: int,
    stop: threading.Event,
) -> Phase:
    """Run ``task`` from ``concurrency`` threads until ``count`` tasks have started, ``seconds``
    have passed, ``stop`` is set or more than MAX_ERRORS requests have failed."""
    claimed = 0
    failures = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(index: int) -> Stats:
        nonlocal claimed, failures
        stats = Stats()
        rng = random.Random(index)
        while not stop.is_set() and time.monotonic() < deadline:
            with lock:
                if claimed >= count or failures > MAX_ERRORS:
                    break
                claimed += 1
            try:
                task(stats, rng)
            except JourneyError as error:
                stats.errors[error.kind] += 1
            except (OSError, http.client.HTTPException) as error:
                stats.errors[f"connection: {type(error).__name__}"] += 1
            else:
                continue
            with lock:
                failures += 1
        return stats

    cpu_server = _server_cpu(server_pid)
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
    server_after = _server_cpu(server_pid)
    machine_after = _machine_cpu()
    return Phase(
        name=name,
        stats=total,
        seconds=elapsed,
        cpu_client=time.process_time() - cpu_client,
        cpu_server=_difference(cpu_server, server_after),
        cpu_machine=_difference(cpu_machine, machine_after),
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


def _server_cpu(master_pid: int) -> float | None:
    """CPU seconds used so far by gunicorn's master and workers (Linux /proc), else None."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    try:
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                # The command name (field 2) may hold spaces; fields after ")" are fixed.
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            pid, parent = int(entry.name), int(fields[1])
            if pid == master_pid or parent == master_pid:
                total += int(fields[11]) + int(fields[12])  # utime + stime
    except OSError:
        return None
    return total / ticks


# --- The server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def instance_environment(instance: Path) -> dict[str, str]:
    """The development configuration on a fresh folder: SQLite, secrets generated there."""
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
        SURVEY_INSTANCE_DIR=str(instance),
        FLASK_APP="survey_app.wsgi:build()",
        PYTHONUNBUFFERED="1",
    )
    return env


def set_up_instance(env: dict[str, str]) -> None:
    for command in (["db", "upgrade"], ["demo", "setup"]):
        flask_cli(env, command)


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


@contextmanager
def gunicorn(env: dict[str, str], port: int, workers: int, log: Path) -> Iterator[int]:
    """Serve the app; yield the master's pid once /healthz answers; always stop it."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                str(workers),
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
            yield process.pid
        finally:
            process.terminate()  # SIGTERM: graceful shutdown of master and workers
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


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


def stored_responses(instance: Path, slug: str) -> int:
    """Rows in the ``responses`` table for the survey, read straight from the SQLite file."""
    db = Database(f"sqlite:///{instance / 'candour.db'}")
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
        f"({args.access} access), "
        f"gunicorn {args.workers} sync workers, SQLite, {args.concurrency} clients, "
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
    cores = os.cpu_count() or 1
    print(f"cpu, as % of one core ({cores} cores = {100 * cores}%):")
    busy_elsewhere = False
    for phase, item in ((journeys, "response"), (healthz, "request")):
        line = f"  {phase.name:<9} load generator {100 * phase.cpu_client / phase.seconds:.0f}%"
        if phase.cpu_server is not None:
            line += f", gunicorn {100 * phase.cpu_server / phase.seconds:.0f}%"
            if phase.cpu_machine is not None:
                other = max(phase.cpu_machine - phase.cpu_server - phase.cpu_client, 0.0)
                line += f", other processes {100 * other / phase.seconds:.0f}%"
                busy_elsewhere |= other / phase.seconds > 0.15
            per_item = 1000 * phase.cpu_server / max(phase.stats.completed, 1)
            line += f"; gunicorn CPU per {item} {per_item:.2f} ms"
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
    print(f"errors: {sum(errors.values())}")
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


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients")
    parser.add_argument("--responses", type=int, default=3000, help="timed journeys, at most")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds, at most")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
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
    for name in ("concurrency", "responses", "workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.duration <= 0 or args.health_duration <= 0 or args.warmup < 0:
        parser.error("durations must be positive and --warmup not negative")
    return args


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # stop gunicorn and clean up on `kill` too
    questionnaire = load_questionnaire(ROOT / "questionnaires" / f"{args.questionnaire}.yaml")
    slug = f"demo-{questionnaire.id}"
    instance = Path(tempfile.mkdtemp(prefix="candour-bench-"))
    stop = threading.Event()
    try:
        env = instance_environment(instance)
        print(f"setting up {instance} (flask db upgrade, flask demo setup) ...", flush=True)
        set_up_instance(env)
        codes: CodeBox | None = None
        if args.access == "codes":
            # Enough for every journey that can start, failed ones included.
            count = args.warmup + args.responses + 2 * MAX_ERRORS + args.concurrency
            slug, issued = set_up_codes_survey(env, instance, questionnaire, count)
            codes = CodeBox(issued)
        port = free_port()
        with gunicorn(env, port, args.workers, instance / "gunicorn.log") as pid:
            print(f"gunicorn on {HOST}:{port}, {args.workers} workers", flush=True)

            def journey(stats: Stats, rng: random.Random) -> None:
                respond(port, slug, questionnaire, stats, rng, codes)

            def probe(stats: Stats, _rng: random.Random) -> None:
                health(port, stats)

            common: dict[str, Any] = {
                "concurrency": args.concurrency,
                "server_pid": pid,
                "stop": stop,
            }
            print(f"warm-up: {args.warmup} journeys ...", flush=True)
            warmup = run_phase(
                "warm-up", journey, count=args.warmup, seconds=args.duration, **common
            )
            print(
                f"timed: up to {args.responses} journeys or {args.duration:.0f} s ...", flush=True
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
        # gunicorn has stopped: every acknowledged response must now be in the file.
        stored = stored_responses(instance, slug)
        passed = report(args, warmup, journeys, healthz, stored)
    except RuntimeError as error:  # the instance or gunicorn did not start
        print(f"benchmark not run: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        stop.set()
        shutil.rmtree(instance, ignore_errors=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
