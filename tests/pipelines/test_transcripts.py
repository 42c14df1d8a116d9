from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import InputError
from engine.types import Role, TranscriptTurn
from pipelines.transcripts import (
    SNIFF_BYTES,
    parse_json,
    parse_lines,
    parse_srt,
    parse_vtt,
    read_transcript,
    sniff_transcript,
)

DATA = Path(__file__).parent.parent / "data" / "transcripts"


def T(
    speaker: str | None,
    text: str,
    start: float | None = None,
    end: float | None = None,
    role: Role | None = None,
) -> TranscriptTurn:
    return TranscriptTurn(speaker=speaker, text=text, start=start, end=end, role=role)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(InputError) as info:
        read_transcript(path)
    return str(info.value)


# --------------------------------------------------------------------------- files


def test_zoom_vtt_names_every_cue_from_its_prefix() -> None:
    transcript = read_transcript(DATA / "discovery_call.vtt")
    assert transcript.format == "vtt"
    assert transcript.call_id is None
    assert [t.speaker for t in transcript.turns] == ["Maya Chen", "Tom Okafor"] * 5
    assert transcript.turns[:3] == (
        T(
            "Maya Chen",
            "Hi Tom, thanks for making time today. Can you hear me okay?",
            1.04,
            5.32,
        ),
        T("Tom Okafor", "Loud and clear.", 5.9, 7.15),
        T(
            "Maya Chen",
            "Great. So I'd love to understand how your team closes the books each month "
            "and where it gets painful.",
            7.6,
            15.48,
        ),
    )
    assert transcript.turns[-1] == T(
        "Tom Okafor", "Tuesday works. I'll send her an invite.", 63.8, 66.9
    )


def test_vtt_with_voice_tags_notes_styles_settings_and_an_empty_cue() -> None:
    transcript = read_transcript(DATA / "onboarding_call.vtt")
    assert transcript.turns == (
        T("Leo Park", "Welcome aboard! Today we'll set up your first workspace.", 2.5, 6.0),
        T(None, "", 6.4, 7.0),
        T(
            "Ana Ruiz",
            "Thanks. Quick question first & it's about permissions: "
            "can admins limit who exports data?",
            7.3,
            12.75,
            "prospect",  # the voice tag's class names the role
        ),
        T("Leo Park", "Yes, exports are role based <admin only> by default.", 13.1, 17.25),
    )


@pytest.mark.parametrize(
    ("tag", "role"),
    [
        ("<v.prospect Ana>", "prospect"),
        ("<v.Rep.loud Dana>", "rep"),
        ("<v.loud.rep Dana>", "rep"),
        ("<v.loud Dana>", None),
        ("<v.representative Dana>", None),
        ("<v Dana>", None),
    ],
)
def test_a_voice_class_naming_a_role_gives_the_turn_that_role(tag: str, role: Role | None) -> None:
    transcript = parse_vtt(f"WEBVTT\n\n00:01.000 --> 00:02.000\n{tag}Hello there.\n")
    assert transcript.turns[0].role == role


def test_srt_with_comma_millis_tags_and_an_unnamed_cue() -> None:
    transcript = read_transcript(DATA / "demo_call.srt")
    assert transcript.format == "srt"
    assert transcript.turns == (
        T("Jordan Blake", "Thanks for joining the demo, everyone.", 0.8, 4.1),
        T(
            "Sam Whitaker",
            "Happy to be here. We mostly want to see the approval workflow.",
            4.6,
            9.95,
        ),
        T(
            "Jordan Blake",
            "Perfect, I'll start there. Quick context: how many approvers does a typical "
            "invoice go through today?",
            10.4,
            18.2,
        ),
        T(None, "Mm-hmm.", 18.7, 20.1),
        T("Sam Whitaker", "Usually two, sometimes three if it's over budget.", 20.5, 27.6),
    )


def test_json_keeps_roles_times_empty_turns_and_call_facts() -> None:
    transcript = read_transcript(DATA / "pricing_call.json")
    assert transcript.format == "json"
    assert transcript.call_id == "acme-pricing-2024-03-12"
    assert transcript.call_start == "2024-03-12T15:00:00+01:00"
    assert [(t.speaker, t.role, t.start, t.end) for t in transcript.turns] == [
        ("Rosa Lindqvist", "rep", 0.5, 6.25),
        ("Ken Adeyemi", "prospect", 6.9, 15.0),
        ("Ken Adeyemi", "prospect", 15.2, 19.8),
        ("Rosa Lindqvist", "rep", None, None),
        ("Rosa Lindqvist", None, 21.0, 27.5),
    ]
    assert transcript.turns[3].text == ""
    assert transcript.turns[2].text == "Our budget for this is around forty thousand a year."


def test_plain_lines_with_timestamps_continuations_and_an_empty_turn() -> None:
    transcript = read_transcript(DATA / "followup_call.txt")
    assert transcript.format == "lines"
    assert transcript.turns == (
        T(
            "Nina Patel",
            "Hey Marcus, following up on last week's trial. How did the pilot go?",
            2.0,
        ),
        T(
            "Marcus Lee",
            "Pretty well overall. The support team loved the shared inbox. "
            "The reporting piece was slower to click with people though.",
            9.0,
        ),
        T("Nina Patel", "Got it. What would make reporting easier for them?", 21.0),
        T("Marcus Lee", "Some saved templates, mostly.", 27.0),
        T("Nina Patel", "", 31.0),
        T(
            "Nina Patel",
            "Sorry, dropped for a second. Templates are already on our roadmap.",
            33.0,
        ),
    )


@pytest.mark.parametrize("name", ["discovery_call.vtt", "onboarding_call.vtt", "demo_call.srt"])
def test_one_turn_per_cue(name: str) -> None:
    text = (DATA / name).read_text(encoding="utf-8")
    cues = [line for line in text.splitlines() if "-->" in line]
    assert len(read_transcript(DATA / name).turns) == len(cues)


def test_one_turn_per_json_turn_in_order() -> None:
    doc = json.loads((DATA / "pricing_call.json").read_text(encoding="utf-8"))
    turns = read_transcript(DATA / "pricing_call.json").turns
    assert [t.text for t in turns] == [t["text"] for t in doc["turns"]]


# --------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("discovery_call.vtt", "vtt"),
        ("onboarding_call.vtt", "vtt"),
        ("demo_call.srt", "srt"),
        ("pricing_call.json", "json"),
        ("followup_call.txt", "lines"),
    ],
)
def test_sniff_data_files(name: str, fmt: str) -> None:
    assert sniff_transcript(DATA / name) == fmt


@pytest.mark.parametrize(
    ("content", "fmt"),
    [
        ("\ufeffWEBVTT\r\n\r\n00:01.000 --> 00:02.000\r\nA: hi\r\n", "vtt"),
        ("00:00:01,000 --> 00:00:02,000\nA: hi\n", "srt"),
        ("\n\n7\n00:00:01,000 --> 00:00:02,000\nA: hi\n", "srt"),
        ('  {"turns": []}', "json"),
        ('[{"speaker": "A", "text": "hi"}]', "json"),
        ("Dana: hello\n", "lines"),
        ("[00:01:02] Dana Whitfield: hello\n", "lines"),
        ("00:01:02 Speaker 1: hello\n", "lines"),
        ("Meeting notes from Tuesday\nDana: hello\n", None),
        ("just some prose without a speaker\n", None),
        ("", None),
        ("\n  \n", None),
    ],
)
def test_sniff_by_content_not_extension(tmp_path: Path, content: str, fmt: str | None) -> None:
    assert sniff_transcript(write(tmp_path, "input.bin", content)) == fmt


def test_sniff_rejects_binary_and_non_utf8(tmp_path: Path) -> None:
    wav = b"RIFF\x24\x08\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00"
    assert sniff_transcript(write(tmp_path, "call.vtt", wav)) is None
    assert sniff_transcript(write(tmp_path, "latin1.txt", "Zoë: hallo\n".encode("latin-1"))) is None
    assert sniff_transcript(write(tmp_path, "utf16.vtt", "WEBVTT\n".encode("utf-16"))) is None
    assert sniff_transcript(tmp_path / "missing.vtt") is None


def test_sniff_reads_only_the_head(tmp_path: Path) -> None:
    # A NUL past the head is not seen; a character cut at the head's end is no decode error.
    body = "WEBVTT\n\n" + "x" * (SNIFF_BYTES - 9) + "é" + "\x00" * 10
    assert sniff_transcript(write(tmp_path, "long.vtt", body)) == "vtt"


# --------------------------------------------------------------------------- WebVTT


def test_vtt_consecutive_cues_of_one_speaker_are_not_merged() -> None:
    text = (
        "WEBVTT\n\n00:00.000 --> 00:01.000\nDana: one\n\n"
        "00:01.000 --> 00:02.000\nDana: two\n\n00:02.000 --> 00:03.000\nDana: three\n"
    )
    assert parse_vtt(text).turns == (
        T("Dana", "one", 0.0, 1.0),
        T("Dana", "two", 1.0, 2.0),
        T("Dana", "three", 2.0, 3.0),
    )


def test_vtt_voice_tag_wins_over_a_colon_prefix_and_needs_no_closing_tag() -> None:
    text = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.500\n<v Dana Whitfield>Note: call me back\n"
    assert parse_vtt(text).turns == (T("Dana Whitfield", "Note: call me back", 1.0, 2.5),)


def test_vtt_cue_text_that_only_looks_like_a_name() -> None:
    text = (
        "WEBVTT\n\n00:00.000 --> 00:01.000\nSo here is my question: what is next?\n\n"
        "00:01.000 --> 00:02.000\nSee https://example.com: docs\n\n"
        "00:02.000 --> 00:03.000\nWe meet at 10:30 tomorrow\n\n"
        "00:03.000 --> 00:04.000\n<v>Unnamed voice\n"
    )
    assert [t.speaker for t in parse_vtt(text).turns] == [None, None, None, None]
    assert parse_vtt(text).turns[1].text == "See https://example.com: docs"
    assert parse_vtt(text).turns[2].text == "We meet at 10:30 tomorrow"


def test_vtt_hours_and_long_calls() -> None:
    text = "WEBVTT\n\n01:02:03.456 --> 101:00:00.000\nA: late\n"
    assert parse_vtt(text).turns == (T("A", "late", 3723.456, 363600.0),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "00:01.000 --> 00:02.000\nA: hi\n",
            "not a WebVTT file: it must start with a 'WEBVTT' line",
        ),
        (
            "WEBVTT\n00:01.000 --> 00:02.000\nA: hi\n",
            "line 2: a blank line must separate the WEBVTT header from the first cue",
        ),
        (
            "WEBVTT\n\n00:01.000 --> 00:02.000\nA: hi\n\nstray text\n",
            "line 6: expected a cue timing line like '00:00:01.000 --> 00:00:04.000'",
        ),
        ("WEBVTT\n\ncue-1\n00:01 --> 00:02\nA: hi\n", "line 4: bad cue timing '00:01 --> 00:02'"),
        ("WEBVTT\n\n00:05.000 --> 00:02.000\nA: hi\n", "line 3: cue ends before it starts"),
    ],
)
def test_vtt_errors(text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_vtt(text)
    assert str(info.value) == message


# --------------------------------------------------------------------------- SRT


def test_srt_without_index_with_dot_millis_and_styling() -> None:
    text = (
        "00:00:01.000 --> 00:00:02.000\n{\\an8}<b>Ana:</b> I <3 this\n\n"
        "2\n00:00:02,000 --> 00:00:03,000 X1:10 X2:20\n\n"
        "3\n00:00:03,000 --> 00:00:04,500\n<font color=red>plain</font>\n"
    )
    assert parse_srt(text).turns == (
        T("Ana", "I <3 this", 1.0, 2.0),
        T(None, "", 2.0, 3.0),
        T(None, "plain", 3.0, 4.5),
    )


# --------------------------------------------------------------------------- JSON


def test_json_optional_keys_null_speaker_and_verbatim_text() -> None:
    doc = {
        "turns": [
            {"speaker": None, "text": "  spaced  "},
            {"speaker": "   ", "text": "blank name", "start": 1, "end": 2, "extra": True},
            {"speaker": " Ken ", "role": "prospect", "text": "ok"},
        ],
        "source": "crm export",
    }
    transcript = parse_json(json.dumps(doc))
    assert transcript.call_id is None and transcript.call_start is None
    assert transcript.turns == (
        T(None, "  spaced  "),
        T(None, "blank name", 1.0, 2.0),
        T("Ken", "ok", role="prospect"),
    )
    assert isinstance(transcript.turns[1].start, float)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("[]", 'transcript JSON must be an object with a "turns" list, not a list'),
        ('{"turns": {}}', 'transcript JSON needs a "turns" list'),
        ("{}", 'transcript JSON needs a "turns" list'),
        ('{"call_id": 7, "turns": []}', "call_id must be a string or null, not a number"),
        (
            '{"call_start": "next tuesday", "turns": []}',
            "call_start must be an ISO 8601 date-time, not 'next tuesday'",
        ),
        ('{"turns": ["hi"]}', "turn 0: must be an object, not a string"),
        ('{"turns": [{"speaker": "A"}]}', "turn 0: text is missing"),
        ('{"turns": [{"speaker": "A", "text": null}]}', "turn 0: text must be a string, not null"),
        ('{"turns": [{"text": "hi"}]}', "turn 0: speaker is missing"),
        (
            '{"turns": [{"speaker": ["A"], "text": "hi"}]}',
            "turn 0: speaker must be a string or null, not a list",
        ),
        (
            '{"turns": [{"speaker": "A", "text": "", "role": "buyer"}]}',
            "turn 0: role must be 'rep', 'prospect' or null, not 'buyer'",
        ),
        (
            '{"turns": [{"speaker": "A", "text": ""}, {"speaker": "B", "text": "", '
            '"start": "0:05"}]}',
            "turn 1: start must be a number or null, not a string",
        ),
        (
            '{"turns": [{"speaker": "A", "text": "", "end": true}]}',
            "turn 0: end must be a number or null, not a boolean",
        ),
        (
            '{"turns": [{"speaker": "A", "text": "", "start": -1}]}',
            "turn 0: start must be a finite number of seconds >= 0, not -1",
        ),
        (
            '{"turns": [{"speaker": "A", "text": "", "start": NaN}]}',
            "turn 0: start must be a finite number of seconds >= 0, not nan",
        ),
        (
            '{"turns": [{"speaker": "A", "text": "", "start": 5, "end": 2.5}]}',
            "turn 0: end (2.5) is before start (5.0)",
        ),
        (
            '{"turns": [\n  {"speaker": \'A\', "text": "hi"}\n]}',
            "malformed JSON at line 2, column 15: Expecting value",
        ),
    ],
)
def test_json_errors(doc: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_json(doc)
    assert str(info.value) == message


# --------------------------------------------------------------------------- lines


def test_lines_timestamp_styles() -> None:
    text = (
        "[00:01:02] Dana: a\n"
        "00:01:03.5 Speaker 2: b\n"
        "(01:04) Dana: c\n"
        "[1:00:00,250] SPEAKER_00: d\n"
    )
    assert parse_lines(text).turns == (
        T("Dana", "a", 62.0),
        T("Speaker 2", "b", 63.5),
        T("Dana", "c", 64.0),
        T("SPEAKER_00", "d", 3600.25),
    )


def test_lines_without_a_name_continue_the_previous_turn() -> None:
    text = (
        "opening remarks before anyone is named\n"
        "\n"
        "Dana: first\n"
        "We meet at 10:30 tomorrow\n"
        "See https://example.com/pricing for details\n"
        "So here is the main thing: budget\n"
        "\n"
        "Dana: second\n"
    )
    assert parse_lines(text).turns == (
        T(None, "opening remarks before anyone is named"),
        T(
            "Dana",
            "first We meet at 10:30 tomorrow See https://example.com/pricing for details "
            "So here is the main thing: budget",
        ),
        T("Dana", "second"),
    )


# --------------------------------------------------------------------------- read errors


def test_read_missing_directory_and_empty(tmp_path: Path) -> None:
    assert error_of(tmp_path / "nope.vtt") == f"transcript not found: {tmp_path / 'nope.vtt'}"
    assert error_of(tmp_path) == f"{tmp_path} is a directory, not a transcript file"
    empty = write(tmp_path, "empty.vtt", "")
    assert error_of(empty) == f"{empty} is empty"
    blank = write(tmp_path, "blank.txt", "\ufeff \n\n")
    assert error_of(blank) == f"{blank} is empty"


def test_read_binary_and_undecodable(tmp_path: Path) -> None:
    media = write(tmp_path, "call.vtt", b"\x1aE\xdf\xa3\x00\x00\x00webm")
    assert error_of(media) == f"{media} is not a text transcript (it contains binary data)"
    latin = write(tmp_path, "call.txt", "Zoë: hallo\n".encode("latin-1"))
    assert error_of(latin) == f"{latin} is not UTF-8 text (invalid byte at offset 2)"


def test_read_unrecognized_text(tmp_path: Path) -> None:
    prose = write(tmp_path, "notes.txt", "Remember to follow up with procurement.\n")
    assert error_of(prose) == (
        f"{prose} is not a recognized transcript "
        "(expected WebVTT, SRT, transcript JSON or 'Name: text' lines)"
    )


def test_read_prefixes_parse_errors_with_the_file(tmp_path: Path) -> None:
    bad = write(tmp_path, "call.json", '{"turns": [\n  {"speaker": "A" "text": "hi"}\n]}')
    assert error_of(bad) == (f"{bad}: malformed JSON at line 2, column 19: Expecting ',' delimiter")
    bad_turn = write(tmp_path, "turn.json", '{"turns": [{"speaker": "A", "text": 3}]}')
    assert error_of(bad_turn) == f"{bad_turn}: turn 0: text must be a string, not a number"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notes.vtt", "WEBVTT\n\nNOTE nothing was said\n\nSTYLE\n::cue { color: red; }\n"),
        ("empty.json", '{"call_id": "c1", "turns": []}'),
    ],
)
def test_read_without_turns(tmp_path: Path, name: str, content: str) -> None:
    path = write(tmp_path, name, content)
    assert error_of(path) == f"no speaker turns found in {path}"


def test_read_bom_and_crlf(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "teams.vtt",
        "\ufeffWEBVTT\r\n\r\n1\r\n00:00:00.500 --> 00:00:01.000\r\n<v Ana>hi\r\nthere\r\n",
    )
    assert read_transcript(path).turns == (T("Ana", "hi there", 0.5, 1.0),)
