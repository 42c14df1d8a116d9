"""``dealproof train behaviors``: fit the behavior heads from the team's data.

Training data, in this order:
1. ``models/behavior_data/examples.jsonl`` — sales sentences the team wrote by hand.
2. The labeled AMI meetings of ``eval.labeled.AMI_TRAIN`` (never the held-out ones): each
   segment of a labeled turn is a positive of that behavior; segments of turns that are
   neither labeled nor next to a label of a behavior are its negatives.
3. Segments of every fourth real earnings call as negatives of the four core heads (real
   business talk about costs, prices, decisions and dates that is not a sale).

Thresholds come from 5-fold cross-validation on this same data (the F1-best threshold of the
out-of-fold probabilities), so nothing is tuned on the held-out meetings or sales calls.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from engine.behaviors.catalog import HEADS, SUBTYPE_HEADS, SUBTYPES, head_of
from engine.behaviors.segments import segment_utterances
from engine.types import FloatArray, Role, Utterance
from models.behavior_heads import BehaviorHeads, segment_features, segment_rules
from models.encoder import DIM, SentenceEncoder, load_sentence_encoder
from models.nlp import load_nlp

IGNORE = -1
CORE_HEADS = ("agenda_set", "budget_discussed", "decision_process_confirmed", "next_step")
HEADS_VERSION_PREFIX = "1"


@dataclass(frozen=True)
class Example:
    text: str
    context: str
    role: Role | None
    labels: tuple[int, ...]
    """Per head in HEADS: 1 positive, 0 negative, -1 not used for that head."""
    subtypes: tuple[tuple[str, str], ...] = ()
    source: str = ""


def written_examples() -> list[Example]:
    """The hand-written sales examples (``behavior: null`` lines are negatives of all heads)."""
    text = resources.files("models").joinpath("behavior_data/examples.jsonl").read_text("utf-8")
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        behavior = d.get("behavior")
        head = head_of(behavior) if behavior else None
        labels = tuple(IGNORE if behavior == "rep_question" else int(h == head) for h in HEADS)
        subtypes = ((behavior, d["subtype"]),) if behavior and d.get("subtype") else ()
        out.append(
            Example(d["text"], d.get("context") or "", d.get("role"), labels, subtypes, "written")
        )
    return out


def ami_examples(meetings: Sequence[str]) -> list[Example]:
    """Segments of the labeled AMI meetings named (positives and safe negatives)."""
    from engine.attribution import utterances_from_transcript
    from eval.labeled import ami_calls

    out: list[Example] = []
    for call in ami_calls(tuple(meetings)):
        utterances, _ = utterances_from_transcript(call.transcript)
        by_turn: dict[int, set[str]] = {}
        subtypes: dict[int, list[tuple[str, str]]] = {}
        for lab in call.labels:
            by_turn.setdefault(lab.turn, set()).add(head_of(lab.behavior))
            if lab.subtype:
                subtypes.setdefault(lab.turn, []).append((lab.behavior, lab.subtype))
        for seg in segment_utterances(utterances):
            t = seg.utterance_index
            here = by_turn.get(t, set())
            near = by_turn.get(t - 1, set()) | by_turn.get(t + 1, set())
            labels = tuple(1 if h in here else IGNORE if h in near else 0 for h in HEADS)
            out.append(
                Example(seg.text, seg.context, seg.role, labels, tuple(subtypes.get(t, ())), "ami")
            )
    return out


def earnings_examples(every_call: int = 4, every_segment: int = 3) -> list[Example]:
    from eval.labeled import earnings_turns

    out: list[Example] = []
    labels = tuple(0 if h in CORE_HEADS else IGNORE for h in HEADS)
    for turns in earnings_turns(every_call):
        utterances = [
            Utterance(f"u{i}", f"S{i % 2}", None, None, None, text) for i, text in enumerate(turns)
        ]
        for seg in segment_utterances(utterances)[::every_segment]:
            out.append(Example(seg.text, seg.context, None, labels, (), "earnings"))
    return out


def featurize(examples: Sequence[Example], encoder: SentenceEncoder) -> FloatArray:
    nlp = load_nlp()
    texts = [e.text for e in examples]
    cues = list(nlp.cues(texts))
    rules = [segment_rules(t, c) for t, c in zip(texts, cues, strict=True)]
    embeddings = encoder.encode(texts)
    contexts = sorted({e.context for e in examples if e.context})
    encoded = encoder.encode(contexts)
    index = {c: i for i, c in enumerate(contexts)}
    context = np.zeros((len(examples), DIM), dtype=np.float32)
    for i, e in enumerate(examples):
        if e.context:
            context[i] = encoded[index[e.context]]
    return segment_features(embeddings, context, [e.role for e in examples], rules)


def _fit(x: FloatArray, y: npt.NDArray[np.int64], c: float) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    model.fit(x, y)
    return np.asarray(model.coef_[0], dtype=np.float64), float(model.intercept_[0])


def _stratified_folds(y: npt.NDArray[np.int64], folds: int) -> npt.NDArray[np.int64]:
    """Fold numbers dealing each class's rows round-robin, so every fold has positives."""
    out = np.zeros(len(y), dtype=np.int64)
    for value in np.unique(y):
        rows = np.flatnonzero(y == value)
        out[rows] = np.arange(len(rows)) % folds
    return out


def _best_threshold(y: npt.NDArray[np.int64], p: npt.NDArray[np.float64]) -> tuple[float, float]:
    best_t, best_f = 0.5, -1.0
    for t in np.arange(0.30, 0.96, 0.01):
        predicted = p >= t
        tp = float(np.sum(predicted & (y == 1)))
        fp = float(np.sum(predicted & (y == 0)))
        fn = float(np.sum(~predicted & (y == 1)))
        f = 2 * tp / max(1.0, 2 * tp + fp + fn)
        if f > best_f:
            best_t, best_f = float(t), f
    return round(best_t, 2), best_f


def train_heads(
    examples: Sequence[Example],
    x: FloatArray,
    *,
    c: float = 1.0,
    folds: int = 5,
    encoder: str = "all-MiniLM-L6-v2",
) -> BehaviorHeads:
    """Fit every head (thresholds from cross-validation) and the subtype heads."""
    labels = np.array([e.labels for e in examples], dtype=np.int64)
    weights = np.zeros((len(HEADS), x.shape[1]))
    bias = np.zeros(len(HEADS))
    thresholds = np.zeros(len(HEADS))
    report: dict[str, dict[str, float]] = {}
    for j, head in enumerate(HEADS):
        used = labels[:, j] != IGNORE
        xs, ys = x[used], labels[used, j]
        fs = _stratified_folds(ys, folds)
        oof = np.zeros(len(ys))
        for k in range(folds):
            w, b = _fit(xs[fs != k], ys[fs != k], c)
            oof[fs == k] = 1 / (1 + np.exp(-(xs[fs == k] @ w + b)))
        thresholds[j], f1 = _best_threshold(ys, oof)
        weights[j], bias[j] = _fit(xs, ys, c)
        report[head] = {"positives": int(ys.sum()), "examples": len(ys), "cv_f1": round(f1, 3)}
    sub_w, sub_b, sub_labels = _train_subtypes(examples, x, c)
    digest = hashlib.sha256(
        "\n".join(f"{e.source}|{e.role}|{e.text}|{e.context}|{e.labels}" for e in examples).encode()
    ).hexdigest()
    # The version names the data and every setting that changes the weights.
    setup = hashlib.sha256(f"{digest}|{encoder}|{c}|{folds}".encode()).hexdigest()
    version = f"{HEADS_VERSION_PREFIX}.{setup[:8]}"
    meta = {
        "trained": date.today().isoformat(),
        "data_sha256": digest,
        "encoder": encoder,
        "regularization_c": c,
        "sources": {
            s: sum(1 for e in examples if e.source == s)
            for s in sorted({e.source for e in examples})
        },
        "cross_validation": report,
        "thresholds": {h: float(t) for h, t in zip(HEADS, thresholds, strict=True)},
    }
    return BehaviorHeads(weights, bias, thresholds, sub_w, sub_b, sub_labels, version, meta)


def _train_subtypes(
    examples: Sequence[Example], x: FloatArray, c: float
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, tuple[str, ...]]]:
    from sklearn.linear_model import LogisticRegression

    weights, biases, names = {}, {}, {}
    for behavior in SUBTYPE_HEADS:
        rows, ys = [], []
        for i, e in enumerate(examples):
            for b, subtype in e.subtypes:
                if b == behavior and subtype in SUBTYPES[behavior]:
                    rows.append(i)
                    ys.append(subtype)
        present = tuple(sorted(set(ys)))
        if len(present) < 2:
            continue
        model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
        model.fit(x[rows], ys)
        classes = tuple(str(k) for k in model.classes_)
        coef = np.asarray(model.coef_, dtype=np.float64)
        intercept = np.asarray(model.intercept_, dtype=np.float64)
        if len(classes) == 2:  # sklearn keeps one row for two classes: make it explicit
            coef = np.vstack([-coef[0], coef[0]]) / 2
            intercept = np.array([-intercept[0], intercept[0]]) / 2
        weights[behavior], biases[behavior], names[behavior] = coef, intercept, classes
    return weights, biases, names


def train_behaviors(out_dir: Path, *, ami_meetings: Sequence[str] | None = None) -> BehaviorHeads:
    """Build the training set, fit, and save the heads to ``out_dir``."""
    from eval.labeled import AMI_TRAIN

    examples = written_examples()
    examples += ami_examples(AMI_TRAIN if ami_meetings is None else ami_meetings)
    examples += earnings_examples()
    encoder = load_sentence_encoder()
    x = featurize(examples, encoder)
    heads = train_heads(examples, x, encoder=encoder.name)
    heads.save(out_dir)
    return heads


def default_heads_dir() -> Path:
    return Path(__file__).resolve().parent / "heads"
