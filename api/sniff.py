"""What an upload is, judged by its bytes: the file name and Content-Type are not trusted."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.transcripts import sniff_transcript

HEAD_BYTES = 64


@dataclass(frozen=True)
class Sniffed:
    kind: str
    """``media`` or ``transcript``."""
    format: str
    """File extension for the stored copy: wav, flac, mp3, aac, m4a, mp4, mov, webm, ogg,
    vtt, srt, json or txt."""


def sniff_media(head: bytes) -> str | None:
    """The container format from the first bytes, or None when it is no media we read."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:3] == b"ID3":
        return "mp3"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B "):
            return "m4a"
        return "mov" if brand == b"qt  " else "mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if head[:4] == b"OggS":
        return "ogg"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        # MPEG audio frame sync: layer bits 00 are ADTS AAC, anything else MPEG layer 1-3.
        return "aac" if head[1] & 0x06 == 0 else "mp3"
    return None


_TRANSCRIPT_EXT = {"vtt": "vtt", "srt": "srt", "json": "json", "lines": "txt"}


def sniff_file(path: Path) -> Sniffed | None:
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    media = sniff_media(head)
    if media is not None:
        return Sniffed("media", media)
    transcript = sniff_transcript(path)
    if transcript is not None:
        return Sniffed("transcript", _TRANSCRIPT_EXT[transcript])
    return None


def probe_media(path: Path) -> None:
    """Open the container and check it has an audio stream (headers only, fast).

    Raises InputError when ffmpeg cannot read it: a file that only starts like media.
    """
    import av

    from engine.errors import InputError

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise InputError("the file has no audio stream")
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"not a media file ffmpeg can read ({type(exc).__name__})") from exc
