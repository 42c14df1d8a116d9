from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from pyannote.database.util import load_rttm

from engine.errors import InputError
from engine.schema import validate_call_json
from engine.types import (
    CallAnalysis,
    CallInfo,
    CallMetrics,
    ModelInfo,
    Role,
    Speaker,
    SpeakerMetrics,
    Utterance,
    Word,
)
from pipelines.exports import to_json, to_rttm, to_vtt, write_json, write_rttm, write_vtt
from pipelines.transcripts import parse_vtt


def analysis() -> CallAnalysis:
    utterances = (
        Utterance(
            "u0",
            "S1",
            "rep",
            0.5,
            3.25,
            "Thanks for joining, Zoë.",
            (Word("Thanks", 0.5, 0.9, 0.98),),
        ),
        Utterance("u1", "S2", "prospect", 3.6, 9.0, "Happy to.\nWhere do we start?"),
        Utterance("u2", "S2", "prospect", None, None, "an untimed aside"),
        Utterance("u3", "S1", "rep", 9.4, 9.4, ""),
        Utterance("u4", "S3", None, 3725.0, 3730.125, "Budget is <50k & approved -> yes"),
    )
    rows: tuple[tuple[str, Role | None, float, float], ...] = (
        ("S1", "rep", 2.75, 0.25),
        ("S2", "prospect", 5.4, 0.5),
        ("S3", None, 5.125, 0.25),
    )
    speaker_metrics = tuple(
        SpeakerMetrics(sid, role, secs, ratio, secs, 4, 80.0, 1, 1.5)
        for sid, role, secs, ratio in rows
    )
    return CallAnalysis(
        call=CallInfo(
            id="acme discovery 7",
            call_start="2024-05-02T09:30:00+02:00",
            duration=3730.125,
            source="discovery_call.vtt",
            language="en",
            models=ModelInfo(asr=None, diarizer=None, behaviors="rules-1"),
        ),
        speakers=(
            Speaker("S1", "Maya Chen", "rep", 0.9, 2.75),
            Speaker("S2", "Tom Okafor", "prospect", 0.9, 5.4),
            Speaker("S3", None, None, 0.0, 5.125),
        ),
        utterances=utterances,
        metrics=CallMetrics(
            timed=True,
            duration=3730.125,
            talk_ratio_rep=0.2,
            longest_monologue=5.4,
            longest_monologue_speaker="S2",
            interactivity=1.2,
            patience=0.4,
            question_rate=1.0,
            words_per_minute=120.0,
            speakers=speaker_metrics,
        ),
    )


# --------------------------------------------------------------------------- JSON


def test_to_json_is_to_dict_in_order_indented_and_unescaped() -> None:
    a = analysis()
    text = to_json(a)
    assert json.loads(text) == a.to_dict()
    assert list(json.loads(text)) == [
        "schema",
        "call",
        "speakers",
        "utterances",
        "evidence",
        "metrics",
        "scorecard",
    ]
    assert text.startswith('{\n  "schema": "dealproof.call/1",\n  "call": {\n    "id": ')
    assert "Zoë" in text
    assert text.endswith("}\n")
    validate_call_json(json.loads(text))


def test_to_json_refuses_nan() -> None:
    a = analysis()
    broken = replace(a, metrics=replace(a.metrics, patience=float("nan")))
    with pytest.raises(ValueError):
        to_json(broken)


def test_write_json_creates_parents_and_leaves_no_temp_files(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "2024" / "call.json"
    write_json(analysis(), out)
    assert out.read_text(encoding="utf-8") == to_json(analysis())
    assert os.listdir(out.parent) == ["call.json"]
    write_json(analysis(), str(out))  # overwrite, str path
    assert os.listdir(out.parent) == ["call.json"]


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "call.json"
    out.write_text("previous run\n", encoding="utf-8")

    def crash(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("pipelines.exports.os.replace", crash)
    with pytest.raises(InputError) as info:
        write_json(analysis(), out)
    assert str(info.value) == f"cannot write {out}: No space left on device"
    assert out.read_text(encoding="utf-8") == "previous run\n"
    assert os.listdir(tmp_path) == ["call.json"]


def test_write_into_a_file_instead_of_a_directory(tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match=r"^cannot write .*out/call\.rttm: "):
        write_rttm(analysis(), blocker / "call.rttm")


# --------------------------------------------------------------------------- RTTM


def test_to_rttm_lines() -> None:
    assert to_rttm(analysis()) == (
        "SPEAKER acme_discovery_7 1 0.500 2.750 <NA> <NA> S1 <NA> <NA>\n"
        "SPEAKER acme_discovery_7 1 3.600 5.400 <NA> <NA> S2 <NA> <NA>\n"
        "SPEAKER acme_discovery_7 1 9.400 0.000 <NA> <NA> S1 <NA> <NA>\n"
        "SPEAKER acme_discovery_7 1 3725.000 5.125 <NA> <NA> S3 <NA> <NA>\n"
    )


def test_rttm_round_trip_through_a_standard_reader(tmp_path: Path) -> None:
    out = tmp_path / "call.rttm"
    write_rttm(analysis(), out)
    annotation = load_rttm(str(out))["acme_discovery_7"]  # type: ignore[no-untyped-call]
    got = sorted(
        (round(seg.start, 3), round(seg.end, 3), label)
        for seg, _, label in annotation.itertracks(yield_label=True)
    )
    assert got == [(0.5, 3.25, "S1"), (3.6, 9.0, "S2"), (3725.0, 3730.125, "S3")]


# --------------------------------------------------------------------------- WebVTT


def test_to_vtt_cues() -> None:
    assert to_vtt(analysis()) == (
        "WEBVTT\n"
        "\n"
        "u0\n00:00:00.500 --> 00:00:03.250\n<v Maya Chen>Thanks for joining, Zoë.\n"
        "\n"
        "u1\n00:00:03.600 --> 00:00:09.000\n<v Tom Okafor>Happy to. Where do we start?\n"
        "\n"
        "u3\n00:00:09.400 --> 00:00:09.400\n<v Maya Chen>\n"
        "\n"
        "u4\n01:02:05.000 --> 01:02:10.125\n<v S3>Budget is &lt;50k &amp; approved -&gt; yes\n"
    )


def test_vtt_round_trip_gives_back_speakers_texts_and_times(tmp_path: Path) -> None:
    a = analysis()
    out = tmp_path / "captions" / "call.vtt"
    write_vtt(a, out)
    names = {s.id: s.name or s.id for s in a.speakers}
    timed = [u for u in a.utterances if u.start is not None]
    turns = parse_vtt(out.read_text(encoding="utf-8")).turns
    assert [(t.speaker, t.text, t.start, t.end) for t in turns] == [
        (names[u.speaker], u.text.replace("\n", " "), u.start, u.end) for u in timed
    ]


def test_untimed_analysis_gives_empty_rttm_and_header_only_vtt() -> None:
    a = analysis()
    untimed = replace(a, utterances=tuple(u for u in a.utterances if u.start is None))
    assert to_rttm(untimed) == ""
    assert to_vtt(untimed) == "WEBVTT\n"
    assert parse_vtt(to_vtt(untimed)).turns == ()
