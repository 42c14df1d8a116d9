"""``dealproof eval speech``: DER and WER of the speech pipeline on the real audio in
``../shared/eval``.

Diarization, per file of :func:`eval.datasets.speech_files`:

- *diarizer*: the turns of the diarizer alone, chosen as ``analyze_call`` chooses it
  (``auto``: by channel when each channel holds one voice, else embedded);
- *output*: the utterances of ``analyze_call`` as turns (what ``--rttm`` writes), i.e. after
  transcription and word attribution.

DER is scored over the whole file at collar 0.5 (pyannote's total width, ±0.25 s) and 0;
files without reference times show the speaker count only.

Transcription, per file of :func:`eval.datasets.asr_files` plus Picovoice's
``leopard_test.wav``: the words of ``analyze_call`` against two runs of plain
faster-whisper with the same model, int8 and threads, word timestamps and its VAD filter:

- *batched*: ``BatchedInferencePipeline.transcribe`` with its defaults, the mode
  ``analyze_call`` uses and the speech benchmark times; the WER target compares with this;
- *sequential*: ``WhisperModel.transcribe``, shown for reference: it decodes Whisper's
  timestamp tokens and conditions on the previous window, which batching does not.

Corpus WER combines all files.

It is a report, not a gate: it returns 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from engine.types import AnalyzeOptions, CallAnalysis, Diarization, Span, SpeakerTurn
from eval.datasets import AsrFile, SpeechFile, asr_files, eval_dir, read_rttm, speech_files
from eval.der import DerResult, count_speakers, diarization_error_rate
from eval.wer import WerResult, combine_wer, word_error_rate

COLLARS = (0.5, 0.0)
"""DER collars (total width): 0.5 is ±0.25 s, 0 scores every boundary exactly."""
DER_TARGET = 0.10
DER_TARGET_FILE = "pyannote_sample"
COUNT_TARGET_SPEAKERS = (2, 3)
"""Files with this many speakers must get the count right."""
LEOPARD_TEST = "picovoice_leopard_test"


@dataclass(frozen=True)
class DiarizationRow:
    """Diarization figures of one file: the diarizer's turns and the final utterances."""

    name: str
    method: str
    true_speakers: int
    diarizer_speakers: int
    output_speakers: int
    diarizer_der: dict[str, DerResult] | None
    """DER per collar (``"0.5"``, ``"0.0"``); None when the file has no reference times."""
    output_der: dict[str, DerResult] | None


@dataclass(frozen=True)
class AsrRow:
    """WER of one file: plain faster-whisper (sequential and batched) and the pipeline."""

    name: str
    faster_whisper: WerResult
    faster_whisper_batched: WerResult
    pipeline: WerResult
    faster_whisper_text: str
    faster_whisper_batched_text: str
    pipeline_text: str


@dataclass(frozen=True)
class SpeechReport:
    """Everything :func:`run_speech_report` prints."""

    model: str
    diarization: list[DiarizationRow]
    asr: list[AsrRow]
    faster_whisper_corpus: WerResult | None
    batched_corpus: WerResult | None
    pipeline_corpus: WerResult | None

    def summary(self) -> dict[str, Any]:
        """The targets and whether each is met (None where the file was not run)."""
        target = next((r for r in self.diarization if r.name == DER_TARGET_FILE), None)
        der_diarizer = der_output = None
        if target is not None and target.diarizer_der and target.output_der:
            der_diarizer = target.diarizer_der[_key(0.5)].der
            der_output = target.output_der[_key(0.5)].der
        counted = [r for r in self.diarization if r.true_speakers in COUNT_TARGET_SPEAKERS]
        wer_ok = None
        if self.batched_corpus and self.pipeline_corpus:
            wer_ok = self.pipeline_corpus.wer <= self.batched_corpus.wer
        return {
            "der_target": DER_TARGET,
            "der_pyannote_sample_diarizer": der_diarizer,
            "der_pyannote_sample_output": der_output,
            "der_met": None if der_output is None else der_output <= DER_TARGET,
            "count_files": [r.name for r in counted],
            "count_correct_diarizer": [
                r.name for r in counted if r.diarizer_speakers == r.true_speakers
            ],
            "count_correct_output": [
                r.name for r in counted if r.output_speakers == r.true_speakers
            ],
            "count_met": (
                None if not counted else all(r.output_speakers == r.true_speakers for r in counted)
            ),
            "wer_faster_whisper": _opt_wer(self.faster_whisper_corpus),
            "wer_faster_whisper_batched": _opt_wer(self.batched_corpus),
            "wer_pipeline": _opt_wer(self.pipeline_corpus),
            "wer_met": wer_ok,
        }

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "model": self.model,
            "diarization": [_row_dict(r) for r in self.diarization],
            "asr": {
                "files": [
                    {
                        "name": r.name,
                        "faster_whisper": asdict(r.faster_whisper),
                        "faster_whisper_batched": asdict(r.faster_whisper_batched),
                        "pipeline": asdict(r.pipeline),
                        "faster_whisper_text": r.faster_whisper_text,
                        "faster_whisper_batched_text": r.faster_whisper_batched_text,
                        "pipeline_text": r.pipeline_text,
                    }
                    for r in self.asr
                ],
                "corpus": {
                    "faster_whisper": _opt_dict(self.faster_whisper_corpus),
                    "faster_whisper_batched": _opt_dict(self.batched_corpus),
                    "pipeline": _opt_dict(self.pipeline_corpus),
                },
            },
            "summary": self.summary(),
        }


def run_speech_report(
    *,
    model: str = "tiny.en",
    json_out: Path | None = None,
    files: Sequence[str] | None = None,
) -> int:
    """Measure DER and WER on ``../shared/eval``, print a table, and return 0.

    ``files`` limits the run to those file names (as in :func:`eval.datasets.speech_files`
    and :func:`eval.datasets.asr_files`, plus ``picovoice_leopard_test``); None runs all.
    Returns 2, with a one-line reason on stderr, when the evaluation data is missing.
    """
    try:
        root = eval_dir()
        speech, asr = _select(root, files)
    except FileNotFoundError as exc:
        print(f"dealproof eval speech: {exc}", file=sys.stderr)
        return 2
    report = build_speech_report(speech, asr, model=model)
    print(render_speech_report(report))
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    return 0


def build_speech_report(
    speech: Sequence[SpeechFile], asr: Sequence[AsrFile], *, model: str = "tiny.en"
) -> SpeechReport:
    """Run the diarizer, plain faster-whisper and ``analyze_call`` on the given files."""
    from pipelines.analyze import analyze_call

    # Behaviors change neither words nor speakers; leaving them out keeps the report fast.
    options = AnalyzeOptions(model=model, behaviors=False)
    analyses: dict[Path, CallAnalysis] = {}

    def analysis_of(path: Path) -> CallAnalysis:
        # The pyannote sample is in both lists; one analysis serves both.
        if path not in analyses:
            analyses[path] = analyze_call(path, options)
        return analyses[path]

    diarization = [_diarization_row(f, analysis_of(f.audio)) for f in speech]
    asr_rows: list[AsrRow] = []
    if asr:
        whisper = _plain_whisper(model)
        for f in asr:
            plain_text = _plain_transcript(whisper, f.audio)
            batched_text = _batched_transcript(whisper, f.audio)
            pipeline_text = _pipeline_transcript(analysis_of(f.audio))
            asr_rows.append(
                AsrRow(
                    name=f.name,
                    faster_whisper=word_error_rate(f.reference_text, plain_text),
                    faster_whisper_batched=word_error_rate(f.reference_text, batched_text),
                    pipeline=word_error_rate(f.reference_text, pipeline_text),
                    faster_whisper_text=plain_text,
                    faster_whisper_batched_text=batched_text,
                    pipeline_text=pipeline_text,
                )
            )
    return SpeechReport(
        model=model,
        diarization=diarization,
        asr=asr_rows,
        faster_whisper_corpus=combine_wer(r.faster_whisper for r in asr_rows) if asr else None,
        batched_corpus=combine_wer(r.faster_whisper_batched for r in asr_rows) if asr else None,
        pipeline_corpus=combine_wer(r.pipeline for r in asr_rows) if asr else None,
    )


def render_speech_report(report: SpeechReport) -> str:
    """The report as a plain-text table with a closing summary of the targets."""
    lines = [f"dealproof eval speech (ASR model {report.model})", ""]
    if report.diarization:
        lines.append("Diarization: speakers true/found, DER at collar 0.5 (±0.25 s) and 0")
        width = max(len(r.name) for r in report.diarization)
        header = (
            f"{'file':<{width}} {'method':<9} {'true':>4} {'diar':>4} {'out':>4} "
            f"{'diar±.25':>9} {'diar±0':>7} {'out±.25':>8} {'out±0':>7}"
        )
        lines += [header, "-" * len(header)]
        for r in report.diarization:
            ders = [
                _pct(None if d is None else d[_key(c)].der)
                for d in (r.diarizer_der, r.output_der)
                for c in COLLARS
            ]
            lines.append(
                f"{r.name:<{width}} {r.method:<9} {r.true_speakers:>4} {r.diarizer_speakers:>4} "
                f"{r.output_speakers:>4} {ders[0]:>9} {ders[1]:>7} {ders[2]:>8} {ders[3]:>7}"
            )
        lines.append(
            "  diar = the diarizer's turns; out = analyze_call's utterances (what --rttm writes)"
        )
        lines.append("")
    if report.asr:
        lines.append(
            "WER: plain faster-whisper (batched, and sequential for reference) vs analyze_call"
        )
        width = max(len("corpus"), *(len(a.name) for a in report.asr))
        header = (
            f"{'file':<{width}} {'ref words':>9} {'fw batched':>10} {'fw sequential':>13} "
            f"{'dealproof':>10}"
        )
        lines += [header, "-" * len(header)]
        rows = [
            (a.name, a.faster_whisper_batched, a.faster_whisper, a.pipeline) for a in report.asr
        ]
        fw, bt, dp = report.faster_whisper_corpus, report.batched_corpus, report.pipeline_corpus
        if fw is not None and bt is not None and dp is not None:
            rows.append(("corpus", bt, fw, dp))
        for name, batched, sequential, pipeline in rows:
            lines.append(
                f"{name:<{width}} {batched.ref_words:>9} {_pct(batched.wer):>10} "
                f"{_pct(sequential.wer):>13} {_pct(pipeline.wer):>10}"
            )
        lines.append("")
    lines.append(_summary_line(report.summary()))
    return "\n".join(lines)


# --------------------------------------------------------------------------- internals


def _select(root: Path, files: Sequence[str] | None) -> tuple[list[SpeechFile], list[AsrFile]]:
    speech = speech_files(root)
    asr = asr_files(root)
    leopard = root / "audio" / "picovoice" / "leopard_test.wav"
    leopard_ref = leopard.with_suffix(".ref.txt")
    if leopard.is_file() and leopard_ref.is_file():
        text = leopard_ref.read_text(encoding="utf-8").strip()
        asr.append(AsrFile(name=LEOPARD_TEST, audio=leopard, reference_text=text))
    if files is None:
        return speech, asr
    wanted = set(files)
    known = {f.name for f in speech} | {f.name for f in asr}
    unknown = sorted(wanted - known)
    if unknown:
        raise ValueError(f"unknown evaluation files {unknown}; known: {sorted(known)}")
    return [f for f in speech if f.name in wanted], [f for f in asr if f.name in wanted]


def _own_diarization(path: Path) -> Diarization:
    """The diarizer alone, chosen and called as ``pipelines.analyze._diarize`` does."""
    from models.speakers import load_speaker_encoder
    from models.vad import regions_from_segments, speech_segments
    from pipelines.decode import decode_media
    from pipelines.diarize import channels_are_separate, diarize_channels, diarize_embedded

    audio = decode_media(path)
    regions = regions_from_segments(speech_segments(audio.mono()), audio.duration)
    if channels_are_separate(audio):
        return diarize_channels(audio, regions)
    return diarize_embedded(audio.mono(), regions, load_speaker_encoder())


def _diarization_row(f: SpeechFile, analysis: CallAnalysis) -> DiarizationRow:
    own = _own_diarization(f.audio)
    output = [
        SpeakerTurn(u.start, u.end, u.speaker)
        for u in analysis.utterances
        if u.start is not None and u.end is not None
    ]
    diarizer_der = output_der = None
    if f.rttm is not None:
        reference = read_rttm(f.rttm)
        duration = analysis.call.duration or max(t.end for t in reference)
        uem = Span(0.0, max(duration, max(t.end for t in reference)))
        diarizer_der = {
            _key(c): diarization_error_rate(reference, own.turns, collar=c, uem=uem)
            for c in COLLARS
        }
        output_der = {
            _key(c): diarization_error_rate(reference, output, collar=c, uem=uem) for c in COLLARS
        }
    return DiarizationRow(
        name=f.name,
        method=own.method,
        true_speakers=f.num_speakers,
        diarizer_speakers=count_speakers(own.turns),
        output_speakers=count_speakers(output),
        diarizer_der=diarizer_der,
        output_der=output_der,
    )


def _plain_whisper(model: str) -> Any:
    """faster-whisper's WhisperModel as a user would load it, with the settings of
    ``models.asr.Transcriber`` (int8 on CPU, float16 on CUDA, the same thread count)."""
    import ctranslate2
    from faster_whisper import WhisperModel

    from models.asr import default_threads
    from models.registry import resolve_asr_model

    device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    return WhisperModel(
        str(resolve_asr_model(model).path),
        device=device,
        compute_type="float16" if device == "cuda" else "int8",
        cpu_threads=default_threads(),
        local_files_only=True,
    )


def _plain_transcript(whisper: Any, audio: Path) -> str:
    segments, _ = whisper.transcribe(str(audio), word_timestamps=True, vad_filter=True)
    return " ".join(w.word.strip() for s in segments for w in (s.words or ()))


def _batched_transcript(whisper: Any, audio: Path) -> str:
    from faster_whisper import BatchedInferencePipeline

    from models.asr import BATCH_SIZE

    pipeline = BatchedInferencePipeline(whisper)
    segments, _ = pipeline.transcribe(str(audio), batch_size=BATCH_SIZE, word_timestamps=True)
    return " ".join(w.word.strip() for s in segments for w in (s.words or ()))


def _pipeline_transcript(analysis: CallAnalysis) -> str:
    words = sorted(
        (w for u in analysis.utterances for w in u.words), key=lambda w: (w.start, w.end)
    )
    return " ".join(w.text.strip() for w in words)


def _key(collar: float) -> str:
    return f"{collar:.1f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _opt_wer(result: WerResult | None) -> float | None:
    return None if result is None else result.wer


def _opt_dict(result: WerResult | None) -> dict[str, Any] | None:
    return None if result is None else asdict(result)


def _row_dict(r: DiarizationRow) -> dict[str, Any]:
    def ders(d: dict[str, DerResult] | None) -> dict[str, Any] | None:
        return None if d is None else {k: asdict(v) for k, v in d.items()}

    return {
        "name": r.name,
        "method": r.method,
        "true_speakers": r.true_speakers,
        "diarizer_speakers": r.diarizer_speakers,
        "output_speakers": r.output_speakers,
        "diarizer_der": ders(r.diarizer_der),
        "output_der": ders(r.output_der),
    }


def _mark(met: bool | None) -> str:
    return "n/a" if met is None else ("met" if met else "MISSED")


def _summary_line(s: dict[str, Any]) -> str:
    der = (
        f"DER ≤ {100 * s['der_target']:.0f}% on {DER_TARGET_FILE} at ±0.25 s: "
        f"output {_pct(s['der_pyannote_sample_output'])}, diarizer "
        f"{_pct(s['der_pyannote_sample_diarizer'])} [{_mark(s['der_met'])}]"
    )
    count = (
        f"correct count on 2-/3-speaker files: output {len(s['count_correct_output'])}/"
        f"{len(s['count_files'])}, diarizer {len(s['count_correct_diarizer'])}/"
        f"{len(s['count_files'])} [{_mark(s['count_met'])}]"
    )
    wer = (
        f"corpus WER pipeline ≤ batched faster-whisper: {_pct(s['wer_pipeline'])} vs "
        f"{_pct(s['wer_faster_whisper_batched'])} [{_mark(s['wer_met'])}] "
        f"(sequential faster-whisper: {_pct(s['wer_faster_whisper'])})"
    )
    return f"Targets:\n  {der}\n  {count}\n  {wer}"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m eval.speech_report [--model M] [--json OUT] [--files NAME ...]``: the
    same report as ``dealproof eval speech``."""
    parser = argparse.ArgumentParser(
        prog="python -m eval.speech_report", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--model", default="tiny.en", help="ASR model (tiny.en, base, or path)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the figures as JSON")
    parser.add_argument("--files", nargs="+", metavar="NAME", help="only these evaluation files")
    args = parser.parse_args(argv)
    return run_speech_report(model=args.model, json_out=args.json, files=args.files)


if __name__ == "__main__":
    sys.exit(main())
