"""How long a series report takes to protect, and whether the independent attacker breaks it.

A made-up series of feedback sessions (a year of Reflective Space sessions and webinars):
sessions of very different sizes, many below k, held in four quarters, in person or online,
some hosted by a council; each response answers some closed questions and, optionally, gives
the person's council and role. The release is built as the application builds a series
report: session, quarter, format and hosting council public (everyone saw the counts), the
pooled ones nested in the session, the person's council and role ordinary breakdowns. Then:

- the seconds ``protect_release`` takes, the views it published and the cells it hid;
- with ``--attack``, the independent integer-programme attacker
  (``tests/unit/analysis/checking.py``), told every session's size and grouping, and the
  breaches it finds (there must be none).

    .venv/bin/python benchmarks/series_release.py                      # 12, 24 and 48 sessions
    .venv/bin/python benchmarks/series_release.py --sessions 24 --seeds 5 --attack

Figures go to standard output; nothing is asserted.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from analysis.counting import Breakdown, Item, release_input  # noqa: E402
from analysis.disclosure import ReleaseInput, protect_release  # noqa: E402

K, K_CELL = 10, 3
AGREE = ("strongly_agree", "agree", "neither", "disagree", "strongly_disagree")
COUNCILS = (*(f"council_{n}" for n in range(11)), "another", "prefer_not_to_say")
ROLES = ("practitioner", "manager", "support", "other", "prefer_not_to_say")
SIZES = (1, 2, 3, 4, 5, 6, 8, 9, 12, 15, 18, 23, 30, 45)


def series(sessions: int, items: int, seed: int) -> ReleaseInput:
    rng = random.Random(seed)
    ids = [f"s{n:02d}" for n in range(sessions)]
    quarter = {s: f"q{1 + n * 4 // sessions}" for n, s in enumerate(ids)}
    fmt = {s: rng.choice(("in_person", "online")) for s in ids}
    host = {s: rng.choice((*COUNCILS[:11], "_none", "_none")) for s in ids}
    rows = []
    for s in ids:
        lean = rng.random()
        for _ in range(rng.choice(SIZES)):
            row = {"_session": s, "_quarter": quarter[s], "_format": fmt[s], "_host": host[s]}
            for i in range(items):
                skip = rng.random() < 0.08
                pick = min(4, int(rng.random() * 3 + lean * 2.5))
                row[f"item{i}"] = None if skip else AGREE[pick]
            row["council"] = rng.choice((*COUNCILS, None))
            row["role"] = rng.choice((*ROLES, None))
            rows.append(row)
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        frame[column] = frame[column].astype("category")
    facts = {"_session": ids, "_quarter": sorted(set(quarter.values()))}
    facts["_format"] = sorted(set(fmt.values()))
    facts["_host"] = sorted(set(host.values()))
    split = [Breakdown(d, tuple(g), missing=False) for d, g in facts.items()]
    split += [Breakdown("council", COUNCILS), Breakdown("role", ROLES)]
    spec = release_input(
        frame,
        [Item(f"item{i}", f"item{i}", "exclusive", AGREE, sensitive=i == 0) for i in range(items)],
        split,
        [(b.id,) for b in split],
    )
    nesting = {
        "_quarter": ("_session", quarter),
        "_format": ("_session", fmt),
        "_host": ("_session", host),
    }
    return ReleaseInput(
        spec.dimensions,
        spec.views,
        spec.sizes,
        spec.items,
        nesting,
        frozenset(facts),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, nargs="*", default=[12, 24, 48])
    parser.add_argument("--items", type=int, default=6)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--attack", action="store_true", help="run the independent attacker")
    args = parser.parse_args()
    if args.attack:
        from tests.unit.analysis.checking import attack
    print("sessions  responses  seconds  views published                 hidden cells  breaches")
    for sessions in args.sessions:
        for seed in range(args.seeds):
            spec = series(sessions, args.items, seed)
            started = time.perf_counter()
            release = protect_release(spec, k=K, k_cell=K_CELL)
            seconds = time.perf_counter() - started
            views = ",".join(v[0].strip("_") if v else "all" for v in release.views)
            breaches = "-"
            if args.attack:
                breaches = str(len(attack(spec, release).breaches))
            print(
                f"{sessions:8d}  {spec.sizes[()]:9d}  {seconds:7.1f}  {views:30s}  "
                f"{len(release.audit):12d}  {breaches:>8s}",
                flush=True,
            )


if __name__ == "__main__":
    main()
