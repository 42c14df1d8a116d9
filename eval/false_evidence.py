"""How much evidence the engine finds in real business talk that is no sales call.

``python -m eval.false_evidence [--json OUT] [--examples N]``

The labeled sets are short, written or role-played conversations in which most turns carry
a behavior. A real sales call is longer and mostly talk that is none: product detail, the
buyer's business, small talk. What the engine says of such talk is measured here on the real
earnings calls of ``../shared/eval/text/earnings21`` that training never saw (training takes
every ``EARNINGS_EVERY``-th call as negatives; these are the others): executives presenting
results and answering analysts, money and dates everywhere, nothing bought or sold. No
purchase is discussed in them, so nearly every detection of a sales behavior is one a
manager would reject; the rate is an upper bound on the false evidence business talk gives.

Each call is detected as ``eval.bench_behaviors`` does it (the speaker with the most words
is the rep, the ``discovery`` playbook). Reported per behavior: detections, detections per
10,000 words, and per hour of speech at 150 words a minute; beside them, the same rate on
the team's sales development calls (``eval/dev``), where most detections are right, so the
two rates say how much a real call's evidence is drowned by its chatter. ``--examples N``
prints the N most confident detections of each behavior (quotes of public transcripts).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.behaviors.catalog import BUILT_IN
from engine.types import Evidence
from models.training import EARNINGS_EVERY

WORDS_PER_HOUR = 150 * 60


@dataclass
class Rates:
    """Detections per behavior over a number of words."""

    name: str
    calls: int = 0
    words: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[Evidence]] = field(default_factory=dict)

    def add(self, words: int, evidence: Sequence[Evidence]) -> None:
        self.calls += 1
        self.words += words
        for e in evidence:
            self.counts[e.behavior] += 1
            self.examples.setdefault(e.behavior, []).append(e)

    def per_10k(self, behavior: str) -> float:
        return self.counts[behavior] / self.words * 10_000 if self.words else 0.0

    def per_hour(self, behavior: str) -> float:
        return self.counts[behavior] / self.words * WORDS_PER_HOUR if self.words else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "calls": self.calls,
            "words": self.words,
            "detections": {b: self.counts[b] for b in BUILT_IN},
            "per_10k_words": {b: round(self.per_10k(b), 2) for b in BUILT_IN},
        }


def held_out_earnings() -> list[Any]:
    """The earnings calls that training did not take as negatives."""
    from eval.bench_behaviors import earnings_calls

    return [c for i, c in enumerate(earnings_calls()) if i % EARNINGS_EVERY != 0]


def earnings_rates() -> Rates:
    from engine.playbook import load_playbook
    from pipelines.behaviors import detect_behaviors, load_behavior_models

    models = load_behavior_models()
    playbook = load_playbook("discovery")
    rates = Rates("earnings calls, held out from training (no sale in them)")
    for call in held_out_earnings():
        evidence = detect_behaviors(
            call.utterances(), call_id=call.file_id, playbook=playbook, models=models
        )
        rates.add(call.words, evidence)
    return rates


def sales_dev_rates() -> Rates:
    from engine.attribution import utterances_from_transcript
    from eval.labeled import sales_calls
    from pipelines.behaviors import detect_behaviors, load_behavior_models

    models = load_behavior_models()
    rates = Rates("sales development calls (eval/dev; most detections right)")
    for call in sales_calls(Path(__file__).parent / "dev"):
        utterances, _ = utterances_from_transcript(call.transcript)
        evidence = detect_behaviors(
            utterances, call_id=call.call_id, call_start=call.transcript.call_start, models=models
        )
        rates.add(sum(len(u.text.split()) for u in utterances), evidence)
    return rates


def format_rates(noise: Rates, sales: Rates, examples: int = 0) -> str:
    lines = [
        f"{noise.name}: {noise.calls} calls, {noise.words:,} words",
        f"beside: {sales.name}: {sales.calls} calls, {sales.words:,} words",
        f"  {'behavior':28s} {'found':>6s} {'per 10k words':>14s} {'per hour':>9s}"
        f" {'sales dev per 10k':>18s}",
    ]
    for b in BUILT_IN:
        lines.append(
            f"  {b:28s} {noise.counts[b]:6d} {noise.per_10k(b):14.1f} {noise.per_hour(b):9.1f}"
            f" {sales.per_10k(b):18.1f}"
        )
    total = sum(noise.counts.values())
    sales_total = sum(sales.counts.values())
    lines.append(
        f"  {'all':28s} {total:6d} {total / max(noise.words, 1) * 10_000:14.1f}"
        f" {total / max(noise.words, 1) * WORDS_PER_HOUR:9.1f}"
        f" {sales_total / max(sales.words, 1) * 10_000:18.1f}"
    )
    if examples:
        for b in BUILT_IN:
            found = sorted(noise.examples.get(b, []), key=lambda e: (-e.confidence, e.id))
            if found:
                lines.append(f"== {b}: the {min(examples, len(found))} most confident")
                lines += [f"  {e.confidence:.2f} {e.role}: {e.quote}" for e in found[:examples]]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.false_evidence", description=__doc__)
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write JSON")
    parser.add_argument("--examples", type=int, default=0, metavar="N")
    args = parser.parse_args(argv)
    try:
        noise = earnings_rates()
    except FileNotFoundError as exc:
        print(f"false_evidence: {exc} (set DEALPROOF_SHARED)", file=sys.stderr)
        return 2
    sales = sales_dev_rates()
    print(format_rates(noise, sales, args.examples))
    if args.json is not None:
        doc = {"noise": noise.to_dict(), "sales_dev": sales.to_dict()}
        args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
