"""What one complete response costs the application itself, without a server or a network.

Run on demand, never as part of the test suite::

    .venv/bin/python benchmarks/page_cost.py                      # CPU ms per response
    .venv/bin/python benchmarks/page_cost.py --profile 20         # and where it goes
    .venv/bin/python benchmarks/page_cost.py --database postgres

``submit.py`` measures the whole server under load, and on a shared virtual machine its
figure moves by 20-30 % between runs of the same code. This one plays the same journey as
``submit.py`` (start page, each section shown and sent, check page, send, confirmation)
through Flask's test client in one process, on a throwaway instance, and reports the CPU time
per journey over several rounds: the lowest round is the steadiest figure. It includes the
test client's own work (building requests, keeping cookies), about a fifth of the total, and
leaves out gunicorn's.

For a count that does not move at all, run it twice under callgrind, which counts
instructions instead of timing them, and subtract (the second run's extra journeys)::

    PYTHONHASHSEED=0 valgrind --tool=callgrind .venv/bin/python benchmarks/page_cost.py \\
        --instance /tmp/cost --rounds 1 --journeys 40
    PYTHONHASHSEED=0 valgrind --tool=callgrind .venv/bin/python benchmarks/page_cost.py \\
        --instance /tmp/cost --rounds 1 --journeys 0

and divide the difference of the two "Collected" totals by 40.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import re
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from werkzeug.datastructures import MultiDict

# Run as a script, this folder is on the path (submit.py gives the journey's answers and the
# throwaway instance); the project goes before it, as this folder's analysis.py is not the
# analysis package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import submit

LINK = re.compile(rb'href="(/s/[^"?#]+/q/[^"?#]+)"')


def journey(client: Any, slug: str, questionnaire: Any, rng: random.Random) -> None:
    """One respondent, start page to confirmation; raises if any step goes wrong."""
    base = f"/s/{slug}/"
    start = _expect(client.get(base), 200, "start")
    found = LINK.search(start.data)
    if found is None:
        raise RuntimeError("start: no Start now link")
    path = found.group(1).decode("ascii")
    answers: dict[str, Any] = {}
    for _ in range(submit.MAX_PAGES):
        if not path.startswith(base + "q/"):
            break
        page = _expect(client.get(path), 200, "section GET")
        section = questionnaire.section(path.removeprefix(base + "q/"))
        form = [("csrf_token", _csrf(page.data))]
        form += submit.section_answers(section, answers, rng)
        path = _expect(client.post(path, data=MultiDict(form)), 303, "section POST").location
    if path != base + "check":
        raise RuntimeError(f"ended on {path}, not the check page")
    check = _expect(client.get(path), 200, "check GET")
    sent = _expect(client.post(path, data={"csrf_token": _csrf(check.data)}), 303, "send")
    done = _expect(client.get(sent.location), 200, "done")
    if submit.CONFIRMATION not in done.data:
        raise RuntimeError("done: no confirmation")


def _expect(response: Any, status: int, step: str) -> Any:
    if response.status_code != status:
        raise RuntimeError(f"{step}: HTTP {response.status_code}")
    return response


def _csrf(body: bytes) -> str:
    found = submit.CSRF_INPUT.search(body)
    if found is None:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1).decode("ascii")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--journeys", type=int, default=100, help="journeys per round")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds")
    parser.add_argument("--warmup", type=int, default=20, help="untimed journeys first")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres-url", default=submit.POSTGRES_URL)
    parser.add_argument("--questionnaire", default="reflective-space-feedback")
    parser.add_argument(
        "--instance",
        type=Path,
        help="an SQLite instance folder to keep between runs (made the first time)",
    )
    parser.add_argument(
        "--profile", type=int, metavar="N", help="profile one round; print the N costliest"
    )
    args = parser.parse_args(argv)

    with ExitStack() as stack:
        if args.instance is not None:
            folder = args.instance
            env = submit.instance_environment(folder, f"sqlite:///{folder / 'candour.db'}")
            if not (folder / "candour.db").exists():
                folder.mkdir(parents=True, exist_ok=True)
                submit.set_up_instance(env)
        else:
            made = stack.enter_context(submit.instance(args.database, args.postgres_url))
            env = made.env
            submit.set_up_instance(env)
        os.environ.clear()
        os.environ.update(env)
        from survey_app.extensions import get_questionnaires
        from survey_app.wsgi import build

        app = build()
        with app.app_context():
            questionnaire = get_questionnaires()[args.questionnaire]
        slug = f"demo-{args.questionnaire}"
        rng = random.Random(14)
        for _ in range(args.warmup):
            journey(app.test_client(), slug, questionnaire, rng)
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.journeys):
                journey(app.test_client(), slug, questionnaire, rng)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.profile)
            print(out.getvalue())
            return 0
        rounds = []
        for _ in range(args.rounds):
            started = time.process_time()
            for _ in range(args.journeys):
                journey(app.test_client(), slug, questionnaire, rng)
            if args.journeys:
                rounds.append((time.process_time() - started) / args.journeys * 1000)
        if rounds:
            print(
                f"{args.questionnaire} on {args.database}: CPU per journey, "
                f"{args.rounds} rounds of {args.journeys}: lowest {min(rounds):.2f} ms, "
                f"median {statistics.median(rounds):.2f} ms, highest {max(rounds):.2f} ms"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
