"""Sentence embeddings from the packaged model: shape, unit rows, meaning, and no network."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from analysis.themes import semantic

needs_extra = pytest.mark.skipif(
    not semantic.available(), reason="the 'semantic' extra (torch, sentence-transformers) is absent"
)


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


@needs_extra
@pytest.mark.usefixtures("offline")
def test_embed_restores_the_torch_thread_setting() -> None:
    import torch

    before = torch.get_num_threads()
    wanted = 3
    torch.set_num_threads(wanted)
    try:
        semantic.embed(["The rota changes too often."])
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


def test_threads_follow_the_machine_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(semantic.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(semantic.os, "getloadavg", lambda: (0.4, 0.0, 0.0))
    assert semantic._threads(2) == 2
    monkeypatch.setattr(semantic.os, "getloadavg", lambda: (2.7, 0.0, 0.0))
    assert semantic._threads(2) == 1
