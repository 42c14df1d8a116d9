"""Transcript import: WebVTT (Zoom style included), SRT, transcript JSON and ``Name: text`` lines.

Every parser keeps exactly one :class:`TranscriptTurn` per input cue or turn, in input order:
nothing is merged, split or dropped, and empty cues stay as empty turns, so that labels on turn
indices (``u{index}``) stay valid.

Speaker names come from, in this order: a WebVTT voice tag (``<v Dana>``), else a ``Name:
text`` prefix on the cue text. A voice tag's class that names a role (``<v.prospect Ana>``,
``<v.rep.loud Dana>``; ``rep`` or ``prospect``, any case) gives the turn that role, which
role attribution keeps (engine/roles.py); other classes are styling and ignored. A *name* is
a label of at most four words that starts with a letter and holds no ``: < > [ ] ? ! "`` (so
``Dana Whitfield:`` or ``Speaker 1:`` but not ``So here is my question:``). A cue without a
name gets speaker ``None``.

Plain lines (``Name: text`` per line): a line with a name prefix, optionally after a
``[hh:mm:ss]``, ``(mm:ss)`` or ``hh:mm:ss`` timestamp, starts a new turn; any other non-blank
line continues the previous turn (joined with a space), or starts an unnamed turn if it is
first. Blank lines are skipped. A line timestamp gives the turn's start; its end stays ``None``
because the source does not say when the turn ends.
"""

from __future__ import annotations

import codecs
import html
import json
import math
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.types import ROLES, Role, Transcript, TranscriptTurn

SNIFF_BYTES = 8192
"""How much of a file :func:`sniff_transcript` reads to decide."""

_CLOCK = r"(?:\d+:)?\d{1,2}:\d{2}"
_CUE_TIME_RE = re.compile(
    rf"^\s*(?P<start>{_CLOCK}[.,]\d{{1,3}})\s*-->\s*(?P<end>{_CLOCK}[.,]\d{{1,3}})(?:\s.*)?$"
)
_NAME = r"(?P<name>[^\W\d_][^:<>\[\]?!\"]{0,47}?)\s*:(?:\s+|$)"
_NAME_RE = re.compile(rf"^{_NAME}(?P<text>.*)$", re.DOTALL)
_LINE_RE = re.compile(
    rf"^(?:[\[(](?P<bts>{_CLOCK}(?:[.,]\d{{1,3}})?)[\])]\s*"
    rf"|(?P<ts>{_CLOCK}(?:[.,]\d{{1,3}})?)\s+)?{_NAME}(?P<text>.*)$"
)
_MAX_NAME_WORDS = 4
_VOICE_RE = re.compile(r"<v(?P<classes>\.[^\s>]*)?(?:[ \t]+(?P<name>[^>]*))?>")
_VTT_TAG_RE = re.compile(r"<(?:/?[A-Za-z][^<>]*|[\d:.]+)>")
_SRT_TAG_RE = re.compile(r"</?[A-Za-z][^<>]*>|\{\\[^}]*\}")
_VTT_HEADER_RE = re.compile(r"WEBVTT(?:[ \t\r\n]|$)")
_VTT_SKIPPED_BLOCKS = ("NOTE", "STYLE", "REGION")


def sniff_transcript(path: Path) -> str | None:
    """The transcript format of ``path`` ("vtt", "srt", "json" or "lines"), judged by content.

    Reads only the first :data:`SNIFF_BYTES`. Returns None for anything that is not UTF-8 text
    (a BOM is allowed) or does not look like one of the formats, e.g. a media file.
    """
    text = _head_text(path)
    return None if text is None else _sniff_text(text)


def is_text_file(path: Path) -> bool:
    """Whether ``path`` starts like UTF-8 text (so it is no media file, whatever else it is)."""
    text = _head_text(path)
    return text is not None and bool(text.strip())


def _head_text(path: Path) -> str | None:
    try:
        with Path(path).open("rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError:
        return None
    if b"\x00" in head:
        return None
    try:
        # final=False: the cut at SNIFF_BYTES may fall inside a multi-byte character.
        return codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        return None


def read_transcript(path: Path) -> Transcript:
    """Read and parse a transcript file in whichever format its content shows.

    Raises :class:`InputError` with a one-line reason when the file is missing, empty, not
    UTF-8 text, not a recognized transcript, malformed, or holds no turns.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"transcript not found: {path}")
    if path.is_dir():
        raise InputError(f"{path} is a directory, not a transcript file")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from e
    if b"\x00" in data:
        raise InputError(f"{path} is not a text transcript (it contains binary data)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{path} is not UTF-8 text (invalid byte at offset {e.start})") from e
    if not text.strip():
        raise InputError(f"{path} is empty")
    fmt = _sniff_text(text[:SNIFF_BYTES])
    if fmt is None:
        raise InputError(
            f"{path} is not a recognized transcript "
            "(expected WebVTT, SRT, transcript JSON or 'Name: text' lines)"
        )
    try:
        transcript = _PARSERS[fmt](text)
    except InputError as e:
        raise InputError(f"{path}: {e}") from e
    if not transcript.turns:
        raise InputError(f"no speaker turns found in {path}")
    return transcript


def parse_vtt(text: str) -> Transcript:
    """Parse WebVTT: one turn per cue; NOTE, STYLE and REGION blocks and cue ids are skipped."""
    blocks = _blocks(text)
    header = next(blocks, None)
    if header is None or not _VTT_HEADER_RE.match(header[1][0]):
        raise InputError("not a WebVTT file: it must start with a 'WEBVTT' line")
    for offset, line in enumerate(header[1]):
        if "-->" in line:
            raise InputError(
                f"line {header[0] + offset}: a blank line must separate the WEBVTT header "
                "from the first cue"
            )
    turns = []
    for lineno, block in blocks:
        if block[0].split(maxsplit=1)[0] in _VTT_SKIPPED_BLOCKS:
            continue
        start, end, payload = _cue(lineno, block)
        speaker, body, role = _cue_text(payload, vtt=True)
        turns.append(TranscriptTurn(speaker=speaker, text=body, start=start, end=end, role=role))
    return Transcript(turns=tuple(turns), format="vtt")


def _voice_role(voice: re.Match[str] | None) -> Role | None:
    """The role a cue's voice tag names among its classes (``<v.prospect Ana>``), if any."""
    if voice is None or not voice["classes"]:
        return None
    for name in voice["classes"].lower().split(".")[1:]:
        if name == "rep":
            return "rep"
        if name == "prospect":
            return "prospect"
    return None


def parse_srt(text: str) -> Transcript:
    """Parse SRT (``,`` or ``.`` before the milliseconds): one turn per cue, index optional."""
    turns = []
    for lineno, block in _blocks(text):
        start, end, payload = _cue(lineno, block)
        speaker, body, _ = _cue_text(payload, vtt=False)
        turns.append(TranscriptTurn(speaker=speaker, text=body, start=start, end=end))
    return Transcript(turns=tuple(turns), format="srt")


def parse_json(text: str) -> Transcript:
    """Parse transcript JSON (DESIGN.md, "Contracts"); roles and times are kept as given.

    Turn numbers in error messages count from 0, like the utterance ids ``u{index}``.
    Unknown keys are ignored; a null or blank ``speaker`` means the speaker is unknown.
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"malformed JSON at line {e.lineno}, column {e.colno}: {e.msg}") from e
    if not isinstance(doc, dict):
        raise InputError(
            f'transcript JSON must be an object with a "turns" list, not {_json_type(doc)}'
        )
    call_id = _opt_str(doc, "call_id")
    call_start = _opt_str(doc, "call_start")
    if call_start is not None:
        try:
            datetime.fromisoformat(call_start)
        except ValueError:
            raise InputError(
                f"call_start must be an ISO 8601 date-time, not {call_start!r}"
            ) from None
    raw_turns = doc.get("turns")
    if not isinstance(raw_turns, list):
        raise InputError('transcript JSON needs a "turns" list')
    turns = tuple(_json_turn(i, t) for i, t in enumerate(raw_turns))
    return Transcript(turns=turns, format="json", call_id=call_id, call_start=call_start)


def parse_lines(text: str) -> Transcript:
    """Parse ``Name: text`` lines (see the module docstring for continuation lines)."""
    drafts: list[tuple[str | None, float | None, list[str]]] = []
    for raw in _split_lines(text):
        line = raw.strip()
        if not line:
            continue
        m = _LINE_RE.match(line)
        if m and _is_name(m["name"]):
            clock = m["bts"] or m["ts"]
            start = None if clock is None else _seconds(clock)
            drafts.append((m["name"].strip(), start, [m["text"].strip()]))
        elif drafts:
            drafts[-1][2].append(line)
        else:
            drafts.append((None, None, [line]))
    turns = tuple(
        TranscriptTurn(speaker=name, text=" ".join(p for p in parts if p), start=start)
        for name, start, parts in drafts
    )
    return Transcript(turns=turns, format="lines")


_PARSERS = {"vtt": parse_vtt, "srt": parse_srt, "json": parse_json, "lines": parse_lines}


# --------------------------------------------------------------------------- helpers


def _sniff_text(text: str) -> str | None:
    text = text.lstrip("\ufeff").lstrip()
    if _VTT_HEADER_RE.match(text):
        return "vtt"
    first = [line.strip() for line in _split_lines(text)[:50] if line.strip()][:2]
    if not first:
        return None
    if first[0].startswith("{"):
        return "json"
    if _CUE_TIME_RE.match(first[0]) or (
        first[0].isdigit() and len(first) > 1 and _CUE_TIME_RE.match(first[1])
    ):
        return "srt"
    m = _LINE_RE.match(first[0])
    if m and _is_name(m["name"]):
        return "lines"
    # A JSON array is read as JSON so that its error names the contract; "[section]" (TOML,
    # INI) is not JSON at all.
    if re.match(r"\[\s*($|[{\[\]\"])", first[0]):
        return "json"
    return None


def _split_lines(text: str) -> list[str]:
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """Blank-line separated blocks with the (1-based) line number of their first line."""
    block: list[str] = []
    start = 0
    for i, line in enumerate(_split_lines(text), start=1):
        if line.strip():
            if not block:
                start = i
            block.append(line)
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def _cue(lineno: int, block: list[str]) -> tuple[float, float, list[str]]:
    """Times and payload lines of a cue block (an id or SRT index line may come first)."""
    if "-->" in block[0]:
        at = 0
    elif len(block) > 1 and "-->" in block[1]:
        at = 1
    else:
        raise InputError(
            f"line {lineno}: expected a cue timing line like '00:00:01.000 --> 00:00:04.000'"
        )
    m = _CUE_TIME_RE.match(block[at])
    if m is None:
        raise InputError(f"line {lineno + at}: bad cue timing {block[at].strip()!r}")
    start, end = _seconds(m["start"]), _seconds(m["end"])
    if end < start:
        raise InputError(f"line {lineno + at}: cue ends before it starts")
    return start, end, block[at + 1 :]


def _cue_text(payload: list[str], *, vtt: bool) -> tuple[str | None, str, Role | None]:
    """Speaker, plain text and role (from a VTT voice class) of a cue; a cue's lines are
    joined with a space."""
    raw = "\n".join(payload)
    voice = _VOICE_RE.search(raw) if vtt else None
    body = (_VTT_TAG_RE if vtt else _SRT_TAG_RE).sub("", raw)
    body = " ".join(part.strip() for part in body.split("\n") if part.strip())
    if vtt:
        body = html.unescape(body)
    if voice is not None:
        name = html.unescape(voice["name"] or "").strip()
        return name or None, body, _voice_role(voice)
    m = _NAME_RE.match(body)
    if m and _is_name(m["name"]):
        return m["name"].strip(), m["text"].strip(), None
    return None, body, None


def _is_name(name: str) -> bool:
    return len(name.split()) <= _MAX_NAME_WORDS


def _seconds(clock: str) -> float:
    parts = clock.replace(",", ".").split(":")
    hours = int(parts[0]) if len(parts) == 3 else 0
    return round(hours * 3600 + int(parts[-2]) * 60 + float(parts[-1]), 3)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def _opt_str(d: dict[str, Any], key: str, where: str = "") -> str | None:
    value = d.get(key)
    if value is None or isinstance(value, str):
        return value
    prefix = f"{where}: " if where else ""
    raise InputError(f"{prefix}{key} must be a string or null, not {_json_type(value)}")


def _json_time(d: dict[str, Any], key: str, where: str) -> float | None:
    value = d.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where}: {key} must be a number or null, not {_json_type(value)}")
    if not math.isfinite(value) or value < 0:
        raise InputError(f"{where}: {key} must be a finite number of seconds >= 0, not {value}")
    return float(value)


def _json_turn(index: int, t: object) -> TranscriptTurn:
    where = f"turn {index}"
    if not isinstance(t, dict):
        raise InputError(f"{where}: must be an object, not {_json_type(t)}")
    if not isinstance(t.get("text"), str):
        what = "is missing" if "text" not in t else f"must be a string, not {_json_type(t['text'])}"
        raise InputError(f"{where}: text {what}")
    if "speaker" not in t:
        raise InputError(f"{where}: speaker is missing")
    speaker = _opt_str(t, "speaker", where)
    role = t.get("role")
    if role is not None and role not in ROLES:
        raise InputError(f"{where}: role must be 'rep', 'prospect' or null, not {role!r}")
    start = _json_time(t, "start", where)
    end = _json_time(t, "end", where)
    if start is not None and end is not None and end < start:
        raise InputError(f"{where}: end ({end}) is before start ({start})")
    return TranscriptTurn(
        speaker=(speaker or "").strip() or None, text=t["text"], start=start, end=end, role=role
    )
