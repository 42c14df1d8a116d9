"""The ``dealproof`` command as a user runs it: a child process, its exit code and its output."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from engine.schema import validate_call_json
from eval.synth import write_wav
from tests.api.cli_runner import ROOT, dealproof

TRANSCRIPTS = ROOT / "tests" / "data" / "transcripts"
DISCOVERY = TRANSCRIPTS / "discovery_call.vtt"


@dataclass(frozen=True)
class BadCase:
    args: Callable[[Path], list[str | Path]]
    """The command line, given the folder of prepared bad files."""
    exit_code: int
    says: str
    """Text the one-line message must contain."""


def _analyze(name: str, *options: str) -> Callable[[Path], list[str | Path]]:
    return lambda folder: ["analyze", folder / name, *options]


def _analyze_path(path: Path, *options: str) -> Callable[[Path], list[str | Path]]:
    return lambda _: ["analyze", path, *options]


BAD_CASES: Mapping[str, BadCase] = {
    "missing": BadCase(_analyze("missing.wav"), 2, "no such file"),
    "empty": BadCase(_analyze("empty.wav"), 2, "empty"),
    "directory": BadCase(_analyze("folder"), 2, "not a file"),
    "corrupt": BadCase(_analyze("corrupt.mp3"), 2, "corrupt.mp3"),
    "silent": BadCase(_analyze("silent.wav"), 2, "no speech"),
    "png": BadCase(_analyze("image.png"), 2, "image.png"),
    "text": BadCase(_analyze("notes.txt"), 2, "not a transcript"),
    "pdf": BadCase(_analyze("document.pdf"), 2, "document.pdf"),
    "vtt without turns": BadCase(_analyze("empty.vtt"), 2, "no speaker turns"),
    "malformed json": BadCase(_analyze("broken.json"), 2, "JSON"),
    "bad call-start": BadCase(_analyze_path(DISCOVERY, "--call-start", "yesterday"), 2, "ISO"),
    "call-start without offset": BadCase(
        _analyze_path(DISCOVERY, "--call-start", "2026-03-02T15:00:00"), 2, "offset"
    ),
    "bad tz": BadCase(_analyze_path(DISCOVERY, "--tz", "Mars/Olympus"), 2, "Mars/Olympus"),
    "bad currency": BadCase(_analyze_path(DISCOVERY, "--currency", "dollars"), 2, "ISO 4217"),
    "zero speakers": BadCase(_analyze_path(DISCOVERY, "--speakers", "0"), 2, "--speakers"),
    "unknown rep": BadCase(_analyze_path(DISCOVERY, "--rep", "Nobody"), 2, "Nobody"),
    "unwritable json": BadCase(
        lambda folder: [
            "analyze",
            DISCOVERY,
            "--no-behaviors",
            "--json",
            folder / "notes.txt" / "out.json",
        ],
        2,
        "cannot write",
    ),
    "unknown model": BadCase(
        lambda folder: ["analyze", folder / "speech.wav", "--model", "whisper-huge-v9"],
        3,
        "tiny.en",
    ),
}


def _png() -> bytes:
    """A valid 1x1 RGB PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="session")
def bad_files(tmp_path_factory: pytest.TempPathFactory, shared_eval: Path) -> Path:
    folder = tmp_path_factory.mktemp("bad-inputs")
    (folder / "empty.wav").touch()
    (folder / "folder").mkdir()
    (folder / "corrupt.mp3").write_bytes(np.random.default_rng(7).bytes(8192))
    write_wav(folder / "silent.wav", [np.zeros(3 * 16_000, dtype=np.float32)], 16_000)
    (folder / "image.png").write_bytes(_png())
    (folder / "notes.txt").write_text("Remember to send the pricing deck before Friday.\n")
    (folder / "document.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n")
    (folder / "empty.vtt").write_text("WEBVTT\n\n")
    (folder / "broken.json").write_text('{"turns": [{"speaker": "Dana", "text": "hi"}')
    # Real speech, short, for the model errors that need a recording.
    (folder / "speech.wav").write_bytes(
        (
            shared_eval
            / "asr"
            / "librivox_pocketsphinx"
            / "sense_and_sensibility_01_austen_64kb-0870.wav"
        ).read_bytes()
    )
    return folder


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_is_one_line_and_a_nonzero_exit(case: str, bad_files: Path) -> None:
    bad = BAD_CASES[case]
    done = dealproof(*bad.args(bad_files))
    assert done.returncode == bad.exit_code, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("dealproof: ")
    assert bad.says in lines[0]
    assert done.stdout == ""


# --------------------------------------------------------------------------- happy paths


def test_transcript_writes_json_rttm_and_vtt(tmp_path: Path) -> None:
    """The full default command (behavior detection included), as a user runs it."""
    out = tmp_path / "out"  # does not exist yet
    done = dealproof(
        "analyze",
        DISCOVERY,
        "--json",
        out / "call.json",
        "--rttm",
        out / "call.rttm",
        "--vtt",
        out / "call.vtt",
        "--call-start",
        "2026-03-02T15:00:00+01:00",
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""

    doc = json.loads((out / "call.json").read_text(encoding="utf-8"))
    validate_call_json(doc)
    assert len(doc["utterances"]) == 10
    assert doc["call"]["call_start"] == "2026-03-02T15:00:00+01:00"
    assert {s["name"] for s in doc["speakers"]} == {"Maya Chen", "Tom Okafor"}

    rttm = (out / "call.rttm").read_text(encoding="utf-8").splitlines()
    assert len(rttm) == 10
    assert all(line.startswith(f"SPEAKER {doc['call']['id']} 1 ") for line in rttm)
    assert rttm[0].split()[3:5] == ["1.040", "4.280"]

    vtt = (out / "call.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT")
    assert vtt.count(" --> ") == 10
    assert "<v Maya Chen>Hi Tom, thanks for making time today." in vtt

    # The summary: the call, its speakers with roles, and the transcript.
    assert doc["call"]["id"] in done.stdout
    assert "Maya Chen" in done.stdout and "Tom Okafor" in done.stdout
    assert "rep" in done.stdout and "prospect" in done.stdout
    assert "\x1b" not in done.stdout


def test_quiet_prints_nothing(tmp_path: Path) -> None:
    done = dealproof("analyze", DISCOVERY, "-q", "--no-behaviors", "--json", tmp_path / "call.json")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
    validate_call_json(json.loads((tmp_path / "call.json").read_text(encoding="utf-8")))


def test_piped_output_of_a_recording_has_no_progress_bars(shared_eval: Path) -> None:
    done = dealproof("analyze", shared_eval / "asr" / "jfk.flac", "--no-behaviors")
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\r" not in done.stdout
    assert done.stderr == ""
    assert "ask not what your country can do for you" in done.stdout.lower()


@pytest.mark.parametrize("args", [["--help"], ["analyze", "--help"]])
def test_help_exits_zero(args: list[str]) -> None:
    done = dealproof(*args)
    assert done.returncode == 0
    assert done.stdout.startswith("usage: dealproof")
    assert done.stderr == ""
