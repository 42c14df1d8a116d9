"""The speech report on a small real subset: it runs, writes its JSON, and the embedded
diarizer meets its DER target on the pyannote sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.speech_report import main, run_speech_report


@pytest.mark.slow
def test_report_on_pyannote_sample_and_jfk(
    shared_eval: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    assert run_speech_report(json_out=out, files=["pyannote_sample", "jfk"]) == 0

    printed = capsys.readouterr().out
    assert "pyannote_sample" in printed and "jfk" in printed and "Targets:" in printed

    report = json.loads(out.read_text(encoding="utf-8"))
    assert set(report) == {"model", "diarization", "asr", "summary"}
    assert report["model"] == "tiny.en"
    [row] = report["diarization"]
    assert row["name"] == "pyannote_sample"
    assert row["true_speakers"] == 2
    assert set(row["diarizer_der"]) == set(row["output_der"]) == {"0.5", "0.0"}
    assert row["diarizer_der"]["0.5"]["der"] <= 0.10
    assert row["output_der"]["0.5"]["der"] <= 0.10

    assert [f["name"] for f in report["asr"]["files"]] == ["jfk", "pyannote_sample"]
    for f in report["asr"]["files"]:
        assert set(f["faster_whisper"]) >= {"wer", "ref_words"}
        assert set(f["pipeline"]) >= {"wer", "ref_words"}
    assert report["asr"]["corpus"]["pipeline"]["ref_words"] > 0
    summary = report["summary"]
    assert summary["der_met"] is True
    assert summary["count_files"] == ["pyannote_sample"]
    assert isinstance(summary["wer_met"], bool)


def test_missing_eval_data_returns_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DEALPROOF_SHARED", str(tmp_path / "nowhere"))
    assert run_speech_report() == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not found" in err


def test_unknown_file_name_is_refused(shared_eval: Path) -> None:
    with pytest.raises(ValueError, match="unknown evaluation files"):
        run_speech_report(files=["no_such_file"])


def test_module_entry_point_takes_the_same_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DEALPROOF_SHARED", str(tmp_path / "nowhere"))
    assert main(["--model", "tiny.en", "--json", str(tmp_path / "r.json")]) == 2
    assert "not found" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--no-such-option"])
