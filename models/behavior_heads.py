"""Trained behavior heads: logistic regressions over sentence embeddings plus rule features.

Features of a segment (see ``segment_features``):
- the MiniLM embedding of the segment (384),
- the MiniLM embedding of its context, the previous utterance by another speaker (384), so
  that an answer ("my CFO signs off") is read with its question ("who else decides?"),
- the speaker's role (rep, prospect, unknown),
- where the segment's turn is in the conversation (from -0.5 for the first to 0.5 for the
  last; whether it is in the opening or the close): agendas open a call and next steps
  close it (only the heads of ``models.training.POSITION_HEADS`` weigh it). A sentence on
  its own (a written training example) is all zeros, a turn in the middle of a call: a flag
  for "position known" would only learn how much rarer each behavior is in a whole
  conversation than among the written examples, and then lower every real call's
  probabilities by it,
- rule features: which behaviors' cue patterns matched (models/patterns/cues.jsonl), whether a
  date expression, a money amount, or a question is in the segment.

The classifier thus learns how far to trust each rule; the hard rules applied after it are
in engine/behaviors/decide.py. Heads live in ``models/heads/`` (an .npz of weights and a JSON
of metadata), produced by ``dealproof train behaviors``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.behaviors.catalog import HEADS, SUBTYPE_HEADS, SUBTYPES
from engine.dates import find_date_expressions
from engine.errors import ModelError
from engine.money import find_money
from engine.types import FloatArray, Role
from models.encoder import DIM

HEADS_DIR = "heads"
WEIGHTS_FILE = "behavior_heads.npz"
META_FILE = "behavior_heads.json"
RULE_FEATURES = (*(f"cue:{h}" for h in HEADS), "has_date", "has_money", "is_question")
ROLE_FEATURES = ("rep", "prospect", "unknown")
POSITION_FEATURES = ("position", "opening", "closing")
OPENING, CLOSING = 0.1, 0.85
"""A turn in the first tenth of a conversation is in its opening, past 85% in its close."""
POSITION_COLUMNS = slice(
    2 * DIM + len(ROLE_FEATURES), 2 * DIM + len(ROLE_FEATURES) + len(POSITION_FEATURES)
)
"""Where the position features are in a row of ``segment_features``."""


@dataclass(frozen=True)
class SegmentRules:
    """The rule-based facts about one segment that feed the classifier."""

    cues: frozenset[str]
    has_date: bool
    has_money: bool
    is_question: bool


def segment_rules(text: str, cues: frozenset[str]) -> SegmentRules:
    return SegmentRules(
        cues=cues,
        has_date=bool(find_date_expressions(text)),
        has_money=bool(find_money(text)),
        is_question="?" in text,
    )


def segment_features(
    embeddings: FloatArray,
    context_embeddings: FloatArray,
    roles: Sequence[Role | None],
    rules: Sequence[SegmentRules],
    positions: Sequence[float | None],
) -> FloatArray:
    """The feature matrix, one row per segment (order as documented above)."""
    n = embeddings.shape[0]
    role_part = np.zeros((n, len(ROLE_FEATURES)), dtype=np.float32)
    position_part = np.zeros((n, len(POSITION_FEATURES)), dtype=np.float32)
    rule_part = np.zeros((n, len(RULE_FEATURES)), dtype=np.float32)
    for i, (role, r, at) in enumerate(zip(roles, rules, positions, strict=True)):
        role_part[i, ROLE_FEATURES.index(role or "unknown")] = 1.0
        if at is not None:
            position_part[i] = (at - 0.5, float(at < OPENING), float(at > CLOSING))
        for j, head in enumerate(HEADS):
            rule_part[i, j] = float(head in r.cues)
        rule_part[i, len(HEADS)] = float(r.has_date)
        rule_part[i, len(HEADS) + 1] = float(r.has_money)
        rule_part[i, len(HEADS) + 2] = float(r.is_question)
    return np.hstack([embeddings, context_embeddings, role_part, position_part, rule_part]).astype(
        np.float32
    )


@dataclass(frozen=True)
class BehaviorHeads:
    """Binary heads (one per entry of ``HEADS``) and subtype heads, with their thresholds."""

    weights: npt.NDArray[np.float64]  # (heads, features)
    bias: npt.NDArray[np.float64]  # (heads,)
    thresholds: npt.NDArray[np.float64]  # (heads,)
    subtype_weights: dict[str, npt.NDArray[np.float64]]  # behavior -> (subtypes, features)
    subtype_bias: dict[str, npt.NDArray[np.float64]]
    subtype_labels: dict[str, tuple[str, ...]]
    version: str
    meta: dict[str, Any]

    def probabilities(self, features: FloatArray) -> npt.NDArray[np.float64]:
        """P(behavior) per segment and head, shape ``(segments, len(HEADS))``."""
        z = features.astype(np.float64) @ self.weights.T + self.bias
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    def subtype(self, behavior: str, features: FloatArray) -> list[tuple[str, float]]:
        """The most likely subtype of ``behavior`` per segment, with its probability."""
        if behavior not in self.subtype_weights:
            return [("", 0.0)] * features.shape[0]
        z = features.astype(np.float64) @ self.subtype_weights[behavior].T
        z += self.subtype_bias[behavior]
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        labels = self.subtype_labels[behavior]
        best = p.argmax(axis=1)
        return [(labels[int(b)], float(p[i, b])) for i, b in enumerate(best)]

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, npt.NDArray[np.float64]] = {
            "weights": self.weights,
            "bias": self.bias,
            "thresholds": self.thresholds,
        }
        for b in self.subtype_weights:
            arrays[f"subtype_weights:{b}"] = self.subtype_weights[b]
            arrays[f"subtype_bias:{b}"] = self.subtype_bias[b]
        np.savez_compressed(directory / WEIGHTS_FILE, **arrays)  # type: ignore[arg-type]
        meta = dict(self.meta)
        meta.update(
            version=self.version,
            heads=list(HEADS),
            rule_features=list(RULE_FEATURES),
            role_features=list(ROLE_FEATURES),
            position_features=list(POSITION_FEATURES),
            subtype_labels={k: list(v) for k, v in self.subtype_labels.items()},
        )
        (directory / META_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def load_heads(directory: Path | None = None) -> BehaviorHeads:
    """The heads in ``directory`` (default: those shipped in ``models/heads``)."""
    if directory is None:
        base = resources.files("models").joinpath(HEADS_DIR)
        weights_src, meta_src = base.joinpath(WEIGHTS_FILE), base.joinpath(META_FILE)
    else:
        weights_src, meta_src = directory / WEIGHTS_FILE, directory / META_FILE
    if not weights_src.is_file() or not meta_src.is_file():
        raise ModelError(
            f"no trained behavior heads in {directory or 'models/heads'}: "
            "run 'dealproof train behaviors'"
        )
    meta = json.loads(meta_src.read_text("utf-8"))
    if (
        meta.get("heads") != list(HEADS)
        or meta.get("rule_features") != list(RULE_FEATURES)
        or meta.get("position_features") != list(POSITION_FEATURES)
    ):
        raise ModelError(
            "the behavior heads do not match this code: run 'dealproof train behaviors'"
        )
    with weights_src.open("rb") as f:
        data = np.load(f)
        arrays = {k: np.asarray(data[k]) for k in data.files}
    subtype_labels = {k: tuple(v) for k, v in meta.get("subtype_labels", {}).items()}
    return BehaviorHeads(
        weights=arrays["weights"],
        bias=arrays["bias"],
        thresholds=arrays["thresholds"],
        subtype_weights={b: arrays[f"subtype_weights:{b}"] for b in subtype_labels},
        subtype_bias={b: arrays[f"subtype_bias:{b}"] for b in subtype_labels},
        subtype_labels=subtype_labels,
        version=str(meta["version"]),
        meta=meta,
    )


@lru_cache(maxsize=1)
def load_default_heads() -> BehaviorHeads:
    return load_heads()


__all__ = [
    "HEADS",
    "SUBTYPES",
    "SUBTYPE_HEADS",
    "BehaviorHeads",
    "SegmentRules",
    "load_default_heads",
    "load_heads",
    "segment_features",
    "segment_rules",
]
