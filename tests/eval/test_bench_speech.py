"""The speech benchmark's structure on a short input (no timing assertions)."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from eval.bench_speech import build_wav, render, run_benchmark


@pytest.mark.slow
def test_benchmark_on_one_minute(shared_eval: Path) -> None:
    result = run_benchmark(minutes=1, long_minutes=None, repeats=1)

    assert result["duration_s"] == pytest.approx(60.0)
    assert result["ratio"] > 0
    assert result["ratio_to_own_transcribe"] > 1
    assert result["rtf_pipeline"] > 0
    assert set(result["cold_start"]) == {
        "asr_model_load_s",
        "speaker_encoder_load_s",
        "first_call_30s_sample_s",
        "total_s",
    }
    assert len(result["plain_faster_whisper"]["times_s"]) == 1
    assert result["plain_faster_whisper"]["words"] > 0
    pipeline = result["pipeline"]
    assert pipeline["words"] > 0 and pipeline["speakers"] >= 1
    for stage in ("decode", "detect speech", "transcribe", "diarize", "write outputs"):
        assert stage in pipeline["stages_s"]
    assert result["pipeline_m4a"]["stages_s"]["decode"] > 0
    assert "long" not in result
    assert "ratio b/a" in render(result)


@pytest.mark.slow
def test_memory_run_in_a_subprocess(shared_eval: Path) -> None:
    result = run_benchmark(minutes=0.5, long_minutes=0.5, repeats=1, m4a=False)

    long = result["long"]
    assert long["duration_s"] == pytest.approx(30.0)
    assert long["peak_rss_mb"] > 0 and long["rtf"] > 0
    assert "transcribe" in long["stages_s"]
    assert "diarize" in long["peak_rss_after_stage_mb"]
    assert "peak RSS" in render(result)


def test_build_wav_repeats_the_sample_to_length(shared_eval: Path, tmp_path: Path) -> None:
    out = tmp_path / "call.wav"
    seconds = build_wav(shared_eval / "audio" / "pyannote_sample" / "sample.wav", out, 1.25)
    assert seconds == pytest.approx(75.0)
    with wave.open(str(out), "rb") as f:
        assert (f.getframerate(), f.getnchannels(), f.getsampwidth()) == (16000, 1, 2)
        assert f.getnframes() == 75 * 16000
