"""Behavior figures from speech: the labeled sales calls spoken, recognized and diarized.

``python -m eval.behaviors_spoken [--set dev|held-out] [--model NAME] [--calls N]
[--keep DIR] [--json OUT]``

The labeled calls are written text, and ``eval behaviors`` scores them as text. A user
uploads recordings. Here each call is spoken turn by turn with espeak-ng
(``eval.synth.speak_turns``): the rep in one voice, each other speaker in another, half a
second apart, into one mono WAV. The same calls are then scored three ways in one run, as
``eval behaviors`` scores (moment level, BEHAVIORS.md):

1. **text**: ``detect_behaviors`` on the written turns, the baseline.
2. **recognized words, true turns**: the recognizer's words (from the end-to-end run
   below) put back into the written turns by their times, with the written speakers and
   roles. What recognition alone costs.
3. **end to end**: ``analyze_call`` on the WAV, as ``dealproof analyze`` runs it (speech
   detection, recognition, diarization, who is the rep, behaviors). Each detection counts
   at the written turn its time overlaps most.

Per call it prints the words' error rate, the speakers found against those who spoke and
the share of recognized words whose speaker got the right role.

espeak-ng is a formant synthesizer, no person: Whisper mishears it more than a clear
human voice and its voices are easier to tell apart than it would be on a phone line.
Read the drop from 1 to 3 as the size of what speech costs, not as the figure a real
recording gets. The development set is the default: the held-out calls are measured once
per change, as for text.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.attribution import join_words, utterances_from_transcript
from engine.errors import DealproofError
from engine.types import AnalyzeOptions, CallAnalysis, Evidence, Role, Utterance, Word
from eval.behaviors import SetScore, format_score, score_detections, score_turns
from eval.labeled import SALES_DIR, LabeledCall, sales_calls
from eval.synth import have_espeak, speak_turns
from eval.wer import WerResult, combine_wer, word_error_rate

DEV_DIR = Path(__file__).resolve().parent / "dev"
SETS: Mapping[str, Path] = {"dev": DEV_DIR, "held-out": SALES_DIR}

REP_VOICE = "en-us+klatt"
OTHER_VOICES = ("en-us+steph", "en-gb", "en-gb-scotland", "en-us")
"""The prospects' voices, in order of first turn. The first two were chosen for the test
suite's calls, where the embedded diarizer tells them from the rep's (tests/conftest.py)."""
EDGE = 0.25
"""Seconds either side of a written turn within which a word still counts as said in it."""

Span = tuple[float, float]


@dataclass
class SpokenCall:
    """One call's end-to-end figures beside its text."""

    call_id: str
    minutes: float
    seconds: float
    wer: WerResult
    speakers: int
    speakers_found: int
    words: int
    role_right: int


@dataclass
class SpokenReport:
    text: SetScore
    recognized: SetScore
    end_to_end: SetScore
    calls: list[SpokenCall] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        wer = combine_wer(c.wer for c in self.calls)
        return {
            "wer": round(wer.wer, 4),
            "role_accuracy": round(_role_accuracy(self.calls), 4),
            "calls": [
                {
                    "call_id": c.call_id,
                    "minutes": round(c.minutes, 2),
                    "seconds": round(c.seconds, 1),
                    "wer": round(c.wer.wer, 4),
                    "speakers": c.speakers,
                    "speakers_found": c.speakers_found,
                    "role_accuracy": round(c.role_right / c.words, 4) if c.words else None,
                }
                for c in self.calls
            ],
            "text": self.text.as_dict(),
            "recognized_words_true_turns": self.recognized.as_dict(),
            "end_to_end": self.end_to_end.as_dict(),
        }


def voices_for(call: LabeledCall) -> dict[str, str]:
    """Each speaker's voice: the rep's first, the others in order of their first turn."""
    speakers: list[str] = []
    for turn in call.transcript.turns:
        if turn.speaker is not None and turn.speaker not in speakers:
            speakers.append(turn.speaker)
    reps = [s for s in speakers if _role_of(call, s) == "rep"]
    others = [s for s in speakers if s not in reps]
    voices = {s: REP_VOICE for s in reps[:1]}
    voices.update({s: OTHER_VOICES[i % len(OTHER_VOICES)] for i, s in enumerate(others)})
    voices.update({s: OTHER_VOICES[-1] for s in reps[1:]})
    return voices


def _role_of(call: LabeledCall, speaker: str) -> Role | None:
    return next((t.role for t in call.transcript.turns if t.speaker == speaker), None)


def turn_at(spans: Sequence[Span], t: float) -> int:
    """The written turn a moment ``t`` falls in (``EDGE`` either side), else the nearest."""
    for i, (a, b) in enumerate(spans):
        if a - EDGE <= t <= b + EDGE:
            return i
    return min(range(len(spans)), key=lambda i: abs((spans[i][0] + spans[i][1]) / 2 - t))


def turn_of_evidence(spans: Sequence[Span], start: float, end: float) -> int:
    """The written turn that overlaps the span ``[start, end]`` most (by its middle when
    it overlaps none)."""
    overlaps = [max(0.0, min(end, b) - max(start, a)) for a, b in spans]
    best = max(range(len(spans)), key=lambda i: overlaps[i])
    return best if overlaps[best] > 0 else turn_at(spans, (start + end) / 2)


def placed_turns(evidence: Sequence[Evidence], spans: Sequence[Span]) -> dict[str, set[int]]:
    """Each behavior's detections as written-turn indices."""
    out: dict[str, set[int]] = {}
    for e in evidence:
        start = e.start if e.start is not None else 0.0
        end = e.end if e.end is not None else start
        out.setdefault(e.behavior, set()).add(turn_of_evidence(spans, start, end))
    return out


def words_in_true_turns(
    call: LabeledCall, spans: Sequence[Span], utterances: Sequence[Utterance]
) -> list[Utterance]:
    """The recognized words regrouped into the written turns (by each word's middle), with
    the written speakers and roles; ids ``u<turn index>`` as ``eval behaviors`` reads them."""
    by_turn: dict[int, list[Word]] = {}
    for u in utterances:
        for w in u.words:
            by_turn.setdefault(turn_at(spans, (w.start + w.end) / 2), []).append(w)
    turns = call.transcript.turns
    return [
        Utterance(
            id=f"u{i}",
            speaker=turns[i].speaker or f"S{i}",
            role=turns[i].role,
            start=words[0].start,
            end=words[-1].end,
            text=join_words(words),
            words=tuple(words),
        )
        for i, words in sorted(by_turn.items())
    ]


def _roles_right(
    call: LabeledCall, spans: Sequence[Span], utterances: Sequence[Utterance]
) -> tuple[int, int]:
    turns = call.transcript.turns
    pairs = [
        (u.role, turns[turn_at(spans, (w.start + w.end) / 2)].role)
        for u in utterances
        for w in u.words
    ]
    return sum(1 for got, want in pairs if got == want), len(pairs)


def _role_accuracy(calls: Sequence[SpokenCall]) -> float:
    words = sum(c.words for c in calls)
    return sum(c.role_right for c in calls) / words if words else 0.0


def speak_call(call: LabeledCall, path: Path) -> list[Span]:
    """Speak the call's written turns into ``path``; each turn's time span."""
    voices = voices_for(call)
    turns = [(t.speaker or "", t.text) for t in call.transcript.turns]
    return speak_turns(path, turns, {**voices, "": OTHER_VOICES[-1]})


def spoken_report(
    calls: Sequence[LabeledCall],
    *,
    model: str = "tiny.en",
    keep: Path | None = None,
    log: Any = None,
) -> SpokenReport:
    """Score ``calls`` as text, as recognized words in the written turns, and end to end."""
    from pipelines.analyze import analyze_call
    from pipelines.behaviors import load_behavior_models

    models = load_behavior_models()
    report = SpokenReport(
        SetScore("text", trained_on=False),
        SetScore("recognized words, written turns", trained_on=False),
        SetScore("end to end (speech, diarization, roles)", trained_on=False),
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for call in calls:
            wav = folder / f"{call.call_id}.wav"
            spans = speak_call(call, wav)
            started = time.perf_counter()
            options = AnalyzeOptions(
                model=model, call_id=call.call_id, call_start=call.transcript.call_start
            )
            analysis = analyze_call(wav, options)
            seconds = time.perf_counter() - started
            if keep is not None:
                (folder / f"{call.call_id}.json").write_text(
                    json.dumps(analysis.to_dict(), indent=1) + "\n", encoding="utf-8"
                )
            written, _ = utterances_from_transcript(call.transcript)
            regrouped = words_in_true_turns(call, spans, analysis.utterances)
            score_detections(report.text, call, written, models)
            score_detections(report.recognized, call, regrouped, models)
            score_turns(report.end_to_end, call, placed_turns(analysis.evidence, spans))
            report.calls.append(_call_figures(call, spans, analysis, seconds))
            if log is not None:
                print(_call_line(report.calls[-1]), file=log, flush=True)
    return report


def _call_figures(
    call: LabeledCall, spans: Sequence[Span], analysis: CallAnalysis, seconds: float
) -> SpokenCall:
    reference = " ".join(t.text for t in call.transcript.turns)
    hypothesis = " ".join(u.text for u in analysis.utterances)
    right, words = _roles_right(call, spans, analysis.utterances)
    return SpokenCall(
        call_id=call.call_id,
        minutes=(spans[-1][1] if spans else 0.0) / 60,
        seconds=seconds,
        wer=word_error_rate(reference, hypothesis),
        speakers=len({t.speaker for t in call.transcript.turns}),
        speakers_found=len(analysis.speakers),
        words=words,
        role_right=right,
    )


def _call_line(c: SpokenCall) -> str:
    roles = f"{c.role_right / c.words:.0%}" if c.words else "-"
    return (
        f"  {c.call_id:<30} {c.minutes:5.1f} min  analyzed in {c.seconds:5.1f} s  "
        f"WER {c.wer.wer:.3f}  speakers {c.speakers_found} found / {c.speakers}  "
        f"words with the right role {roles}"
    )


def format_report(report: SpokenReport) -> str:
    wer = combine_wer(c.wer for c in report.calls)
    lines = [
        f"all calls: WER {wer.wer:.3f}, words with the right role "
        f"{_role_accuracy(report.calls):.1%}",
        "",
    ]
    for score in (report.text, report.recognized, report.end_to_end):
        lines += [format_score(score), ""]
    base = report.text.macro_f1
    lines.append(
        f"macro F1: text {base:.3f}, recognized words {report.recognized.macro_f1:.3f} "
        f"({report.recognized.macro_f1 / base:.2f}x), end to end "
        f"{report.end_to_end.macro_f1:.3f} ({report.end_to_end.macro_f1 / base:.2f}x)"
        if base
        else "macro F1: no labels"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.behaviors_spoken", description=__doc__)
    parser.add_argument("--set", choices=sorted(SETS), default="dev")
    parser.add_argument("--model", default="tiny.en", help="ASR model (default tiny.en)")
    parser.add_argument("--calls", type=int, metavar="N", help="only the first N calls")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the WAVs and analyses")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write JSON")
    args = parser.parse_args(argv)
    if not have_espeak():
        print("behaviors_spoken: espeak-ng not found (make system-deps)", file=sys.stderr)
        return 2
    calls = sales_calls(SETS[args.set])[: args.calls]
    print(f"{len(calls)} {args.set} calls, spoken by espeak-ng, recognized by {args.model}:")
    try:
        report = spoken_report(calls, model=args.model, keep=args.keep, log=sys.stdout)
    except DealproofError as exc:
        print(f"behaviors_spoken: {exc}", file=sys.stderr)
        return 2
    print()
    print(format_report(report))
    if args.json is not None:
        args.json.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
