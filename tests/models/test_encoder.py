"""The real MiniLM sentence encoder, loaded offline from its bundled package."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.errors import ModelError
from models.encoder import DIM, SentenceEncoder, load_sentence_encoder


@pytest.fixture(scope="session")
def encoder() -> SentenceEncoder:
    """The process-wide encoder (shared with every other test that loads it)."""
    return load_sentence_encoder()


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


def test_rows_are_unit_length_and_384_wide(encoder: SentenceEncoder) -> None:
    out = encoder.encode(["Who else is involved in the decision?", "Hi.", "x " * 400])
    assert DIM == 384
    assert out.shape == (3, DIM)
    assert out.dtype == np.float32
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert np.all(np.isfinite(out))


def test_paraphrases_are_closer_than_unrelated_sentences(encoder: SentenceEncoder) -> None:
    a, b, c, d = encoder.encode(
        [
            "Who else is involved in the buying decision?",
            "Which other people have a say in the purchase?",
            "The weather at the beach was lovely this weekend.",
            "I'll send over the proposal by Friday.",
        ]
    )
    close = cosine(a, b)
    assert close > 0.4
    assert close > cosine(a, c) + 0.3
    assert close > cosine(a, d)
    assert cosine(a, a) == pytest.approx(1.0, abs=1e-5)


def test_encoding_is_deterministic_and_independent_of_batching(encoder: SentenceEncoder) -> None:
    texts = ["Short one.", "A somewhat longer sentence about budgets and prices.", "Mid length."]
    first = encoder.encode(texts)
    assert np.array_equal(first, encoder.encode(texts))
    # rows do not depend on order or batch size (sorting by length, padding)
    reordered = encoder.encode(texts[::-1])[::-1]
    assert np.allclose(first, reordered, atol=1e-5)
    one_by_one = encoder.encode(texts, batch_size=1)
    assert np.allclose(first, one_by_one, atol=1e-5)


def test_empty_input_gives_an_empty_matrix(encoder: SentenceEncoder) -> None:
    out = encoder.encode([])
    assert out.shape == (0, DIM)
    assert out.dtype == np.float32


def test_load_sentence_encoder_is_loaded_once(encoder: SentenceEncoder) -> None:
    assert load_sentence_encoder() is encoder
    assert encoder.name == "all-MiniLM-L6-v2"


def test_missing_model_dir_is_a_model_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEALPROOF_ENCODER_DIR", str(tmp_path))
    with pytest.raises(ModelError, match=r"config\.json missing") as caught:
        SentenceEncoder()
    assert str(tmp_path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_broken_model_dir_is_a_model_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.json").write_text("{not json")
    monkeypatch.setenv("DEALPROOF_ENCODER_DIR", str(tmp_path))
    with pytest.raises(ModelError, match="cannot load the sentence encoder"):
        SentenceEncoder()
