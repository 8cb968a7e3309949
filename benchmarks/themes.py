"""Benchmark: how well ``analysis.themes.ThemeModel`` recovers known themes, and how fast.

The data are CLINC150 (``/work/shared/data/clinc150.csv``): 22,500 short requests to a
voice assistant, each labelled with one of 150 intents. They come from Larson et al. (2019),
"An Evaluation Dataset for Intent Classification and Out-of-Scope Prediction", EMNLP-IJCNLP,
https://github.com/clinc/oos-eval, and are licensed under Creative Commons Attribution 3.0
(CC BY 3.0). Intents stand in for themes: the labels are never shown to the model.

For each engine (``semantic`` only when ``analysis.themes.semantic.available()``), the model
is fitted twice: with ``n_themes`` = the true number of labels, and with ``n_themes=None``
(the automatic choice; the chosen number is printed); the semantic engine is also fitted
with ``lexical_weight=0`` (embeddings alone). Two baselines use the true number: plain
scikit-learn TF-IDF → LSA (100 dimensions) → k-means, and (when the semantic extra is
installed) all-MiniLM-L6-v2 embeddings → plain scikit-learn ``KMeans``. Each row reports NMI and ARI
against the labels (``sklearn.metrics``), wall time of the fit, texts per second and peak
memory. Every row runs in a fresh Python process, and memory is that process's
``ru_maxrss`` at the end minus ``ru_maxrss`` just before the fit (data and libraries
already loaded): the extra resident memory the fit needed at its peak.

Embedding all 22,500 texts on 2 CPU cores takes minutes, and four rows need the same
embeddings. With ``--embed-once`` (benchmark only) a first process embeds the texts, timed as
its own row, and keeps them in a temporary ``.npy`` file (CLINC150 is public; the file is
deleted at the end). The rows marked "+ embeddings" then read them instead of embedding, and
their time is the rest of the fit; add the embedding row's time for end to end. ThemeModel
itself never writes embeddings anywhere.

Run with ``.venv/bin/python benchmarks/themes.py [--engine lexical|semantic|all]
[--sample N] [--embed-once]``. It prints a table and asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA_DIR = Path("/work/shared/data")
DATA_SETS = ("clinc150", "biomedical20")
DATA = DATA_DIR / "clinc150.csv"  # the data set of a worker process (set by --data)


def load(sample: int | None, seed: int = 0) -> tuple[list[str], list[str]]:
    import numpy as np

    with DATA.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if sample is not None and sample < len(rows):
        keep = np.sort(np.random.default_rng(seed).choice(len(rows), sample, replace=False))
        rows = [rows[i] for i in keep]
    return [row["text"] for row in rows], [row["label"] for row in rows]


def baseline(texts: list[str], n_themes: int) -> Any:
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer().fit_transform(texts)
    reduced = TruncatedSVD(100, random_state=0).fit_transform(matrix)
    return KMeans(n_themes, random_state=0).fit_predict(reduced), n_themes


def minilm_baseline(texts: list[str], n_themes: int | None, embedded_file: str | None) -> Any:
    """MiniLM embeddings (the float graph's) → scikit-learn k-means; ``None``: the number
    chosen as ThemeModel chooses it (silhouette, ``analysis.themes.choosing``) on the
    embeddings alone."""
    import numpy as np
    from sklearn.cluster import KMeans

    from analysis.themes import choosing, semantic
    from analysis.themes.clustering import distinct_rows

    if embedded_file:
        embedded = np.load(embedded_file)
    else:
        runtime = "onnx" if "onnx" in semantic.installed_runtimes() else "auto"
        embedded = semantic.embed(texts, runtime=runtime)  # type: ignore[arg-type]
    if n_themes is None:
        n_themes = choosing.choose(embedded, distinct_rows(embedded), seed=0).n_themes
    return KMeans(n_themes, random_state=0).fit_predict(embedded), n_themes


def reuse_embeddings(texts: list[str], path: str) -> None:
    """Make ThemeModel read this benchmark's saved embeddings of ``texts`` (benchmark only)."""
    import numpy as np

    from analysis.themes import model

    saved = np.load(path)
    row_of = {text: row for row, text in enumerate(texts)}
    model._embed = lambda wanted: saved[[row_of[text] for text in wanted]]  # type: ignore[assignment]


def worker(
    kind: str, auto: bool, sample: int | None, weight: float | None, embedded: str | None
) -> dict[str, Any]:
    """One row, measured in this process."""
    import numpy as np
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
    from threadpoolctl import threadpool_limits

    from analysis.themes import ThemeModel, semantic

    texts, truth = load(sample)
    true_n = len(set(truth))
    if embedded and not kind.startswith("embed"):
        reuse_embeddings(texts, embedded)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    if kind in ("embed", "embed-float"):
        # The anchor is MiniLM itself: its embeddings come from the float graph, whatever
        # runtime ThemeModel uses by default.
        exact = kind == "embed-float" and "onnx" in semantic.installed_runtimes()
        runtime = "onnx" if exact else "auto"
        vectors = semantic.embed(texts, runtime=runtime)  # type: ignore[arg-type]
        labels, chosen = np.zeros(len(texts), dtype=np.int64), 0
    elif kind in ("baseline", "minilm"):
        with threadpool_limits(limits=1, user_api="blas"):  # as ThemeModel does
            if kind == "baseline":
                labels, chosen = baseline(texts, true_n)
            else:
                labels, chosen = minilm_baseline(texts, None if auto else true_n, embedded)
    else:
        model = ThemeModel(
            n_themes=None if auto else true_n, engine=kind, lexical_weight=weight
        ).fit(texts)
        labels, chosen = model.labels_, model.n_themes_
        weight = model.weight_
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if kind.startswith("embed") and embedded:
        np.save(embedded, vectors)
    return {
        "n": len(texts),
        "true_n": true_n,
        "chosen": int(chosen),
        "nmi": float(normalized_mutual_info_score(truth, labels)),
        "ari": float(adjusted_rand_score(truth, labels)),
        "seconds": seconds,
        "mib": (after - before) / 1024,  # ru_maxrss is in KiB on Linux
        "weight": weight,
    }


def run(
    data: str,
    kind: str,
    auto: bool,
    sample: int | None,
    weight: float | None = None,
    embedded: str | None = None,
) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", kind, "--data", data]
    if weight is not None:
        command += ["--weight", str(weight)]
    if auto:
        command.append("--auto")
    if sample is not None:
        command += ["--sample", str(sample)]
    if embedded is not None:
        command += ["--embedded", embedded]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


Row = tuple[str, str, bool, float | None, str | None]


def rows_for(engines: list[str], shared: str | None) -> list[Row]:
    """(title, kind, automatic, lexical_weight, embeddings file) of every row of one data set."""
    reused = " + embeddings" if shared else ""
    exact = shared.replace(".npy", "-float.npy") if shared else None
    rows: list[Row] = []
    if shared:
        rows.append(("MiniLM embeddings only (default runtime)", "embed", False, None, shared))
        rows.append(("MiniLM embeddings only (float32 graph)", "embed-float", False, None, exact))
    rows.append(("baseline: TF-IDF → LSA(100) → k-means", "baseline", False, None, None))
    semantic = "semantic" in engines
    if semantic:
        rows.append(
            (f"anchor: MiniLM → k-means, true number{reused}", "minilm", False, None, exact)
        )
        rows.append((f"anchor: MiniLM → k-means, automatic{reused}", "minilm", True, None, exact))
    for engine in engines:
        extra = reused if engine == "semantic" else ""
        file = shared if engine == "semantic" else None
        rows.append((f"{engine}, true number{extra}", engine, False, None, file))
        rows.append((f"{engine}, automatic{extra}", engine, True, None, file))
    if semantic:
        rows.append(
            (f"semantic, weight 0 (before), true number{reused}", "semantic", False, 0.0, shared)
        )
        rows.append(
            (f"semantic, weight 0 (before), automatic{reused}", "semantic", True, 0.0, shared)
        )
    return rows


def verdict(results: dict[tuple[str, bool, float | None], dict[str, Any]]) -> list[str]:
    """Whether the semantic engine scored at least the better of the lexical engine and the
    MiniLM + k-means anchor, with the true and with the automatic number of themes."""
    lines = []
    for auto in (False, True):
        ours = results.get(("semantic", auto, None))
        rivals = [results.get((kind, auto, None)) for kind in ("lexical", "minilm")]
        if ours is None or any(r is None for r in rivals):
            continue
        best = max(r["nmi"] for r in rivals if r is not None)
        state = "met" if ours["nmi"] >= best else "NOT met"
        number = "automatic number" if auto else "true number"
        lines.append(f"  {number}: semantic {ours['nmi']:.3f} vs best rival {best:.3f}: {state}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["lexical", "semantic", "all"], default="all")
    parser.add_argument("--data", choices=[*DATA_SETS, "all"], default="all")
    parser.add_argument("--sample", type=int, default=None, help="use N random texts")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--embed-once", action="store_true", help="embed once for all rows")
    parser.add_argument("--auto", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--weight", type=float, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--embedded", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        global DATA
        DATA = DATA_DIR / f"{args.data}.csv"
        print(json.dumps(worker(args.worker, args.auto, args.sample, args.weight, args.embedded)))
        return

    from analysis.themes import semantic

    engines = ["lexical", "semantic"] if args.engine == "all" else [args.engine]
    if "semantic" in engines and not semantic.available():
        print("semantic engine not available here: skipped")
        engines.remove("semantic")
    for data in DATA_SETS if args.data == "all" else (args.data,):
        folder = (
            tempfile.TemporaryDirectory() if "semantic" in engines and args.embed_once else None
        )
        shared = f"{folder.name}/embeddings.npy" if folder else None
        print(f"\n{data} ({DATA_DIR / data}.csv), sample: {args.sample or 'all'}")
        header = f"{'run':56s} {'texts':>6s} {'n':>4s} {'weight':>6s} {'NMI':>6s} {'ARI':>6s}"
        print(f"{header} {'s':>7s} {'texts/s':>8s} {'peak MiB':>9s}")
        results: dict[tuple[str, bool, float | None], dict[str, Any]] = {}
        try:
            for title, kind, auto, weight, embedded in rows_for(engines, shared):
                result = run(data, kind, auto, args.sample, weight, embedded)
                if "error" in result:
                    print(f"{title:56s} failed: {result['error']}")
                    continue
                results[(kind, auto, weight)] = result
                chosen_weight = "" if result["weight"] is None else f"{result['weight']:.2f}"
                print(
                    f"{title:56s} {result['n']:6d} {result['chosen']:4d} {chosen_weight:>6s} "
                    f"{result['nmi']:6.3f} {result['ari']:6.3f} {result['seconds']:7.1f} "
                    f"{result['n'] / result['seconds']:8.0f} {result['mib']:9.0f}",
                    flush=True,
                )
        finally:
            if folder is not None:
                folder.cleanup()
        for line in verdict(results):
            print(line)
    print("n: themes asked for or chosen; weight: the lexical weight the semantic engine used;")
    print("peak MiB: ru_maxrss growth during the fit")


if __name__ == "__main__":
    main()
