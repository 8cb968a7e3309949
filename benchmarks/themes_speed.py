"""Benchmark: comments per second through the whole semantic theme engine, model load included.

Each row runs in a fresh Python process and times everything from importing
``analysis.themes`` to a fitted ``ThemeModel(engine="semantic")`` on ``--texts`` comments
(4,000 by default) drawn at random from one labelled data set: the sentence model's load,
embedding, the lexical space, the stability choice of the lexical weight, k-means and the
key phrases. Rows: the true number of topics given, and the number chosen automatically.
NMI against the labels is printed beside the speed, to show that speed was not bought with
quality. It asserts nothing; run it on a quiet machine:

    .venv/bin/python benchmarks/themes_speed.py [--texts 4000] [--repeat 2]
        [--data clinc150|biomedical20 ...] [--number true|automatic ...]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path("/work/shared/data")
DATA_SETS = ("clinc150", "biomedical20")


def worker(data: str, texts: int, auto: bool) -> dict[str, float | int | str]:
    started = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    import numpy as np

    with (DATA_DIR / f"{data}.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    keep = np.sort(np.random.default_rng(0).choice(len(rows), texts, replace=False))
    comments = [rows[i]["text"] for i in keep]
    truth = [rows[i]["label"] for i in keep]
    read = time.perf_counter() - started

    begin = time.perf_counter()
    from analysis.themes import ThemeModel, semantic

    imported = time.perf_counter()
    embeddings = semantic.embed(comments)  # what fit would do first; timed on its own
    embedded = time.perf_counter()
    model = ThemeModel(n_themes=None if auto else len(set(truth)), engine="semantic")
    model.fit(comments, embeddings=embeddings)
    seconds = time.perf_counter() - begin
    from sklearn.metrics import normalized_mutual_info_score

    return {
        "seconds": seconds,
        "import": imported - begin,
        "embed": embedded - imported,
        "read": read,
        "rate": texts / seconds,
        "themes": model.n_themes_,
        "weight": model.weight_ if model.weight_ is not None else -1.0,
        "nmi": float(normalized_mutual_info_score(truth, model.labels_)),
        "runtime": semantic.active_runtime(),
        "load": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--data", choices=DATA_SETS, action="append", help="default: both")
    parser.add_argument(
        "--number", choices=("true", "automatic"), action="append", help="default: both"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--auto", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.texts, args.auto)))
        return
    print(f"{'data':14s} {'themes':>14s} {'texts':>6s} {'import':>6s} {'embed':>6s} ", end="")
    print(f"{'s':>6s} {'texts/s':>8s} ", end="")
    print(f"{'n':>4s} {'weight':>6s} {'NMI':>6s} {'runtime':>8s} {'load':>5s}")
    for data in args.data or DATA_SETS:
        for auto in [number == "automatic" for number in args.number or ("true", "automatic")]:
            for _ in range(args.repeat):
                command = [sys.executable, __file__, "--worker", data, "--texts", str(args.texts)]
                done = subprocess.run(
                    [*command, *(["--auto"] if auto else [])],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if done.returncode != 0:
                    print(f"{data:14s} failed: {done.stderr.strip().splitlines()[-1:]}")
                    continue
                r = json.loads(done.stdout.strip().splitlines()[-1])
                number = "automatic" if auto else "true number"
                print(
                    f"{data:14s} {number:>14s} {args.texts:6d} {r['import']:6.1f} "
                    f"{r['embed']:6.1f} {r['seconds']:6.1f} "
                    f"{r['rate']:8.0f} {r['themes']:4d} {r['weight']:6.2f} {r['nmi']:6.3f} "
                    f"{r['runtime']:>8s} {r['load']:5.2f}",
                    flush=True,
                )
    print(
        "s: import of analysis.themes to fitted model (model load included), of which import "
        "and embed (model load included); load: 1-min load"
    )


if __name__ == "__main__":
    main()
