"""Loaders for the read-only evaluation data in ``../shared/eval``.

The data is never copied into the repository; these functions find it by path
(``$DEALPROOF_SHARED/eval`` when that variable is set, else ``<project root>/../shared/eval``)
and read each reference in the format its source ships:

- RTTM (``SPEAKER <file> <chan> <start> <duration> <NA> <NA> <speaker> <NA> <NA>``):
  pyannote sample, pyAudioAnalysis examples, Picovoice Falcon.
- STM (``<file> <chan> <speaker> <start> <end> <text>``): the pyannote sample's transcript.
- ``*.ref_turns.txt`` (``spkN: text`` per line, no times): Picovoice Leopard diarization clip.
- ``stereo_diarization.ref.txt`` (``left channel: text`` / ``right channel: text``, then a
  ``(source: ...)`` note): faster-whisper's stereo clip.
- plain text, one utterance per file: LibriVox (pocketsphinx) ``*.txt`` and ``jfk.txt``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from engine.types import SpeakerTurn, TranscriptTurn

_MISSING_HINT = "set DEALPROOF_SHARED to the folder holding eval/"


@dataclass(frozen=True)
class SpeechFile:
    """A recording with reference speaker labels (for diarization and speaker counting)."""

    name: str
    audio: Path
    rttm: Path | None
    """Reference who-spoke-when; None where the source gives no times."""
    reference_text: str | None
    """What is said, in time order where known; None where the source gives no text."""
    num_speakers: int


@dataclass(frozen=True)
class AsrFile:
    """A recording with a reference transcript (for word error rate)."""

    name: str
    audio: Path
    reference_text: str


def shared_dir() -> Path:
    """The shared folder: ``$DEALPROOF_SHARED`` when set, else ``<project root>/../shared``."""
    env = os.environ.get("DEALPROOF_SHARED")
    if env:
        return Path(env).expanduser()
    project_root = Path(__file__).resolve().parent.parent
    return project_root.parent / "shared"


def eval_dir() -> Path:
    """The evaluation data folder, ``shared_dir()/eval``.

    Raises:
        FileNotFoundError: when the folder does not exist.
    """
    path = shared_dir() / "eval"
    if not path.is_dir():
        raise FileNotFoundError(f"../shared/eval not found ({path}): {_MISSING_HINT}")
    return path


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"evaluation file missing: {path}")
    return path


def read_rttm(path: str | Path) -> list[SpeakerTurn]:
    """Read the ``SPEAKER`` lines of an RTTM file as turns, sorted by start then end.

    Blank lines, ``#``/``;;`` comments and other RTTM record types are skipped.
    """
    turns: list[SpeakerTurn] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith(("#", ";;")) or fields[0] != "SPEAKER":
            continue
        if len(fields) < 8:
            raise ValueError(f"{path}:{number}: RTTM SPEAKER line needs 8+ fields: {line!r}")
        start, duration = float(fields[3]), float(fields[4])
        turns.append(SpeakerTurn(start=start, end=start + duration, speaker=fields[7]))
    turns.sort(key=lambda t: (t.start, t.end))
    return turns


def read_stm(path: str | Path) -> list[TranscriptTurn]:
    """Read an STM transcript (``file chan speaker start end [<labels>] text``) in time order.

    ``;;`` comment lines are skipped, and an optional ``<...>`` label field before the text
    is dropped.
    """
    turns: list[TranscriptTurn] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith(";;"):
            continue
        fields = line.split(maxsplit=5)
        if len(fields) < 5:
            raise ValueError(f"{path}:{number}: STM line needs 5+ fields: {line!r}")
        text = fields[5] if len(fields) == 6 else ""
        if text.startswith("<") and ">" in text:
            text = text[text.index(">") + 1 :]
        turns.append(
            TranscriptTurn(
                speaker=fields[2],
                text=text.strip(),
                start=float(fields[3]),
                end=float(fields[4]),
            )
        )
    turns.sort(key=lambda t: (t.start or 0.0, t.end or 0.0))
    return turns


def read_tagged_lines(path: str | Path) -> list[tuple[str, str]]:
    """Read ``tag: text`` lines as ``(tag, text)`` pairs; lines without a tag are skipped.

    This is the format of Picovoice's ``*.ref_turns.txt`` (``spk1: ...``) and of
    faster-whisper's ``stereo_diarization.ref.txt`` (``left channel: ...``), whose trailing
    ``(source: ...)`` note is not a tagged line.
    """
    pairs: list[tuple[str, str]] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        tag, sep, text = line.partition(":")
        if not sep or not tag.strip() or tag.lstrip().startswith("("):
            continue
        pairs.append((tag.strip(), text.strip()))
    return pairs


def _stm_text(path: Path) -> str:
    return " ".join(t.text for t in read_stm(path) if t.text)


def speech_files(root: Path | None = None) -> list[SpeechFile]:
    """The recordings with reference speakers, in a fixed order.

    ``root`` is the evaluation folder (default: :func:`eval_dir`). Raises FileNotFoundError
    naming the first missing file.
    """
    base = (root if root is not None else eval_dir()) / "audio"
    pyannote = base / "pyannote_sample"
    pyaa = base / "pyaudioanalysis"
    pico = base / "picovoice"
    fw = base / "faster_whisper"

    leopard_turns = read_tagged_lines(_existing(pico / "leopard_diarization_test.ref_turns.txt"))
    stereo_lines = read_tagged_lines(_existing(fw / "stereo_diarization.ref.txt"))
    return [
        SpeechFile(
            name="pyannote_sample",
            audio=_existing(pyannote / "sample.wav"),
            rttm=_existing(pyannote / "sample.rttm"),
            reference_text=_stm_text(_existing(pyannote / "sample.stm")),
            num_speakers=2,
        ),
        SpeechFile(
            name="pyaudioanalysis_diarizationExample",
            audio=_existing(pyaa / "diarizationExample.wav"),
            rttm=_existing(pyaa / "diarizationExample.rttm"),
            reference_text=None,
            num_speakers=4,
        ),
        SpeechFile(
            name="pyaudioanalysis_diarizationExample2",
            audio=_existing(pyaa / "diarizationExample2.wav"),
            rttm=_existing(pyaa / "diarizationExample2.rttm"),
            reference_text=None,
            num_speakers=6,
        ),
        SpeechFile(
            name="picovoice_falcon_test",
            audio=_existing(pico / "falcon_test.wav"),
            rttm=_existing(pico / "falcon_test.rttm"),
            reference_text=None,
            num_speakers=3,
        ),
        SpeechFile(
            name="picovoice_leopard_diarization_test",
            audio=_existing(pico / "leopard_diarization_test.wav"),
            rttm=None,
            reference_text=" ".join(text for _, text in leopard_turns),
            num_speakers=3,
        ),
        SpeechFile(
            # One speaker per channel; the shipped .derived.rttm is only an energy estimate,
            # so it is not offered as a reference.
            name="faster_whisper_stereo_diarization",
            audio=_existing(fw / "stereo_diarization.wav"),
            rttm=None,
            reference_text=" ".join(text for _, text in stereo_lines),
            num_speakers=2,
        ),
    ]


def asr_files(root: Path | None = None) -> list[AsrFile]:
    """The recordings with reference transcripts, in a fixed order.

    LibriVox utterances (sorted by name), JFK, then the pyannote sample (its STM turns
    joined in time order). ``root`` is the evaluation folder (default: :func:`eval_dir`).
    """
    base = root if root is not None else eval_dir()
    files: list[AsrFile] = []
    librivox = base / "asr" / "librivox_pocketsphinx"
    wavs = sorted(librivox.glob("*.wav"))
    if not wavs:
        raise FileNotFoundError(f"evaluation files missing: no *.wav in {librivox}")
    for wav in wavs:
        text = _existing(wav.with_suffix(".txt")).read_text(encoding="utf-8")
        files.append(AsrFile(name=f"librivox_{wav.stem}", audio=wav, reference_text=text.strip()))
    asr = base / "asr"
    files.append(
        AsrFile(
            name="jfk",
            audio=_existing(asr / "jfk.flac"),
            reference_text=_existing(asr / "jfk.txt").read_text(encoding="utf-8").strip(),
        )
    )
    pyannote = base / "audio" / "pyannote_sample"
    files.append(
        AsrFile(
            name="pyannote_sample",
            audio=_existing(pyannote / "sample.wav"),
            reference_text=_stm_text(_existing(pyannote / "sample.stm")),
        )
    )
    return files
