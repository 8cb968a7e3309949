"""Respondent latency while staff download reports: does heavy staff work slow respondents?

Run on demand, never as part of the test suite; it asserts nothing and prints figures::

    .venv/bin/python benchmarks/respondent_latency.py                  # 60 s per phase
    .venv/bin/python benchmarks/respondent_latency.py --duration 30 --viewers 3
    .venv/bin/python benchmarks/respondent_latency.py --varied         # a new file each time
    .venv/bin/python benchmarks/respondent_latency.py --instance /tmp/candour-latency

What it does:

1. Builds an instance as ``make run`` does (``flask questionnaires validate``, ``flask db
   upgrade``, ``flask demo setup``: the open demo surveys and last year's published demo
   report of 400 responses) in a temporary folder with generated development secrets, or
   reuses the folder given by ``--instance`` (set up there on the first run, kept after).
2. Serves it as ``make run`` does: ``gunicorn --workers 1 --threads 8 --config
   python:survey_app.gunicorn_conf`` (``--workers``/``--threads`` to change) on a free port
   of 127.0.0.1, and waits for ``/healthz``.
3. Phase **alone**: ``--respondents`` respondent loops (default 1) for ``--duration`` seconds.
   Each respondent starts with an empty cookie jar and answers the demo staff survey as a
   browser does (``benchmarks/submit.py``): start page, each section (GET, then POST with
   answers), check your answers, confirmation.
4. Phase **with viewers**: the same respondent loops, and ``--viewers`` (default 3) members
   of staff signed in as the demo viewer, each downloading last year's report (``--format``,
   default XLSX, with the breakdowns a download has unless the reader chooses) one file after
   another without pause. With ``--varied`` each download asks for a random set of the
   report's breakdowns instead, so that most files must be built afresh.
5. Prints, for each phase, respondents' request latency (p50, p95, p99, max; every request,
   and the start page alone), completed responses, the viewers' downloads and their latency,
   errors, and CPU use of gunicorn and of the whole machine (other load on the machine makes
   the figures unreliable: run it on a quiet machine).

The target (issue 14): with 3 viewers downloading continuously, respondents' p99 stays under
300 ms.
"""

from __future__ import annotations

import argparse
import http.client
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from submit import (  # benchmarks/submit.py: the browser, the journey and the server
    HOST,
    ROOT,
    Browser,
    JourneyError,
    Stats,
    _machine_cpu,
    _server_cpu,
    _wait_until_healthy,
    flask_cli,
    free_port,
    instance_environment,
    interrupt,
    percentile,
    respond,
    stop_gunicorn,
)

from survey_app.domain.loading import load_questionnaire

QUESTIONNAIRE = "global-majority-staff-survey"
# From survey_app.demo (not imported: benchmarks/analysis.py, beside this file, would stand in
# for the analysis package it needs).
PAST_SLUG = "demo-staff-survey-last-year"
VIEWER = "viewer@demo.invalid"
DEMO_STAFF_PASSWORD = "demo-staff-password"  # printed by `make run` on purpose
MAX_ERRORS = 50
CEILING = 10_000  # responses a minute: the most a survey may set
MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "html": "text/html",
}
CSRF_INPUT = re.compile(rb'name="csrf_token" value="([^"]+)"')
VIEW_INPUT = re.compile(rb'<input[^>]*name="view"[^>]*value="([^"]+)"')


# --- staff -----------------------------------------------------------------------------------


class Viewer:
    """A member of staff with the viewer role, signed in once, downloading reports."""

    def __init__(self, port: int, stats: Stats) -> None:
        self.browser = Browser(port, stats)
        page = self.browser.get("sign-in GET", "/staff/login")
        token = CSRF_INPUT.search(page.body)
        if page.status != 200 or token is None:
            raise JourneyError("sign-in GET", f"HTTP {page.status}")
        form = [
            ("csrf_token", token.group(1).decode("ascii")),
            ("email", VIEWER),
            ("password", DEMO_STAFF_PASSWORD),
        ]
        signed = self.browser.post("sign-in POST", "/staff/login", form)
        if signed.status != 303:
            raise JourneyError("sign-in POST", f"HTTP {signed.status}")
        base = f"/staff/surveys/{PAST_SLUG}/report/download"
        choices = self.browser.get("download page GET", base)
        if choices.status != 200:
            raise JourneyError("download page GET", f"HTTP {choices.status}")
        self.base = base
        self.views = sorted(
            {v.decode("ascii") for v in VIEW_INPUT.findall(choices.body)} - {"overall"}
        )

    def download(self, file_format: str, rng: random.Random | None) -> None:
        path = f"{self.base}/{file_format}"
        if rng is not None:  # a random choice of breakdowns: mostly a file not built yet
            chosen = [v for v in self.views if rng.random() < 0.5]
            path += "?" + urlencode([("view", "overall"), *(("view", v) for v in chosen)])
        reply = self.browser.get("download GET", path)
        if reply.status != 200 or not reply.body:
            raise JourneyError("download GET", f"HTTP {reply.status}")

    def close(self) -> None:
        self.browser.close()


# --- phases ----------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    seconds: float
    respondents: Stats
    viewers: Stats
    cpu_server: float | None
    cpu_machine: float | None


def _loop(
    task: Callable[[Stats, random.Random], None],
    stats: Stats,
    seed: int,
    until: float,
    stop: threading.Event,
) -> None:
    rng = random.Random(seed)
    failures = 0
    while not stop.is_set() and time.monotonic() < until and failures <= MAX_ERRORS:
        try:
            task(stats, rng)
        except JourneyError as error:
            stats.errors[error.kind] += 1
            failures += 1
        except (OSError, http.client.HTTPException) as error:
            stats.errors[f"connection: {type(error).__name__}"] += 1
            failures += 1


def run_phase(
    name: str,
    args: argparse.Namespace,
    port: int,
    server_pid: int,
    viewers: int,
    stop: threading.Event,
) -> Phase:
    questionnaire = load_questionnaire(ROOT / "questionnaires" / f"{QUESTIONNAIRE}.yaml")
    slug = f"demo-{QUESTIONNAIRE}"
    respondent_stats = [Stats() for _ in range(args.respondents)]
    viewer_stats = [Stats() for _ in range(viewers)]
    signed_in = [Viewer(port, s) for s in viewer_stats]  # before the clock starts
    for stats in viewer_stats:
        stats.latencies.clear()
        stats.requests = 0
    cpu_server, cpu_machine = _server_cpu(server_pid), _machine_cpu()
    started = time.perf_counter()
    until = time.monotonic() + args.duration
    threads = []
    for index, stats in enumerate(respondent_stats):

        def journey(stats: Stats, rng: random.Random) -> None:
            respond(port, slug, questionnaire, stats, rng)

        threads.append(
            threading.Thread(target=_loop, args=(journey, stats, index, until, stop), daemon=True)
        )
    for index, (viewer, stats) in enumerate(zip(signed_in, viewer_stats, strict=True)):

        def download(_stats: Stats, rng: random.Random, viewer: Viewer = viewer) -> None:
            viewer.download(args.format, rng if args.varied else None)

        threads.append(
            threading.Thread(
                target=_loop, args=(download, stats, 1000 + index, until, stop), daemon=True
            )
        )
    for thread in threads:
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.5)  # wakes for Ctrl-C
    elapsed = time.perf_counter() - started
    for viewer in signed_in:
        viewer.close()
    respondents, downloads = Stats(), Stats()
    for stats in respondent_stats:
        respondents.merge(stats)
    for stats in viewer_stats:
        downloads.merge(stats)
    server_after, machine_after = _server_cpu(server_pid), _machine_cpu()
    return Phase(
        name,
        elapsed,
        respondents,
        downloads,
        None if cpu_server is None or server_after is None else server_after - cpu_server,
        None if cpu_machine is None or machine_after is None else machine_after - cpu_machine,
    )


# --- report ----------------------------------------------------------------------------------


def _ms(values: Sequence[float]) -> str:
    ordered = sorted(values)
    if not ordered:
        return "no requests"
    return (
        f"p50 {1000 * percentile(ordered, 0.50):7.1f}  p95 {1000 * percentile(ordered, 0.95):7.1f}"
        f"  p99 {1000 * percentile(ordered, 0.99):7.1f}  max {1000 * ordered[-1]:7.1f} ms"
        f"  ({len(ordered)} requests)"
    )


def print_phase(phase: Phase) -> None:
    every = [v for values in phase.respondents.latencies.values() for v in values]
    starts = phase.respondents.latencies.get("start GET", [])
    print(f"\n{phase.name} ({phase.seconds:.0f} s)")
    print(f"  respondents, every request  {_ms(every)}")
    print(f"  respondents, start page     {_ms(starts)}")
    steps = sorted(phase.respondents.latencies.items())
    by_step = ", ".join(
        f"{step} {1000 * percentile(sorted(values), 0.99):.0f}" for step, values in steps
    )
    print(f"  respondents' p99 by step    {by_step} ms")
    rate = phase.respondents.completed / phase.seconds if phase.seconds else 0.0
    print(f"  responses completed         {phase.respondents.completed} ({rate:.1f}/s)")
    downloads = phase.viewers.latencies.get("download GET", [])
    if downloads:
        print(f"  viewers' downloads          {_ms(downloads)}")
    errors = phase.respondents.errors + phase.viewers.errors
    print(f"  errors                      {sum(errors.values())}")
    for kind, count in errors.most_common():
        print(f"    {count:5d}  {kind}")
    if phase.cpu_server is not None:
        print(f"  gunicorn CPU                {100 * phase.cpu_server / phase.seconds:.0f}%")
    if phase.cpu_machine is not None:
        print(f"  machine CPU (all cores)     {100 * phase.cpu_machine / phase.seconds:.0f}%")


# --- the instance ------------------------------------------------------------------------------


@contextmanager
def gunicorn(env: dict[str, str], port: int, args: argparse.Namespace, log: Path) -> Iterator[int]:
    """Serve the instance as ``make run`` does; yield the master's pid once /healthz answers."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--config",
        "python:survey_app.gunicorn_conf",
        "survey_app.wsgi:build()",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_healthy(process, port, log)
            yield process.pid
        finally:
            stop_gunicorn(process)


def set_up(instance: Path, env: dict[str, str]) -> None:
    if (instance / "candour.db").exists():
        flask_cli(env, ["db", "upgrade"])
    else:
        print(f"setting up {instance} (flask demo setup: minutes) ...", flush=True)
        for command in (["questionnaires", "validate"], ["db", "upgrade"], ["demo", "setup"]):
            flask_cli(env, command)
    # Respondents answer back to back: lift the survey's ceiling on responses a minute.
    flask_cli(env, ["surveys", "ceiling", f"demo-{QUESTIONNAIRE}", str(CEILING)])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per phase")
    parser.add_argument("--viewers", type=int, default=3, help="staff downloading at once")
    parser.add_argument("--respondents", type=int, default=1, help="respondent loops")
    parser.add_argument("--format", choices=sorted(MIME), default="xlsx")
    parser.add_argument("--varied", action="store_true", help="random breakdowns per download")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (make run: 1)")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker (make run: 8)")
    parser.add_argument("--instance", type=Path, help="an instance folder to set up or reuse")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, interrupt)
    instance = args.instance or Path(tempfile.mkdtemp(prefix="candour-latency-"))
    instance.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    try:
        env = instance_environment(instance)
        set_up(instance, env)
        port = free_port()
        with gunicorn(env, port, args, instance / "gunicorn.log") as pid:
            print(
                f"gunicorn on {HOST}:{port}: {args.workers} worker(s), {args.threads} threads; "
                f"{args.respondents} respondent loop(s); phases of {args.duration:.0f} s",
                flush=True,
            )
            phases = [
                run_phase("alone", args, port, pid, 0, stop),
                run_phase(
                    f"with {args.viewers} viewers downloading {args.format.upper()}"
                    + (" (random breakdowns)" if args.varied else ""),
                    args,
                    port,
                    pid,
                    args.viewers,
                    stop,
                ),
            ]
        for phase in phases:
            print_phase(phase)
    except (RuntimeError, JourneyError) as error:
        print(f"benchmark not run: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        stop.set()
        if args.instance is None:
            shutil.rmtree(instance, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
