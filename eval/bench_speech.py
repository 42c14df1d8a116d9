"""Speed and memory of the speech pipeline against plain faster-whisper.

``python -m eval.bench_speech [--minutes 10] [--long-minutes 60] [--skip-long] [--json OUT]``

Input: the pyannote sample (30 s, two real speakers, ``../shared/eval``) repeated to the
wanted length and written as 16 kHz mono 16-bit WAV in a temporary folder. Repetition keeps
real two-speaker speech at every length; nothing else is synthesized.

In one process, after the models are loaded and warmed up (timed apart as the cold start):

- (a) plain faster-whisper: ``BatchedInferencePipeline`` over the same ``WhisperModel``
  (same weights, int8, threads, batch size), word timestamps and its VAD filter, on the
  already-decoded mono audio;
- (b) dealproof: ``analyze_call(wav)`` (decode, VAD, transcription, diarization,
  attribution, roles, metrics) plus writing the JSON, RTTM and WebVTT outputs. Behavior
  detection is off, as the targets are for the speech pipeline; ``--behaviors`` adds it.

They alternate a, b, a, b, ... and the minimum of each is kept, which resists the noise of a
shared machine. (b) starts from the WAV, so its decode is the cheap PCM case; the same input
encoded as AAC in an ``.m4a`` (what Zoom and phone recorders produce) is run once more
through (b) to show the realistic decode cost beside it (``--no-m4a`` skips that).

Memory: ``analyze_call`` on a ``--long-minutes`` WAV in a fresh subprocess (models loaded
there too, so the figure is what one ``dealproof analyze`` run needs); its peak RSS is the
child's own high-water mark (``VmHWM``), in MB. Not ``ru_maxrss`` of the child: after a fork
it counts the memory the parent held at the spawn.

Targets: b/a ≤ 1.3; real-time factor of b ≤ 0.06 on 2 cores; peak RSS ≤ 1.5 GB at 60 min.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.types import AnalyzeOptions, CallAnalysis, FloatArray

SAMPLE_RATE = 16000
RATIO_TARGET = 1.3
RTF_TARGET = 0.06
PEAK_RSS_TARGET_MB = 1536.0


def sample_path() -> Path:
    """The pyannote sample in ``../shared/eval`` (FileNotFoundError when missing)."""
    from eval.datasets import eval_dir

    path = eval_dir() / "audio" / "pyannote_sample" / "sample.wav"
    if not path.is_file():
        raise FileNotFoundError(f"evaluation file missing: {path}")
    return path


def build_wav(source: Path, out: Path, minutes: float) -> float:
    """Write ``source`` repeated to ``minutes`` as 16 kHz mono 16-bit WAV; return seconds."""
    from pipelines.decode import decode_media

    mono = decode_media(source).mono()
    pcm = np.clip(np.round(mono * 32767.0), -32768, 32767).astype("<i2").tobytes()
    total = round(minutes * 60 * SAMPLE_RATE)
    with wave.open(str(out), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(SAMPLE_RATE)
        written = 0
        # Repeat the clip's bytes rather than holding the whole call in memory (60 min of
        # float audio would be 230 MB in the parent of the memory run).
        while written < total:
            take = min(len(mono), total - written)
            f.writeframes(pcm[: 2 * take])
            written += take
    return total / SAMPLE_RATE


def encode_m4a(mono: FloatArray, out: Path, *, bitrate: int = 48_000) -> None:
    """Encode 16 kHz mono float audio as AAC in an MP4 container with PyAV."""
    import av

    with av.open(str(out), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
        stream.bit_rate = bitrate
        frame_size = 1024
        for first in range(0, len(mono), frame_size):
            chunk = np.ascontiguousarray(mono[None, first : first + frame_size])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            frame.sample_rate = SAMPLE_RATE
            frame.pts = first
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    value = fn()
    return time.perf_counter() - began, value


def _plain_batched(transcriber: Any, mono: FloatArray) -> int:
    """(a): faster-whisper's own batched pipeline; returns the number of words."""
    from faster_whisper import BatchedInferencePipeline

    segments, _ = BatchedInferencePipeline(transcriber.whisper).transcribe(
        mono, batch_size=transcriber.batch_size, word_timestamps=True, vad_filter=True
    )
    return sum(len(s.words or ()) for s in segments)


def _pipeline(
    path: Path,
    options: AnalyzeOptions,
    out_dir: Path,
    progress: Callable[[str, float], None] | None = None,
) -> CallAnalysis:
    """(b): dealproof end to end, outputs written."""
    from pipelines.analyze import analyze_call
    from pipelines.exports import write_json, write_rttm, write_vtt

    analysis = analyze_call(path, options, progress)
    began = time.perf_counter()
    write_json(analysis, out_dir / "call.json")
    write_rttm(analysis, out_dir / "call.rttm")
    write_vtt(analysis, out_dir / "call.vtt")
    timings = dict(analysis.timings)
    timings["write outputs"] = time.perf_counter() - began
    return CallAnalysis(
        analysis.call,
        analysis.speakers,
        analysis.utterances,
        analysis.metrics,
        analysis.evidence,
        analysis.scorecard,
        timings=timings,
    )


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run_benchmark(
    *,
    minutes: float = 10.0,
    long_minutes: float | None = 60.0,
    model: str = "tiny.en",
    repeats: int = 2,
    m4a: bool = True,
    behaviors: bool = False,
) -> dict[str, Any]:
    """Run the benchmark described in the module docstring and return its figures.

    ``long_minutes`` None skips the subprocess memory run. ``behaviors`` adds behavior
    detection to (b) (off: the speech pipeline alone, which is what the targets are for).
    """
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    from models.asr import default_threads, load_transcriber
    from models.speakers import load_speaker_encoder
    from pipelines.decode import decode_media

    options = AnalyzeOptions(model=model, behaviors=behaviors)
    source = sample_path()
    result: dict[str, Any] = {
        "model": model,
        "threads": default_threads(),
        "cpu_count": os.cpu_count(),
        "load_average_at_start": list(os.getloadavg()),
        "minutes": minutes,
        "repeats": repeats,
        "behaviors": behaviors,
    }
    with tempfile.TemporaryDirectory(prefix="dealproof-bench-") as tmp:
        work = Path(tmp)
        _log("cold start: loading models")
        asr_load, transcriber = _timed(lambda: load_transcriber(model))
        encoder_load, _ = _timed(load_speaker_encoder)
        warm_out = work / "warmup"
        warm_out.mkdir()
        first_call, _ = _timed(lambda: _pipeline(source, options, warm_out))
        result["cold_start"] = {
            "asr_model_load_s": asr_load,
            "speaker_encoder_load_s": encoder_load,
            "first_call_30s_sample_s": first_call,
            "total_s": asr_load + encoder_load + first_call,
        }

        wav = work / f"call_{minutes:g}min.wav"
        duration = build_wav(source, wav, minutes)
        result["duration_s"] = duration
        mono = decode_media(wav).mono()
        out_dir = work / "out"
        out_dir.mkdir()

        plain_times: list[float] = []
        pipeline_times: list[float] = []
        best: CallAnalysis | None = None
        words = 0
        for i in range(repeats):
            _log(f"run {i + 1}/{repeats}: (a) faster-whisper batched")
            seconds, words = _timed(lambda: _plain_batched(transcriber, mono))
            plain_times.append(seconds)
            _log(f"run {i + 1}/{repeats}: (b) dealproof analyze_call + outputs")
            seconds, analysis = _timed(lambda: _pipeline(wav, options, out_dir))
            pipeline_times.append(seconds)
            if best is None or seconds <= min(pipeline_times):
                best = analysis
        assert best is not None
        a, b = min(plain_times), min(pipeline_times)
        result["plain_faster_whisper"] = {"times_s": plain_times, "min_s": a, "words": words}
        result["pipeline"] = {
            "times_s": pipeline_times,
            "min_s": b,
            "words": sum(len(u.words) for u in best.utterances),
            "speakers": len(best.speakers),
            "stages_s": dict(best.timings),
        }
        result["ratio"] = b / a
        # Noise-free view of the overhead: (b) against its own transcription stage, which
        # runs the same batched faster-whisper call as (a).
        result["ratio_to_own_transcribe"] = b / best.timings["transcribe"]
        result["rtf_plain"] = a / duration
        result["rtf_pipeline"] = b / duration

        if m4a:
            m4a_path = work / f"call_{minutes:g}min.m4a"
            encode_m4a(mono, m4a_path)
            _log("(b) once more on the same call as .m4a (AAC)")
            seconds, analysis = _timed(lambda: _pipeline(m4a_path, options, out_dir))
            result["pipeline_m4a"] = {
                "time_s": seconds,
                "ratio": seconds / a,
                "rtf": seconds / duration,
                "stages_s": dict(analysis.timings),
                "bytes": m4a_path.stat().st_size,
            }

        if long_minutes is not None:
            long_wav = work / f"call_{long_minutes:g}min.wav"
            long_duration = build_wav(source, long_wav, long_minutes)
            _log(f"memory: analyze_call on {long_minutes:g} min in a subprocess")
            result["long"] = _long_run(long_wav, long_duration, model, work, behaviors)
    return result


def _long_run(
    wav: Path, duration: float, model: str, work: Path, behaviors: bool
) -> dict[str, Any]:
    """Run :func:`_child` on ``wav`` in a fresh interpreter; its peak RSS and timings."""
    report = work / "long.json"
    out_dir = work / "long_out"
    out_dir.mkdir()
    command = [
        sys.executable,
        "-m",
        "eval.bench_speech",
        "--child",
        str(wav),
        "--child-out",
        str(out_dir),
        "--child-report",
        str(report),
        "--model",
        model,
        *(["--behaviors"] if behaviors else []),
    ]
    root = Path(__file__).resolve().parent.parent
    began = time.perf_counter()
    proc = subprocess.Popen(command, cwd=root)
    _, status, _ = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - began
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"the {duration / 60:g}-minute run failed (exit {proc.returncode})")
    child: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return {
        "minutes": duration / 60,
        "duration_s": duration,
        "peak_rss_mb": max(child["peak_rss_after_stage_mb"].values()),
        "process_wall_s": wall,
        "model_load_s": child["model_load_s"],
        "analyze_s": child["analyze_s"],
        "rtf": child["analyze_s"] / duration,
        "stages_s": child["stages_s"],
        "peak_rss_after_stage_mb": child["peak_rss_after_stage_mb"],
    }


def _child(wav: Path, out_dir: Path, report: Path, model: str, behaviors: bool) -> int:
    """The memory run's subprocess: load models, analyze ``wav``, write outputs."""
    from models.asr import load_transcriber
    from models.speakers import load_speaker_encoder

    began = time.perf_counter()
    load_transcriber(model)
    load_speaker_encoder()
    loaded = time.perf_counter() - began
    options = AnalyzeOptions(model=model, behaviors=behaviors)
    peaks: dict[str, float] = {"before analysis": _peak_rss_mb()}

    def record_peak(stage: str, fraction: float) -> None:
        if fraction >= 1.0:
            peaks[stage] = _peak_rss_mb()

    seconds, analysis = _timed(lambda: _pipeline(wav, options, out_dir, record_peak))
    report.write_text(
        json.dumps(
            {
                "model_load_s": loaded,
                "analyze_s": seconds,
                "stages_s": dict(analysis.timings),
                "peak_rss_after_stage_mb": peaks,
            }
        ),
        encoding="utf-8",
    )
    return 0


def _peak_rss_mb() -> float:
    """This process's peak RSS so far (``VmHWM``), in MB; 0 where /proc is missing."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def render(result: dict[str, Any]) -> str:
    """The benchmark figures as readable lines, each target marked met or MISSED."""

    def mark(ok: bool) -> str:
        return "met" if ok else "MISSED"

    cold = result["cold_start"]
    plain, pipe = result["plain_faster_whisper"], result["pipeline"]
    minutes = result["duration_s"] / 60
    load = ", ".join(f"{x:.2f}" for x in result["load_average_at_start"])
    lines = [
        f"dealproof speech benchmark: {minutes:g} min two-speaker WAV (pyannote sample "
        f"repeated), model {result['model']}, {result['threads']} threads, "
        f"{result['cpu_count']} CPUs, behaviors {'on' if result['behaviors'] else 'off'}, "
        f"load average at start {load}",
        f"cold start: ASR model load {cold['asr_model_load_s']:.2f} s, speaker encoder load "
        f"{cold['speaker_encoder_load_s']:.2f} s, first call (30 s sample) "
        f"{cold['first_call_30s_sample_s']:.2f} s; total {cold['total_s']:.2f} s",
        f"(a) faster-whisper batched: min {plain['min_s']:.2f} s of "
        f"[{', '.join(f'{t:.2f}' for t in plain['times_s'])}], RTF {result['rtf_plain']:.4f}, "
        f"{plain['words']} words",
        f"(b) dealproof pipeline:     min {pipe['min_s']:.2f} s of "
        f"[{', '.join(f'{t:.2f}' for t in pipe['times_s'])}], {pipe['words']} words, "
        f"{pipe['speakers']} speakers",
        f"ratio b/a: {result['ratio']:.3f} (target ≤ {RATIO_TARGET}) "
        f"[{mark(result['ratio'] <= RATIO_TARGET)}]",
        f"b / b's own transcribe stage: {result['ratio_to_own_transcribe']:.3f} "
        "(the overhead beyond ASR, free of a/b run-to-run noise)",
        f"RTF of b: {result['rtf_pipeline']:.4f} (target ≤ {RTF_TARGET}) "
        f"[{mark(result['rtf_pipeline'] <= RTF_TARGET)}]",
        "stages of b (fastest run), seconds:",
    ]
    lines += [f"  {name:<14} {seconds:8.3f}" for name, seconds in pipe["stages_s"].items()]
    if "pipeline_m4a" in result:
        m = result["pipeline_m4a"]
        lines.append(
            f"(b) on the same call as m4a/AAC ({m['bytes'] / 1e6:.1f} MB): {m['time_s']:.2f} s, "
            f"ratio {m['ratio']:.3f}, RTF {m['rtf']:.4f}, decode {m['stages_s']['decode']:.2f} s "
            f"(WAV: {pipe['stages_s']['decode']:.2f} s)"
        )
    if "long" in result:
        lg = result["long"]
        lines.append(
            f"{lg['minutes']:g} min in a subprocess: peak RSS {lg['peak_rss_mb']:.0f} MB "
            f"(target ≤ {PEAK_RSS_TARGET_MB:.0f} MB) "
            f"[{mark(lg['peak_rss_mb'] <= PEAK_RSS_TARGET_MB)}], analyze {lg['analyze_s']:.1f} s, "
            f"RTF {lg['rtf']:.4f}, model load {lg['model_load_s']:.2f} s"
        )
        lines.append(
            "  stages, s: "
            + ", ".join(f"{name} {seconds:.2f}" for name, seconds in lg["stages_s"].items())
        )
        lines.append(
            "  peak RSS after each stage, MB: "
            + ", ".join(f"{name} {mb:.0f}" for name, mb in lg["peak_rss_after_stage_mb"].items())
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status (2 when the eval data is missing)."""
    parser = argparse.ArgumentParser(
        prog="python -m eval.bench_speech", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the timed input")
    parser.add_argument(
        "--long-minutes", type=float, default=60.0, help="length of the memory-run input"
    )
    parser.add_argument("--skip-long", action="store_true", help="skip the memory run")
    parser.add_argument("--repeats", type=int, default=2, help="a/b alternations (min is kept)")
    parser.add_argument("--no-m4a", action="store_true", help="skip the extra m4a run")
    parser.add_argument("--model", default="tiny.en", help="ASR model (tiny.en, base, or path)")
    parser.add_argument(
        "--behaviors", action="store_true", help="include behavior detection in (b)"
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the figures as JSON")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-report", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.child is not None:
        if args.child_out is None or args.child_report is None:
            parser.error("--child needs --child-out and --child-report")
        return _child(args.child, args.child_out, args.child_report, args.model, args.behaviors)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    try:
        result = run_benchmark(
            minutes=args.minutes,
            long_minutes=None if args.skip_long else args.long_minutes,
            model=args.model,
            repeats=args.repeats,
            m4a=not args.no_m4a,
            behaviors=args.behaviors,
        )
    except FileNotFoundError as exc:
        print(f"bench_speech: {exc}", file=sys.stderr)
        return 2
    print(render(result))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
