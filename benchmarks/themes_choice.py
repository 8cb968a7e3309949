"""Benchmark: how well ``ThemeModel(n_themes=None)`` chooses the number of themes.

Survey comment sets hold 20–3,000 comments in about 3–30 themes, so the choice is measured
on random subsets of CLINC150 (``/work/shared/data/clinc150.csv``, Larson et al. 2019,
CC BY 3.0; see ``benchmarks/themes.py``) of that size: ``intents × texts per intent`` with
the intents and texts drawn at random for each seed, and on the labelled survey comments
of ``tests/fixtures/themes/labelled_comments.csv`` (60 comments, 5 themes; the seed only
changes ``random_state`` there).

For every engine, subset and seed the model is fitted twice: with the automatic choice and
with the true number of themes (both with ``random_state`` = the seed). A row is "ok" when
the chosen number is within ±50 % of the true number, or its NMI is at most 0.03 below the
fit with the true number. ``--rules old`` (or ``both``) reproduces the rule before this one:
groups under 5 comments count as 0, the tolerance is 10 % and each candidate gets one
k-means start, whatever the corpus size.

The semantic engine embeds each distinct text once per process: the benchmark wraps the
model's embedding call with an in-memory dictionary (texts of a public data set; nothing is
written to disk, and the product code itself never caches embeddings).

Run with ``.venv/bin/python benchmarks/themes_choice.py [--engine lexical|semantic|all]
[--seeds 0,1,2,3,4] [--rules current|old|both]``. It prints a table and asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = Path("/work/shared/data/clinc150.csv")
FIXTURE = ROOT / "tests" / "fixtures" / "themes" / "labelled_comments.csv"
SUBSETS = ((5, 15), (8, 40), (10, 60), (20, 30), (30, 100))
TOLERANCE = 0.5  # ± share of the true number
NMI_SLACK = 0.03


def read(path: Path, label: str) -> tuple[list[str], list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [row["text"] for row in rows], [row[label] for row in rows]


def subset(
    texts: list[str], labels: list[str], n_intents: int, per_intent: int, seed: int
) -> tuple[list[str], list[str]]:
    """``per_intent`` random texts of each of ``n_intents`` random intents, in corpus order."""
    rng = np.random.default_rng(1000 + seed)
    intents = sorted(set(labels))
    chosen = rng.choice(len(intents), n_intents, replace=False)
    keep: list[int] = []
    for pick in chosen:
        members = [i for i, label in enumerate(labels) if label == intents[pick]]
        keep += [int(i) for i in rng.choice(members, per_intent, replace=False)]
    keep.sort()
    return [texts[i] for i in keep], [labels[i] for i in keep]


def memoise_embeddings() -> None:
    """Embed each distinct text once per process (in memory only; benchmark only)."""
    from analysis.themes import model

    original = model._embed
    memory: dict[str, Any] = {}

    def cached(texts: Any) -> Any:
        missing = [text for text in dict.fromkeys(texts) if text not in memory]
        if missing:
            for text, row in zip(missing, original(missing), strict=True):
                memory[text] = row
        return np.stack([memory[text] for text in texts])

    model._embed = cached  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["lexical", "semantic", "all"], default="all")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument(
        "--rules", default="current", help="current, old or both (the rule before: 5, 10 %%)"
    )
    args = parser.parse_args()

    from analysis.themes import choosing, semantic

    current = (choosing.SIZE_FACTOR, choosing.PRECISE_FROM, choosing.SMALL_STARTS)

    rules = ["old", "current"] if args.rules == "both" else [args.rules]
    seeds = [int(seed) for seed in args.seeds.split(",")]
    engines = ["lexical", "semantic"] if args.engine == "all" else [args.engine]
    if "semantic" in engines:
        if semantic.available():
            memoise_embeddings()
        else:
            print("semantic engine not available here: skipped")
            engines.remove("semantic")
    clinc = read(DATA, "label")
    fixture = read(FIXTURE, "theme")
    cases: list[tuple[str, int]] = [("fixture 5 × 12", seed) for seed in seeds]
    cases += [(f"{a} × {b}", seed) for a, b in SUBSETS for seed in seeds]

    for rule in rules:
        if rule == "old":  # groups under 5 count as 0, 10 % tolerance, one start
            choosing.SIZE_FACTOR, choosing.PRECISE_FROM, choosing.SMALL_STARTS = 0.0, 10**12, 1
        else:
            choosing.SIZE_FACTOR, choosing.PRECISE_FROM, choosing.SMALL_STARTS = current
        print(f"rule: {rule}")
        table(engines, cases, seeds, clinc, fixture)


def table(
    engines: list[str],
    cases: list[tuple[str, int]],
    seeds: list[int],
    clinc: tuple[list[str], list[str]],
    fixture: tuple[list[str], list[str]],
) -> None:
    from sklearn.metrics import normalized_mutual_info_score

    from analysis.themes import ThemeModel

    print(
        f"{'engine':9s} {'subset':15s} {'true':>4s}  chosen per seed "
        f"{'NMI auto':>20s}  {'NMI true k':>20s}  ok"
    )
    for engine in engines:
        total_ok = total = 0
        losses: list[float] = []
        start = time.perf_counter()
        for name in dict.fromkeys(case for case, _ in cases):
            chosen: list[str] = []
            auto_nmi: list[str] = []
            true_nmi: list[str] = []
            ok = 0
            for seed in seeds:
                if name.startswith("fixture"):
                    texts, truth = fixture
                else:
                    a, b = (int(part) for part in name.split(" × "))
                    texts, truth = subset(*clinc, a, b, seed)
                true_n = len(set(truth))
                auto = ThemeModel(engine=engine, random_state=seed).fit(texts)
                fixed = ThemeModel(n_themes=true_n, engine=engine, random_state=seed).fit(texts)
                nmi_auto = normalized_mutual_info_score(truth, auto.labels_)
                nmi_true = normalized_mutual_info_score(truth, fixed.labels_)
                good = (
                    abs(auto.n_themes_ - true_n) <= TOLERANCE * true_n
                    or nmi_true - nmi_auto <= NMI_SLACK
                )
                ok += good
                losses.append(nmi_true - nmi_auto)
                chosen.append(f"{auto.n_themes_}{'' if good else '!'}")
                auto_nmi.append(f"{nmi_auto:.2f}")
                true_nmi.append(f"{nmi_true:.2f}")
            total_ok += ok
            total += len(seeds)
            print(
                f"{engine:9s} {name:15s} {true_n:4d}  {'/'.join(chosen):15s} "
                f"{'/'.join(auto_nmi):>20s}  {'/'.join(true_nmi):>20s}  {ok}/{len(seeds)}",
                flush=True,
            )
        print(
            f"{engine:9s} total ok {total_ok}/{total}, mean NMI loss against the true number "
            f"{np.mean(losses):.3f}, {time.perf_counter() - start:.0f} s"
        )
    print("ok: chosen within ±50 % of the true number, or NMI within 0.03 of the true-k fit")
    print("!: neither")


if __name__ == "__main__":
    main()
