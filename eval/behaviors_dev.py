"""Leave-one-series-out figures on the training meetings: what behavior changes are judged on.

``python -m eval.behaviors_dev [--json OUT] [--errors OUT]``

The held-out sets (AMI ES2003a-d, the team's sales calls) are measured once per change, after
it is chosen; a change is chosen on this figure, which touches neither. The training meetings
fall into five series (ES2002a-d with the public labels, ES2005-ES2008 with the team's). For
each series, heads are trained exactly as ``dealproof train behaviors`` trains them
(``models.training.train_heads``: the same written sentences, earnings negatives, inner
cross-validation for regularization and thresholds) on everything but that series, and then
detect on its meetings through ``decide`` as ``detect_behaviors`` does; every detection and
label of the five folds is scored together as ``dealproof eval behaviors`` scores (moment
level, BEHAVIORS.md). In the fold without ES2002 the agenda head has no meeting at all, as
only the public labels train it. Only the four core heads are fit: the others decide none of
the scored behaviors.

The team's sales development calls (``eval/dev``, written apart from both the training data
and the held-out calls) are scored too, by every head trained on all the training data,
through ``detect_behaviors`` itself (so the further behaviors they label are scored too):
the meetings are no sales calls, and this is where a change meets sales language before the
held-out calls see it.

Sentence embeddings of the whole training set are computed once and kept in the cache
directory (``models.registry.cache_dir``), keyed by the texts and the encoder, so a change
of rules or features is judged in minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from engine.attribution import utterances_from_transcript
from engine.behaviors.catalog import FURTHER, SCORED
from engine.behaviors.decide import best_per_utterance, decide
from engine.behaviors.segments import Segment, segment_utterances
from engine.types import FloatArray
from eval.behaviors import SetScore, evidence_turns, format_score, score_call, score_turns
from eval.labeled import SALES_DEV, LabeledCall, ami_calls, sales_calls
from models.behavior_heads import POSITION_COLUMNS, RULE_FEATURES, BehaviorHeads
from models.encoder import load_sentence_encoder
from models.registry import cache_dir
from models.training import (
    CORE_HEADS,
    REGULARIZATION_C,
    Example,
    embed,
    features_of,
    train_heads,
    training_examples,
)

HAS_DATE = POSITION_COLUMNS.stop + RULE_FEATURES.index("has_date")
"""The has_date rule feature's column in ``segment_features``."""


def series_of(call_id: str) -> str:
    """The AMI series of a meeting: ES2002a -> ES2002."""
    return call_id[:-1]


def cached_features(examples: Sequence[Example]) -> FloatArray:
    """``featurize(examples)``; the embeddings, its slow part, come from the cache when
    these examples were embedded before."""
    encoder = load_sentence_encoder()
    key = hashlib.sha256(encoder.name.encode())
    for e in examples:
        key.update(f"{e.text}\x1f{e.context}\x1e".encode())
    path = cache_dir() / "dev" / f"embeddings-{key.hexdigest()[:16]}.npz"
    if path.is_file():
        with np.load(path) as cached:
            embeddings, context = cached["embeddings"], cached["context"]
    else:
        embeddings, context = embed(examples, encoder)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, embeddings=embeddings, context=context)
    return features_of(examples, embeddings, context)


def detected_turns(
    heads: BehaviorHeads, segments: Sequence[Segment], x: FloatArray
) -> dict[str, set[int]]:
    """The turns holding each behavior, as ``detect_behaviors`` decides them, from one
    conversation's ``segments`` and their features ``x`` (a row each, in order)."""
    if len(segments) != x.shape[0]:
        raise ValueError(f"{len(segments)} segments but {x.shape[0]} feature rows")
    has_date = [bool(v) for v in x[:, HAS_DATE]]
    detections = best_per_utterance(
        decide(segments, heads.probabilities(x), heads.thresholds, has_date), segments
    )
    out: dict[str, set[int]] = {}
    for d in detections:
        out.setdefault(d.behavior, set()).add(segments[d.segment].utterance_index)
    return out


def dev_scores(
    examples: Sequence[Example], x: FloatArray, errors: list[str] | None = None
) -> tuple[SetScore, dict[str, SetScore]]:
    """The five folds scored together, and each series (fold) on its own, from the training
    ``examples`` and their features ``x``; with ``errors``, every false detection and missed
    label is appended to it as a line (``error_lines``)."""
    calls = sorted({e.call_id for e in examples if e.source == "ami"})
    total = SetScore("training meetings, leave one series out", trained_on=False)
    folds: dict[str, SetScore] = {}
    for series in sorted({series_of(c) for c in calls}):
        keep = [i for i, e in enumerate(examples) if series_of(e.call_id or "__") != series]
        heads = train_heads(
            [examples[i] for i in keep], x[keep], c=REGULARIZATION_C, only=CORE_HEADS
        )
        folds[series] = SetScore(series, trained_on=False)
        for call in ami_calls(tuple(c for c in calls if series_of(c) == series)):
            rows = [i for i, e in enumerate(examples) if e.call_id == call.call_id]
            utterances, _ = utterances_from_transcript(call.transcript)
            segments = segment_utterances(utterances)
            detected = detected_turns(heads, segments, x[rows])
            score_turns(total, call, detected)
            score_turns(folds[series], call, detected)
            if errors is not None:
                errors.extend(error_lines(call, [u.text for u in utterances], detected))
        print(f"  {series}: done", file=sys.stderr)
    return total, folds


def sales_dev_score(
    examples: Sequence[Example], x: FloatArray, errors: list[str] | None = None
) -> SetScore:
    """The sales development calls, detected by ``detect_behaviors`` with heads trained on
    all of ``examples`` (features ``x``) as ``dealproof train behaviors`` trains them."""
    from pipelines.behaviors import detect_behaviors, load_behavior_models

    heads = train_heads(examples, x, c=REGULARIZATION_C)
    models = replace(load_behavior_models(), heads=heads)
    score = SetScore("team's sales development calls", trained_on=False)
    for call in sales_calls(SALES_DEV):
        utterances, _ = utterances_from_transcript(call.transcript)
        evidence = detect_behaviors(
            utterances, call_id=call.call_id, call_start=call.transcript.call_start, models=models
        )
        score_call(score, call, evidence)
        if errors is not None:
            detected = evidence_turns(evidence)
            errors.extend(error_lines(call, [u.text for u in utterances], detected))
    return score


def error_lines(
    call: LabeledCall, texts: Sequence[str], detected: dict[str, set[int]]
) -> list[str]:
    """A line per false detection (``FP``) and missed label (``FN``) of one call, moment level
    (a turn either side counts, as in ``score_turns``): call, turn, behavior, the turn's text."""
    out: list[str] = []
    for behavior in (*SCORED, *FURTHER):
        labeled = {lab.turn for lab in call.labels if lab.behavior == behavior}
        found = detected.get(behavior, set())
        misses = [("FN", t) for t in sorted(labeled) if not found & {t - 1, t, t + 1}]
        false = [("FP", t) for t in sorted(found) if not labeled & {t - 1, t, t + 1}]
        for kind, t in false + misses:
            out.append(f"{kind}\t{behavior}\t{call.call_id}\t{t}\t{texts[t]}")
    return out


def format_folds(folds: dict[str, SetScore]) -> str:
    """One line per fold: its macro F1 and each scored behavior's F1 (its labels)."""
    lines = ["  per held-out series: macro F1, then F1 (labels) per behavior"]
    for name, s in folds.items():
        parts = [f"{b} {c.f1:.2f} ({c.labeled})" for b, c in s.moment.items()]
        lines.append(f"  {name}: {s.macro_f1:.3f}   " + ", ".join(parts))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.behaviors_dev", description=__doc__)
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write JSON")
    parser.add_argument(
        "--errors", type=Path, metavar="OUT", help="write false detections and misses (TSV)"
    )
    args = parser.parse_args(argv)
    errors: list[str] | None = [] if args.errors is not None else None
    examples = training_examples()
    x = cached_features(examples)
    total, folds = dev_scores(examples, x, errors)
    sales = sales_dev_score(examples, x, errors)
    print(format_score(total))
    print(format_folds(folds))
    print(format_score(sales))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        body = {
            **total.as_dict(),
            "folds": {k: v.as_dict() for k, v in folds.items()},
            "sales_dev": sales.as_dict(),
        }
        args.json.write_text(json.dumps(body, indent=2) + "\n")
    if args.errors is not None and errors is not None:
        args.errors.parent.mkdir(parents=True, exist_ok=True)
        args.errors.write_text("".join(f"{line}\n" for line in errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
