"""``dealproof eval behaviors``: detections scored against labeled conversations.

Scoring follows BEHAVIORS.md, "How detections are scored":
- moment level, per behavior: a detection is correct when a labeled turn of the same behavior
  is its own turn or next to it; precision = correct detections / detections; recall =
  labeled turns with a detection of that behavior at or next to them / labeled turns;
- call level: present / absent per behavior per call;
- next_step_dated vs next_step_undated confusions count as errors for both;
- the summary figure is the macro F1 over the five scored behaviors; the further behaviors
  the sales calls label (pain, timeline, competitor, pricing objection) are scored the same
  way and reported apart.
Subtype agreement, resolved due dates and extracted amounts (with their currency) are
reported apart, not in F1.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.attribution import utterances_from_transcript
from engine.behaviors.catalog import FURTHER, SCORED
from engine.types import Evidence, Utterance
from eval.labeled import AMI_HELD_OUT, AMI_TRAIN, LabeledCall, ami_calls, sales_calls

if TYPE_CHECKING:
    from pipelines.behaviors import BehaviorModels


@dataclass
class Counts:
    detections: int = 0
    correct: int = 0
    labeled: int = 0
    found: int = 0

    @property
    def precision(self) -> float:
        return self.correct / self.detections if self.detections else 0.0

    @property
    def recall(self) -> float:
        return self.found / self.labeled if self.labeled else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "detections": self.detections,
            "correct": self.correct,
            "labeled": self.labeled,
            "found": self.found,
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "f1": round(self.f1, 3),
        }


@dataclass
class SetScore:
    name: str
    trained_on: bool
    calls: int = 0
    moment: dict[str, Counts] = field(default_factory=lambda: {b: Counts() for b in SCORED})
    call_level: dict[str, Counts] = field(default_factory=lambda: {b: Counts() for b in SCORED})
    further: dict[str, Counts] = field(default_factory=lambda: {b: Counts() for b in FURTHER})
    confusion: dict[str, dict[str, int]] = field(
        default_factory=lambda: {
            lab: {"next_step_dated": 0, "next_step_undated": 0, "none": 0}
            for lab in ("next_step_dated", "next_step_undated")
        }
    )
    subtype_agree: int = 0
    subtype_total: int = 0
    due_agree: int = 0
    due_total: int = 0
    amount_agree: int = 0
    amount_total: int = 0

    @property
    def macro_f1(self) -> float:
        return sum(c.f1 for c in self.moment.values()) / len(self.moment)

    def as_dict(self) -> dict[str, Any]:
        return {
            "set": self.name,
            "trained_on": self.trained_on,
            "calls": self.calls,
            "macro_f1": round(self.macro_f1, 3),
            "moment": {b: c.as_dict() for b, c in self.moment.items()},
            "call_level": {b: c.as_dict() for b, c in self.call_level.items()},
            "further": {b: c.as_dict() for b, c in self.further.items() if c.labeled},
            "next_step_confusion": self.confusion,
            "subtype_agreement": [self.subtype_agree, self.subtype_total],
            "due_agreement": [self.due_agree, self.due_total],
            "amount_agreement": [self.amount_agree, self.amount_total],
        }


def _turn_of(e: Evidence) -> int:
    return int(e.utterance_ids[0][1:])


def evidence_turns(evidence: Sequence[Evidence]) -> dict[str, set[int]]:
    """The turns (transcript indices) holding each behavior's evidence."""
    detected: dict[str, set[int]] = {}
    for e in evidence:
        detected.setdefault(e.behavior, set()).add(_turn_of(e))
    return detected


def score_call(score: SetScore, call: LabeledCall, evidence: Sequence[Evidence]) -> None:
    """Add one call's detections and labels to ``score``."""
    score_turns(score, call, evidence_turns(evidence))
    for lab in call.labels:
        same = [e for e in evidence if e.behavior == lab.behavior and _turn_of(e) == lab.turn]
        if lab.subtype and same:
            score.subtype_total += 1
            score.subtype_agree += int(any(e.subtype == lab.subtype for e in same))
        if lab.behavior == "next_step_dated" and lab.due and same:
            score.due_total += 1
            score.due_agree += int(any(str(e.fields.get("due")) == lab.due for e in same))
        if lab.behavior == "budget_discussed" and lab.amount is not None and same:
            score.amount_total += 1
            score.amount_agree += int(
                any(
                    e.fields.get("amount") == lab.amount
                    and e.fields.get("currency") == lab.currency
                    for e in same
                )
            )


def score_turns(score: SetScore, call: LabeledCall, detected_turns: Mapping[str, set[int]]) -> None:
    """Add one call's labels and its detected turns (per behavior) to the moment-level and
    call-level counts and the next-step confusion of ``score``."""
    score.calls += 1
    for lab in call.labels:
        if lab.behavior in score.confusion:
            near = {
                b
                for b in score.confusion[lab.behavior]
                if detected_turns.get(b, set()) & {lab.turn - 1, lab.turn, lab.turn + 1}
            }
            key = lab.behavior if lab.behavior in near else (min(near) if near else "none")
            score.confusion[lab.behavior][key] += 1
    for behavior in (*SCORED, *FURTHER):
        labeled = {lab.turn for lab in call.labels if lab.behavior == behavior}
        detected = detected_turns.get(behavior, set())
        m = score.moment[behavior] if behavior in score.moment else score.further[behavior]
        m.detections += len(detected)
        m.correct += sum(1 for t in detected if labeled & {t - 1, t, t + 1})
        m.labeled += len(labeled)
        m.found += sum(1 for t in labeled if detected & {t - 1, t, t + 1})
        if behavior not in score.call_level:
            continue
        c = score.call_level[behavior]
        c.detections += int(bool(detected))
        c.correct += int(bool(detected) and bool(labeled))
        c.labeled += int(bool(labeled))
        c.found += int(bool(detected) and bool(labeled))


def score_detections(
    score: SetScore,
    call: LabeledCall,
    utterances: Sequence[Utterance],
    models: BehaviorModels,
) -> None:
    """Detect behaviors in ``utterances`` (the call's, or words put back in its turns) and add
    them and the call's labels to ``score``."""
    from pipelines.behaviors import detect_behaviors

    evidence = detect_behaviors(
        utterances, call_id=call.call_id, call_start=call.transcript.call_start, models=models
    )
    score_call(score, call, evidence)


def evaluate(calls: Sequence[LabeledCall], name: str, *, trained_on: bool) -> SetScore:
    from pipelines.behaviors import load_behavior_models

    models = load_behavior_models()
    score = SetScore(name, trained_on)
    for call in calls:
        utterances, _ = utterances_from_transcript(call.transcript)
        score_detections(score, call, utterances, models)
    return score


def format_score(score: SetScore) -> str:
    flag = "  (TRAINED ON: not a fair figure)" if score.trained_on else "  (held out)"
    lines = [f"{score.name}: {score.calls} calls{flag}"]
    lines.append(f"  {'behavior':<28} {'P':>6} {'R':>6} {'F1':>6}   call-level P/R/F1")
    for b in SCORED:
        m, c = score.moment[b], score.call_level[b]
        lines.append(
            f"  {b:<28} {m.precision:6.2f} {m.recall:6.2f} {m.f1:6.2f}   "
            f"{c.precision:.2f}/{c.recall:.2f}/{c.f1:.2f}   "
            f"({m.correct}/{m.detections} correct, {m.found}/{m.labeled} found)"
        )
    lines.append(f"  macro F1 (moment level): {score.macro_f1:.3f}")
    further = [(b, m) for b, m in score.further.items() if m.labeled]
    if further:
        lines.append("  further behaviors, not in the macro F1 (moment level):")
    for b, m in further:
        lines.append(
            f"  {b:<28} {m.precision:6.2f} {m.recall:6.2f} {m.f1:6.2f}   "
            f"({m.correct}/{m.detections} correct, {m.found}/{m.labeled} found)"
        )
    for lab, row in score.confusion.items():
        lines.append(
            f"  labeled {lab:<18} → dated {row['next_step_dated']}, "
            f"undated {row['next_step_undated']}, none {row['none']}"
        )
    if score.subtype_total:
        lines.append(
            f"  subtype agreement on found turns: {score.subtype_agree}/{score.subtype_total}"
        )
    if score.due_total:
        lines.append(
            f"  due date agreement on found dated steps: {score.due_agree}/{score.due_total}"
        )
    if score.amount_total:
        lines.append(
            "  amount and currency agreement on found budget turns: "
            f"{score.amount_agree}/{score.amount_total}"
        )
    return "\n".join(lines)


def run_behavior_report(*, which: str = "all", json_out: Path | None = None) -> int:
    """Print the report for the held-out AMI meetings, the sales set and (marked as such)
    the AMI meetings the heads were trained on."""
    try:
        sets: list[SetScore] = []
        if which in ("all", "ami"):
            sets.append(
                evaluate(ami_calls(AMI_HELD_OUT), "AMI meetings ES2003a-d", trained_on=False)
            )
        if which in ("all", "sales"):
            sets.append(
                evaluate(sales_calls(), "sales calls (team-written, held out)", trained_on=False)
            )
        if which in ("all", "ami-train"):
            sets.append(evaluate(ami_calls(AMI_TRAIN), "AMI meetings ES2002a-d", trained_on=True))
    except FileNotFoundError as exc:
        print(f"dealproof: {exc}", file=sys.stderr)
        return 2
    for s in sets:
        print(format_score(s))
        print()
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps([s.as_dict() for s in sets], indent=2) + "\n")
    return 0
