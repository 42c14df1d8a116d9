"""Writers for a :class:`CallAnalysis`: ``dealproof.call/1`` JSON, RTTM and WebVTT.

RTTM and WebVTT carry times, so utterances without a start and end (e.g. from an untimed
transcript) are left out of them; the JSON always holds every utterance. Files are written
atomically: a temporary file next to the target is renamed over it, so a crash never leaves
half a file behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from pathlib import Path

from engine.errors import InputError
from engine.types import CallAnalysis


def to_json(analysis: CallAnalysis) -> str:
    """The ``dealproof.call/1`` JSON of ``analysis`` (keys in ``to_dict`` order, UTF-8 kept)."""
    return json.dumps(analysis.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def to_rttm(analysis: CallAnalysis) -> str:
    """One RTTM ``SPEAKER`` line per timed utterance, labelled with the speaker id.

    The file id is the call id with whitespace replaced by ``_`` (RTTM fields cannot hold it).
    """
    file_id = _rttm_field(analysis.call.id) or "call"
    lines = []
    for u in analysis.utterances:
        if u.start is None or u.end is None:
            continue
        lines.append(
            f"SPEAKER {file_id} 1 {u.start:.3f} {u.duration:.3f} <NA> <NA> "
            f"{_rttm_field(u.speaker)} <NA> <NA>\n"
        )
    return "".join(lines)


def to_vtt(analysis: CallAnalysis) -> str:
    """WebVTT with one cue per timed utterance: cue id = utterance id, text ``<v Name>text``.

    ``Name`` is the speaker's name, else its id. Line breaks in a text become spaces, and
    ``& < >`` are escaped, so :func:`pipelines.transcripts.parse_vtt` gives back the same
    speakers, texts and (millisecond) times.
    """
    names = {s.id: s.name or s.id for s in analysis.speakers}
    cues = ["WEBVTT\n"]
    for u in analysis.utterances:
        if u.start is None or u.end is None:
            continue
        name = _vtt_escape(" ".join(names.get(u.speaker, u.speaker).split()))
        text = _vtt_escape(" ".join(u.text.splitlines()))
        cues.append(f"{u.id}\n{_vtt_time(u.start)} --> {_vtt_time(u.end)}\n<v {name}>{text}\n")
    return "\n".join(cues)


def write_json(analysis: CallAnalysis, path: Path | str) -> None:
    """Write :func:`to_json` to ``path`` atomically, creating parent directories."""
    _write_atomic(Path(path), to_json(analysis))


def write_rttm(analysis: CallAnalysis, path: Path | str) -> None:
    """Write :func:`to_rttm` to ``path`` atomically, creating parent directories."""
    _write_atomic(Path(path), to_rttm(analysis))


def write_vtt(analysis: CallAnalysis, path: Path | str) -> None:
    """Write :func:`to_vtt` to ``path`` atomically, creating parent directories."""
    _write_atomic(Path(path), to_vtt(analysis))


def _rttm_field(value: str) -> str:
    return re.sub(r"\s+", "_", value.strip())


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _vtt_time(seconds: float) -> str:
    ms = max(0, round(seconds * 1000))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}"


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # os.open with 0o666 lets the umask decide the mode, as for any newly written file.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(e, OSError):
            raise InputError(f"cannot write {path}: {e.strerror or e}") from e
        raise
