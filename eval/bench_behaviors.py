"""Speed and memory of behavior detection.

``python -m eval.bench_behaviors [--calls N] [--json OUT] [--minutes 10] [--long-minutes 300]
[--repeats 2] [--skip-speech] [--skip-long]``

- (a) Throughput: ``detect_behaviors`` on long real transcripts, the earnings calls of
  ``../shared/eval/text/earnings21`` (turn texts as untimed utterances, the real speaker
  labels; the speaker with the most words is the rep, everyone else a prospect, and the
  ``discovery`` playbook as ``analyze_call`` uses it). Models are loaded first and timed apart
  (the cold start). Each call runs through :func:`detect_timed`, a copy of
  ``detect_behaviors``' steps with a timer around each stage; the first call is also run
  through ``detect_behaviors`` itself and the two must give identical evidence. Each call
  runs ``--repeats`` times and its fastest run counts. Reported: words/s over all calls
  (target ≥ 1,500 on 2 cores) and the seconds per stage.
- (b) Added cost on a recording: the pyannote sample repeated to ``--minutes`` (the helpers of
  ``eval.bench_speech``); in one process, with every model loaded and warmed up, plain
  faster-whisper batched transcription (same model, threads, batch size, word timestamps)
  alternates with ``analyze_call`` with behaviors off and on; the minimum of each is kept.
  Reported: the ``behaviors`` stage / plain transcription (target ≤ 10%).
- (c) A long transcript: earnings calls concatenated into one transcript JSON of about
  ``--long-minutes`` at 150 words a minute (turn times spread at that rate), analyzed by
  ``analyze_call`` in a fresh subprocess that loads its own models. Its peak RSS is the
  child's own high-water mark (``VmHWM`` of ``/proc/self/status``): on Linux the child's
  ``ru_maxrss`` (``os.wait4``, ``getrusage(RUSAGE_CHILDREN)``) also counts the parent's RSS at
  the moment of the spawn, as exec folds the old address space's peak into it, and the parent
  here holds every model; that figure is kept in the JSON as ``ru_maxrss_mb``. The child
  checks that the result is correct: one utterance per turn, English, evidence found, and
  JSON valid against ``dealproof.call/1``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from engine.behaviors.fields import CallClock
from engine.behaviors.segments import segment_utterances
from engine.playbook import CompetitorNames, Playbook
from engine.types import AnalyzeOptions, Evidence, Role, Utterance
from models.behavior_heads import load_default_heads, segment_features, segment_rules
from models.encoder import load_sentence_encoder
from models.nlp import load_nlp
from pipelines.behaviors import (
    BehaviorModels,
    _context_embeddings,
    _decisions,
    _evidence,
    _trackers_for,
    _with_subtypes,
    detect_behaviors,
    load_behavior_models,
    resolve_playbook,
)

WORDS_PER_S_TARGET = 1500.0
ADDED_COST_TARGET = 0.10
WORDS_PER_MINUTE = 150.0
STAGES = (
    "segmenting",
    "cue matching",
    "rule features",
    "encode segments",
    "encode context",
    "heads",
    "decisions",
    "NER + fields",
)
"""The stages of :func:`detect_timed`, in pipeline order."""

T = TypeVar("T")


@dataclass(frozen=True)
class EarningsCall:
    """One earnings call: its file id and its turns as ``(speaker, text)``."""

    file_id: str
    turns: tuple[tuple[str, str], ...]

    @property
    def words(self) -> int:
        return sum(len(text.split()) for _, text in self.turns)

    def roles(self) -> dict[str, Role]:
        """The speaker with the most words is the rep (the presenting executive, who holds
        the floor as a rep does); the analysts and the operator are prospects."""
        words: dict[str, int] = {}
        for speaker, text in self.turns:
            words[speaker] = words.get(speaker, 0) + len(text.split())
        rep = max(words, key=lambda s: words[s])
        return {s: "rep" if s == rep else "prospect" for s in words}

    def utterances(self) -> list[Utterance]:
        """Untimed utterances ``u0``, ``u1``, … with speakers ``S<label>`` and roles."""
        roles = self.roles()
        return [
            Utterance(f"u{i}", f"S{speaker}", roles[speaker], None, None, text)
            for i, (speaker, text) in enumerate(self.turns)
        ]


def earnings_path() -> Path:
    """The earnings21 turns file in ``../shared/eval`` (FileNotFoundError when missing)."""
    from eval.datasets import eval_dir

    path = eval_dir() / "text" / "earnings21" / "earnings21_turns.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"evaluation file missing: {path}")
    return path


def earnings_calls(limit: int | None = None) -> list[EarningsCall]:
    """The earnings calls in file order (the first ``limit`` of them, or all)."""
    calls: list[EarningsCall] = []
    with open(earnings_path(), encoding="utf-8") as f:
        for line in f:
            if limit is not None and len(calls) >= limit:
                break
            if line.strip():
                d = json.loads(line)
                turns = tuple((str(t["speaker"]), str(t["text"])) for t in d["turns"])
                calls.append(EarningsCall(str(d["file_id"]), turns))
    return calls


class _Timer:
    """Seconds per stage name, summed over every ``with timer(name)`` block."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(STAGES, 0.0)

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - began


def detect_timed(
    utterances: Sequence[Utterance],
    *,
    call_id: str,
    models: BehaviorModels,
    playbook: Playbook | None = None,
    call_start: str | None = None,
    timezone: str | None = None,
) -> tuple[tuple[Evidence, ...], dict[str, float]]:
    """``detect_behaviors`` step by step with a timer around each stage.

    Returns the evidence (identical to
    ``detect_behaviors`` on the same input) and the seconds of each of :data:`STAGES`.
    Subtype heads count as ``heads``; tracker scoring, keeping the best detection per
    utterance and the hard rules as ``decisions``.
    """
    timer = _Timer()
    with timer("segmenting"):
        segments = segment_utterances(utterances)
    if not segments:
        return (), timer.seconds
    texts = [s.text for s in segments]
    with timer("cue matching"):
        cues = list(models.nlp.cues(texts))
    with timer("rule features"):
        rules = [segment_rules(t, c) for t, c in zip(texts, cues, strict=True)]
    with timer("encode segments"):
        embeddings = models.encoder.encode(texts)
    with timer("encode context"):
        context = _context_embeddings(segments, models.encoder)
    with timer("heads"):
        features = segment_features(
            embeddings, context, [s.role for s in segments], rules, [s.position for s in segments]
        )
        probabilities = models.heads.probabilities(features)
    with timer("decisions"):
        trackers = _trackers_for(playbook) if playbook is not None and playbook.trackers else ()
        names = playbook.competitors if playbook is not None else CompetitorNames()
        detections, rivals = _decisions(
            segments, probabilities, models.heads.thresholds, rules, trackers, embeddings, names
        )
    with timer("heads"):
        detections = _with_subtypes(detections, features, models.heads)
    with timer("NER + fields"):
        clock = CallClock(datetime.fromisoformat(call_start) if call_start else None, timezone)
        evidence = _evidence(
            detections, segments, utterances, call_id, clock, models, trackers, rivals
        )
    return evidence, timer.seconds


def _timed(fn: Callable[[], T]) -> tuple[float, T]:
    began = time.perf_counter()
    value = fn()
    return time.perf_counter() - began, value


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def load_models_timed() -> tuple[BehaviorModels, dict[str, float]]:
    """Load spaCy, the sentence encoder, the heads and the playbook; seconds of each."""
    nlp_s, _ = _timed(load_nlp)
    encoder_s, _ = _timed(load_sentence_encoder)
    heads_s, _ = _timed(load_default_heads)

    def playbook_and_trackers() -> Playbook:
        playbook = resolve_playbook(None)
        if playbook.trackers:
            _trackers_for(playbook)
        return playbook

    playbook_s, _ = _timed(playbook_and_trackers)
    # Each loader caches what it loaded; this assembles them with the pipeline's own checks.
    models = load_behavior_models()
    return models, {
        "spacy_load_s": nlp_s,
        "encoder_load_s": encoder_s,
        "heads_load_s": heads_s,
        "playbook_load_s": playbook_s,
    }


def run_throughput(
    calls: Sequence[EarningsCall], *, max_turns: int | None = None, repeats: int = 1
) -> dict[str, Any]:
    """Part (a): detection throughput over ``calls`` (each cut to ``max_turns`` turns).

    Each call runs ``repeats`` times and its fastest run counts, stages included, which
    resists the noise of a shared machine.
    """
    if not calls:
        raise ValueError("no calls to run")
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    _log("cold start: loading behavior models")
    models, loads = load_models_timed()
    playbook = resolve_playbook(None)
    first = calls[0].utterances()[: max_turns or None]
    first_call_s, _ = _timed(
        lambda: detect_behaviors(first[:2], call_id="warmup", playbook=playbook, models=models)
    )
    cold = {**loads, "first_detection_s": first_call_s}
    cold["total_s"] = sum(cold.values())

    _log(f"check: detect_behaviors vs the timed copy on call {calls[0].file_id}")
    direct_s, direct = _timed(
        lambda: detect_behaviors(first, call_id=calls[0].file_id, playbook=playbook, models=models)
    )
    replica, _ = detect_timed(first, call_id=calls[0].file_id, models=models, playbook=playbook)
    identical = replica == direct

    per_call: list[dict[str, Any]] = []
    stages = dict.fromkeys(STAGES, 0.0)
    for n, call in enumerate(calls, 1):
        utterances = call.utterances()[: max_turns or None]
        words = sum(len(u.text.split()) for u in utterances)
        _log(f"({n}/{len(calls)}) call {call.file_id}: {len(utterances)} turns, {words} words")
        seconds = float("inf")
        for _ in range(repeats):
            began = time.perf_counter()
            evidence, run_stages = detect_timed(
                utterances, call_id=call.file_id, models=models, playbook=playbook
            )
            elapsed = time.perf_counter() - began
            if elapsed < seconds:
                seconds, call_stages = elapsed, run_stages
        for name, s in call_stages.items():
            stages[name] += s
        per_call.append(
            {
                "file_id": call.file_id,
                "turns": len(utterances),
                "words": words,
                "evidence": len(evidence),
                "seconds": seconds,
                "words_per_s": words / seconds if seconds > 0 else 0.0,
            }
        )
    words = sum(c["words"] for c in per_call)
    seconds = sum(c["seconds"] for c in per_call)
    return {
        "calls": len(per_call),
        "repeats": repeats,
        "words": words,
        "seconds": seconds,
        "words_per_s": words / seconds if seconds > 0 else 0.0,
        "stages_s": stages,
        "cold_start": cold,
        "check": {
            "file_id": calls[0].file_id,
            "identical_evidence": identical,
            "evidence": len(direct),
            "detect_behaviors_s": direct_s,
        },
        "per_call": per_call,
    }


def run_added_cost(
    *, minutes: float = 10.0, model: str = "tiny.en", repeats: int = 2
) -> dict[str, Any]:
    """Part (b): behavior detection's share of a recording's analysis vs plain ASR."""
    from eval.bench_speech import _plain_batched, build_wav, sample_path
    from models.asr import default_threads, load_transcriber
    from models.speakers import load_speaker_encoder
    from pipelines.analyze import analyze_call
    from pipelines.decode import decode_media

    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    off = AnalyzeOptions(model=model, behaviors=False)
    on = AnalyzeOptions(model=model, behaviors=True)
    source = sample_path()
    _log("added cost: loading ASR, speaker and behavior models, warming up")
    transcriber = load_transcriber(model)
    load_speaker_encoder()
    load_behavior_models()
    analyze_call(source, on)
    with tempfile.TemporaryDirectory(prefix="dealproof-bench-") as tmp:
        wav = Path(tmp) / f"call_{minutes:g}min.wav"
        duration = build_wav(source, wav, minutes)
        mono = decode_media(wav).mono()
        plain: list[float] = []
        total_off: list[float] = []
        total_on: list[float] = []
        detection: list[float] = []
        words = evidence = transcript_words = 0
        for i in range(repeats):
            _log(f"run {i + 1}/{repeats}: plain faster-whisper")
            seconds, words = _timed(lambda: _plain_batched(transcriber, mono))
            plain.append(seconds)
            _log(f"run {i + 1}/{repeats}: analyze_call, behaviors off")
            seconds, _ = _timed(lambda: analyze_call(wav, off))
            total_off.append(seconds)
            _log(f"run {i + 1}/{repeats}: analyze_call, behaviors on")
            seconds, analysis = _timed(lambda: analyze_call(wav, on))
            total_on.append(seconds)
            detection.append(analysis.timings["behaviors"])
            evidence = len(analysis.evidence)
            transcript_words = sum(len(u.text.split()) for u in analysis.utterances)
    a, d = min(plain), min(detection)
    return {
        "model": model,
        "threads": default_threads(),
        "duration_s": duration,
        "plain_transcription": {"times_s": plain, "min_s": a, "words": words},
        "analyze_behaviors_off": {"times_s": total_off, "min_s": min(total_off)},
        "analyze_behaviors_on": {"times_s": total_on, "min_s": min(total_on)},
        "detection": {
            "times_s": detection,
            "min_s": d,
            "words": transcript_words,
            "evidence": evidence,
        },
        "ratio": d / a,
    }


def write_long_transcript(
    calls: Sequence[EarningsCall], out: Path, *, minutes: float = 300.0
) -> dict[str, Any]:
    """Write earnings calls, concatenated to about ``minutes`` at 150 words a minute, as
    transcript JSON; speakers are named ``<file id>-<label>``, roles as in (a), turn times
    spread at that rate. Returns what was written (turns, words, minutes)."""
    target = minutes * WORDS_PER_MINUTE
    turns: list[dict[str, Any]] = []
    words = 0
    for call in calls:
        roles = call.roles()
        for speaker, text in call.turns:
            n = len(text.split())
            start = words * 60.0 / WORDS_PER_MINUTE
            words += n
            turns.append(
                {
                    "speaker": f"{call.file_id}-{speaker}",
                    "role": roles[speaker],
                    "start": round(start, 3),
                    "end": round(words * 60.0 / WORDS_PER_MINUTE, 3),
                    "text": text,
                }
            )
        if words >= target:
            break
    doc = {"call_id": "earnings-long", "call_start": "2020-02-03T15:00:00+00:00", "turns": turns}
    out.write_text(json.dumps(doc), encoding="utf-8")
    return {"turns": len(turns), "words": words, "minutes": words / WORDS_PER_MINUTE}


def run_long(*, minutes: float = 300.0) -> dict[str, Any]:
    """Part (c): ``analyze_call`` on a long transcript in a subprocess; time and peak RSS."""
    with tempfile.TemporaryDirectory(prefix="dealproof-bench-") as tmp:
        work = Path(tmp)
        transcript = work / "long.json"
        written = write_long_transcript(earnings_calls(), transcript, minutes=minutes)
        report = work / "report.json"
        command = [
            sys.executable,
            "-m",
            "eval.bench_behaviors",
            "--child",
            str(transcript),
            "--child-report",
            str(report),
        ]
        _log(f"long: analyze_call on {written['minutes']:.0f} min of transcript in a subprocess")
        began = time.perf_counter()
        proc = subprocess.Popen(command, cwd=Path(__file__).resolve().parent.parent)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - began
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            raise RuntimeError(f"the long-transcript run failed (exit {code})")
        child: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return {
        **written,
        "process_wall_s": wall,
        "ru_maxrss_mb": usage.ru_maxrss / 1024,
        **child,
    }


def peak_rss_mb() -> float:
    """This process's peak RSS since it was started (exec), in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    # Without /proc (not Linux): ru_maxrss, KiB on Linux and the BSDs, bytes on macOS.
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def _child(transcript: Path, report: Path) -> int:
    """The long run's subprocess: load models, analyze, check the result, write a report."""
    from engine.schema import validate_call_json
    from pipelines.analyze import analyze_call
    from pipelines.transcripts import read_transcript

    load_s, _ = _timed(load_behavior_models)
    seconds, analysis = _timed(lambda: analyze_call(transcript))
    peak = peak_rss_mb()
    validate_call_json(analysis.to_dict())
    turns = len(read_transcript(transcript).turns)
    problems = []
    if len(analysis.utterances) != turns:
        problems.append(f"{len(analysis.utterances)} utterances for {turns} turns")
    if analysis.call.language != "en":
        problems.append(f"language {analysis.call.language!r}")
    if not analysis.evidence or analysis.scorecard is None:
        problems.append("no evidence or no scorecard")
    if problems:
        print(f"bench_behaviors: wrong long result: {'; '.join(problems)}", file=sys.stderr)
        return 1
    behaviors: dict[str, int] = {}
    for e in analysis.evidence:
        behaviors[e.behavior] = behaviors.get(e.behavior, 0) + 1
    report.write_text(
        json.dumps(
            {
                "peak_rss_mb": peak,
                "model_load_s": load_s,
                "analyze_s": seconds,
                "stages_s": dict(analysis.timings),
                "utterances": len(analysis.utterances),
                "speakers": len(analysis.speakers),
                "evidence": len(analysis.evidence),
                "evidence_by_behavior": dict(sorted(behaviors.items())),
                "schema_valid": True,
            }
        ),
        encoding="utf-8",
    )
    return 0


def run_benchmark(
    *,
    calls: int | None = 4,
    minutes: float | None = 10.0,
    long_minutes: float | None = 300.0,
    model: str = "tiny.en",
    repeats: int = 2,
) -> dict[str, Any]:
    """Run (a), then (b) unless ``minutes`` is None, then (c) unless ``long_minutes`` is None."""
    import torch

    result: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "load_average_at_start": list(os.getloadavg()),
    }
    result["throughput"] = run_throughput(earnings_calls(calls), repeats=repeats)
    result["load_average_after_throughput"] = list(os.getloadavg())
    if minutes is not None:
        result["added_cost"] = run_added_cost(minutes=minutes, model=model, repeats=repeats)
    if long_minutes is not None:
        result["long"] = run_long(minutes=long_minutes)
    result["load_average_at_end"] = list(os.getloadavg())
    return result


def _mark(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _load(values: Sequence[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in values)


def render(result: dict[str, Any]) -> str:
    """The benchmark figures as readable lines, each target marked met or MISSED."""
    tp = result["throughput"]
    cold = tp["cold_start"]
    check = tp["check"]
    total = tp["seconds"] or 1.0
    lines = [
        f"dealproof behavior benchmark: {result['cpu_count']} CPUs, torch "
        f"{result['torch_threads']} threads, load average at start "
        f"{_load(result['load_average_at_start'])}",
        f"cold start: spaCy {cold['spacy_load_s']:.2f} s, encoder {cold['encoder_load_s']:.2f} s,"
        f" heads {cold['heads_load_s']:.2f} s, playbook {cold['playbook_load_s']:.2f} s, first "
        f"detection {cold['first_detection_s']:.2f} s; total {cold['total_s']:.2f} s",
        f"(a) throughput: {tp['calls']} earnings call(s), {tp['words']} words in "
        f"{tp['seconds']:.2f} s (fastest of {tp['repeats']} per call) = "
        f"{tp['words_per_s']:.0f} words/s (target ≥ {WORDS_PER_S_TARGET:.0f}) "
        f"[{_mark(tp['words_per_s'] >= WORDS_PER_S_TARGET)}]",
        f"  check on call {check['file_id']}: timed copy and detect_behaviors give "
        f"{'identical' if check['identical_evidence'] else 'DIFFERENT'} evidence "
        f"({check['evidence']} records; detect_behaviors took {check['detect_behaviors_s']:.2f} s)",
        "  stages, seconds (share):",
    ]
    lines += [
        f"    {name:<16} {s:8.3f}  {100 * s / total:5.1f}%" for name, s in tp["stages_s"].items()
    ]
    lines.append(f"  load average after (a): {_load(result['load_average_after_throughput'])}")
    if "added_cost" in result:
        ac = result["added_cost"]
        plain, det = ac["plain_transcription"], ac["detection"]
        off, on = ac["analyze_behaviors_off"], ac["analyze_behaviors_on"]
        lines += [
            f"(b) {ac['duration_s'] / 60:g} min two-speaker WAV, model {ac['model']}, "
            f"{ac['threads']} threads:",
            f"  plain faster-whisper: min {plain['min_s']:.2f} s of "
            f"[{_load(plain['times_s'])}], {plain['words']} words",
            f"  analyze_call behaviors off: min {off['min_s']:.2f} s; on: min {on['min_s']:.2f} s",
            f"  behaviors stage: min {det['min_s']:.3f} s of [{_load(det['times_s'])}] for "
            f"{det['words']} words, {det['evidence']} evidence",
            f"  detection / plain transcription: {100 * ac['ratio']:.2f}% (target ≤ "
            f"{100 * ADDED_COST_TARGET:.0f}%) [{_mark(ac['ratio'] <= ADDED_COST_TARGET)}]",
        ]
    if "long" in result:
        lg = result["long"]
        stages = lg["stages_s"]
        lines += [
            f"(c) {lg['minutes']:.0f} min transcript ({lg['words']} words, {lg['turns']} turns):"
            f" analyze_call {lg['analyze_s']:.1f} s (behaviors {stages.get('behaviors', 0):.1f} "
            f"s), peak RSS {lg['peak_rss_mb']:.0f} MB (the child's VmHWM), model load "
            f"{lg['model_load_s']:.2f} s",
            f"  result: {lg['utterances']} utterances, {lg['speakers']} speakers, "
            f"{lg['evidence']} evidence, schema valid",
            "  stages: " + ", ".join(f"{n} {s:.2f}" for n, s in stages.items()),
        ]
    lines.append(f"load average at end: {_load(result['load_average_at_end'])}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status (2 when the eval data is missing)."""
    parser = argparse.ArgumentParser(
        prog="python -m eval.bench_behaviors", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--calls", type=int, default=4, help="earnings calls for (a); 0: all")
    parser.add_argument("--minutes", type=float, default=10.0, help="recording length for (b)")
    parser.add_argument(
        "--long-minutes", type=float, default=300.0, help="transcript length for (c)"
    )
    parser.add_argument("--skip-speech", action="store_true", help="skip (b)")
    parser.add_argument("--skip-long", action="store_true", help="skip (c)")
    parser.add_argument(
        "--repeats", type=int, default=2, help="runs of (a) per call and of (b); the min is kept"
    )
    parser.add_argument("--model", default="tiny.en", help="ASR model for (b)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the figures as JSON")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-report", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.child is not None:
        if args.child_report is None:
            parser.error("--child needs --child-report")
        return _child(args.child, args.child_report)
    if args.calls < 0:
        parser.error("--calls must be 0 (all) or more")
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    try:
        result = run_benchmark(
            calls=args.calls or None,
            minutes=None if args.skip_speech else args.minutes,
            long_minutes=None if args.skip_long else args.long_minutes,
            model=args.model,
            repeats=args.repeats,
        )
    except FileNotFoundError as exc:
        print(f"bench_behaviors: {exc}", file=sys.stderr)
        return 2
    print(render(result))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
