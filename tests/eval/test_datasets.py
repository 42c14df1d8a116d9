from __future__ import annotations

import wave
from pathlib import Path

import pytest

from engine.types import TranscriptTurn
from eval import datasets
from eval.datasets import (
    asr_files,
    eval_dir,
    read_rttm,
    read_stm,
    read_tagged_lines,
    shared_dir,
    speech_files,
)
from eval.der import count_speakers

# --------------------------------------------------------------------------- paths


def test_shared_dir_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DEALPROOF_SHARED", str(tmp_path))
    assert shared_dir() == tmp_path
    (tmp_path / "eval").mkdir()
    assert eval_dir() == tmp_path / "eval"


def test_shared_dir_defaults_beside_the_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEALPROOF_SHARED", raising=False)
    project_root = Path(datasets.__file__).resolve().parent.parent
    assert shared_dir() == project_root.parent / "shared"


def test_missing_eval_dir_says_what_to_do(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DEALPROOF_SHARED", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="set DEALPROOF_SHARED"):
        eval_dir()


def test_loaders_name_a_missing_file(tmp_path: Path) -> None:
    (tmp_path / "audio").mkdir()
    with pytest.raises(FileNotFoundError, match="leopard_diarization_test"):
        speech_files(tmp_path)
    with pytest.raises(FileNotFoundError, match="librivox_pocketsphinx"):
        asr_files(tmp_path)


# --------------------------------------------------------------------------- formats


def test_read_rttm(tmp_path: Path) -> None:
    path = tmp_path / "x.rttm"
    path.write_text(
        "# a comment\n"
        "SPEAKER x 1 6.200 4.900 <NA> <NA> spk2 <NA> <NA>\n"
        "\n"
        "SPKR-INFO x 1 <NA> <NA> <NA> unknown spk1 <NA> <NA>\n"
        "SPEAKER x 1 1.70 2.20 <NA> <NA> spk1 <NA> <NA>\n"
    )
    turns = read_rttm(path)
    assert [(t.start, round(t.end, 6), t.speaker) for t in turns] == [
        (1.7, 3.9, "spk1"),
        (6.2, 11.1, "spk2"),
    ]


def test_read_rttm_rejects_short_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.rttm"
    path.write_text("SPEAKER x 1 1.0 2.0\n")
    with pytest.raises(ValueError, match=r"bad\.rttm:1"):
        read_rttm(path)


def test_read_stm(tmp_path: Path) -> None:
    path = tmp_path / "x.stm"
    path.write_text(
        ";; comment\nx 1 Bob 2.5 3.0 <o,f0,male> second\nx 1 Ann 0.5 1.25 Hello there.\n"
    )
    assert read_stm(path) == [
        TranscriptTurn(speaker="Ann", text="Hello there.", start=0.5, end=1.25),
        TranscriptTurn(speaker="Bob", text="second", start=2.5, end=3.0),
    ]


def test_read_tagged_lines(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("spk1: and so it begins\nleft channel: a: b\n(source: note)\nuntagged\n")
    assert read_tagged_lines(path) == [("spk1", "and so it begins"), ("left channel", "a: b")]


# --------------------------------------------------------------------------- the real data


def test_speech_files_have_the_readme_speaker_counts(shared_eval: Path) -> None:
    files = {f.name: f for f in speech_files(shared_eval)}
    assert {name: f.num_speakers for name, f in files.items()} == {
        "pyannote_sample": 2,
        "pyaudioanalysis_diarizationExample": 4,
        "pyaudioanalysis_diarizationExample2": 6,
        "picovoice_falcon_test": 3,
        "picovoice_leopard_diarization_test": 3,
        "faster_whisper_stereo_diarization": 2,
    }
    for f in files.values():
        assert f.audio.is_file()
        if f.rttm is not None:
            turns = read_rttm(f.rttm)
            assert count_speakers(turns) == f.num_speakers, f.name
            assert all(t.end > t.start for t in turns)


def test_speech_file_references(shared_eval: Path) -> None:
    files = {f.name: f for f in speech_files(shared_eval)}
    sample = files["pyannote_sample"]
    assert sample.rttm is not None and sample.reference_text is not None
    assert sample.reference_text.startswith("Hello? Hello? Oh, hello.")
    assert sample.reference_text.endswith("Oh, I don't hear that in New Jersey now.")

    falcon = read_rttm(files["picovoice_falcon_test"].rttm or Path())
    assert [(t.start, t.speaker) for t in falcon] == [(1.7, "spk1"), (6.2, "spk2"), (12.8, "spk3")]

    leopard = files["picovoice_leopard_diarization_test"]
    assert leopard.rttm is None
    assert leopard.reference_text is not None
    assert leopard.reference_text.startswith("and so it begins this is what a crocodile")
    tags = read_tagged_lines(
        shared_eval / "audio" / "picovoice" / "leopard_diarization_test.ref_turns.txt"
    )
    assert len({tag for tag, _ in tags}) == leopard.num_speakers

    stereo = files["faster_whisper_stereo_diarization"]
    assert stereo.rttm is None
    assert stereo.reference_text == (
        "He began a confused complaint against the wizard, who had vanished behind the "
        "curtain on the left. The horizon seems extremely distant."
    )
    with wave.open(str(stereo.audio), "rb") as f:
        assert f.getnchannels() == stereo.num_speakers


def test_asr_files(shared_eval: Path) -> None:
    files = asr_files(shared_eval)
    names = [f.name for f in files]
    assert len(files) == 7
    assert names[-2:] == ["jfk", "pyannote_sample"]
    assert sum(name.startswith("librivox_") for name in names) == 5
    for f in files:
        assert f.audio.is_file()
        assert f.reference_text and f.reference_text == f.reference_text.strip()
    by_name = {f.name: f for f in files}
    assert by_name["jfk"].reference_text.startswith("And so my fellow Americans, ask not")
    assert by_name["librivox_sense_and_sensibility_01_austen_64kb-0880"].reference_text == (
        "he was not an ill disposed young man"
    )
    sample = by_name["pyannote_sample"].reference_text
    assert sample.split()[:4] == ["Hello?", "Hello?", "Oh,", "hello."]
    assert len(sample.split()) == 81


def test_default_root_is_eval_dir(shared_eval: Path) -> None:
    assert [f.audio for f in speech_files()] == [f.audio for f in speech_files(shared_eval)]
