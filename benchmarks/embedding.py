"""Benchmark: comments embedded per second, model load included, by each runtime.

For each data set (CLINC150's short requests and biomedical20's paper titles, both in
``/work/shared/data``; see that folder's README for their sources and licences) it draws the
same 4,000 texts (seeded), then, for ONNX Runtime on the 8-bit graph (``int8``, each comment
alone) and on the float graph (``onnx``), and for sentence-transformers on torch, starts a
fresh Python process that imports :mod:`analysis.themes.semantic`, loads the model
and embeds the texts with :func:`~analysis.themes.semantic.embed`. Each row reports:

* ``import s``: importing ``analysis.themes`` (scikit-learn, which the themes need anyway);
* ``load s``: the runtime's import and the model's load (with one short text embedded, so
  the load is complete): torch and sentence-transformers, or ONNX Runtime and tokenizers;
* ``total s`` and ``texts/s``: from before the import to the last vector, the figure the
  issue's target (400 texts/s) is about; ``w/o import`` leaves the package import out;
* ``CPU s``: the process's CPU time, which other work on a shared machine disturbs less
  than wall time does;
* ``threads``: the threads the module chose (2 when a core is spare, else 1) and the
  1-minute load average when the process started.

Then, per data set, the largest difference between each runtime's vectors and torch's (per
coordinate, and the lowest and mean cosine), and the NMI against the labels of scikit-learn
k-means at the true number of topics on each runtime's vectors: the same to within k-means'
own jitter means the runtime does not change the themes.

The vectors pass between processes in a temporary folder that is deleted at the end (the
texts are public). Run with ``.venv/bin/python benchmarks/embedding.py [--texts N]
[--repeat R] [--runtime int8|onnx|torch|all]``. It prints a table and asserts nothing. Timings on
the shared 2-core machine are noisy: run it when the machine is quiet, or with ``--repeat``
and read the best run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATA = {
    "clinc150": Path("/work/shared/data/clinc150.csv"),
    "biomedical20": Path("/work/shared/data/biomedical20.csv"),
}
RUNTIMES = ("int8", "onnx", "torch")


def sample(path: Path, count: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """``count`` texts and their labels drawn without replacement, the same every run."""
    import numpy as np

    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    keep = np.sort(
        np.random.default_rng(seed).choice(len(rows), min(count, len(rows)), replace=False)
    )
    return [rows[i]["text"] for i in keep], [rows[i]["label"] for i in keep]


def child(data: str, runtime: str, count: int, out: Path) -> None:
    """One timed run in this (fresh) process; prints a JSON line and saves the vectors."""
    texts, _ = sample(DATA[data], count)
    load_average = os.getloadavg()[0]
    cpu_start = time.process_time()
    start = time.perf_counter()
    from analysis.themes import semantic

    imported = time.perf_counter()
    semantic.embed(["warm up"], runtime=runtime)  # type: ignore[arg-type]
    loaded = time.perf_counter()
    threads = semantic._threads(os.cpu_count() or 1)
    vectors = semantic.embed(texts, runtime=runtime)  # type: ignore[arg-type]
    end = time.perf_counter()
    cpu = time.process_time() - cpu_start
    import numpy as np

    np.save(out, vectors)
    report = {
        "import": imported - start,
        "load": loaded - imported,
        "total": end - start,
        "cpu": cpu,
        "threads": threads,
        "load_average": load_average,
    }
    print(json.dumps(report))


def run_child(data: str, runtime: str, count: int, out: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", data, runtime, str(count), str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{data}/{runtime} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def nmi(vectors: Any, labels: list[str]) -> float:
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score

    k = len(set(labels))
    found = KMeans(n_clusters=k, n_init=1, random_state=0).fit_predict(vectors)
    return float(normalized_mutual_info_score(labels, found))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=1, help="fresh processes per row")
    parser.add_argument("--runtime", choices=(*RUNTIMES, "all"), default="all")
    parser.add_argument("--data", choices=(*DATA, "all"), default="all")
    parser.add_argument("--child", nargs=4, metavar=("DATA", "RUNTIME", "N", "OUT"))
    arguments = parser.parse_args()
    if arguments.child:
        data, runtime, count, out = arguments.child
        child(data, runtime, int(count), Path(out))
        return

    import numpy as np

    from analysis.themes import semantic

    runtimes = RUNTIMES if arguments.runtime == "all" else (arguments.runtime,)
    datasets = tuple(DATA) if arguments.data == "all" else (arguments.data,)
    print(f"default runtime here: {semantic.active_runtime()}; {os.cpu_count()} cores")
    print(
        f"{'data':<13} {'runtime':<8} {'import s':>8} {'load s':>7} {'total s':>8} "
        f"{'texts/s':>8} {'w/o import':>10} {'CPU s':>6} {'threads':>7} {'load avg':>8}"
    )
    with tempfile.TemporaryDirectory(prefix="embedding-bench-") as folder:
        for data in datasets:
            texts, labels = sample(DATA[data], arguments.texts)
            saved: dict[str, Path] = {}
            for runtime in runtimes:
                for attempt in range(arguments.repeat):
                    out = Path(folder) / f"{data}-{runtime}-{attempt}.npy"
                    row = run_child(data, runtime, arguments.texts, out)
                    saved[runtime] = out
                    print(
                        f"{data:<13} {runtime:<8} {row['import']:>8.2f} {row['load']:>7.2f} "
                        f"{row['total']:>8.2f} {len(texts) / row['total']:>8.0f} "
                        f"{len(texts) / (row['total'] - row['import']):>10.0f} {row['cpu']:>6.1f} "
                        f"{row['threads']:>7} {row['load_average']:>8.2f}",
                        flush=True,
                    )
            if "torch" in saved:
                reference = np.load(saved["torch"])
                for name in (runtime for runtime in runtimes if runtime != "torch"):
                    vectors = np.load(saved[name])
                    cosine = (vectors * reference).sum(axis=1)
                    largest = np.abs(vectors - reference).max()
                    print(
                        f"{data:<13} {name} vs torch: largest difference {largest:.2e}, "
                        f"cosine lowest {cosine.min():.5f}, mean {cosine.mean():.5f}; k-means "
                        f"NMI at k={len(set(labels))}: {name} {nmi(vectors, labels):.4f}, "
                        f"torch {nmi(reference, labels):.4f}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
