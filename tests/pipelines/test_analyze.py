"""``analyze_call`` end to end: synthetic calls with known turns, and transcript files."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from engine.errors import ConfigError
from engine.schema import validate_call_json
from engine.types import CallAnalysis, SpeakerTurn, Utterance
from eval.wer import word_error_rate
from pipelines.analyze import analyze_call
from pipelines.exports import to_json
from tests.pipelines.conftest import SPEECH_ONLY, AnalyzedCall

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "data" / "transcripts"
MEDIA_STAGES = ("decode", "load models", "detect speech", "transcribe", "diarize", "attribute")
COMMON_STAGES = ("roles", "metrics")


def _true_role(turns: tuple[SpeakerTurn, ...], start: float, end: float) -> str:
    """The script speaker whose true turn overlaps ``start..end`` most (nearest if none)."""

    def score(t: SpeakerTurn) -> tuple[float, float]:
        overlap = min(end, t.end) - max(start, t.start)
        distance = min(abs(start - t.end), abs(t.start - end))
        return (overlap, -distance)

    return max(turns, key=score).speaker


def _roles_by_speaker(analysis: CallAnalysis) -> dict[str, str | None]:
    return {s.id: s.role for s in analysis.speakers}


def _runs(labels: list[str]) -> list[str]:
    """``labels`` with consecutive repeats collapsed."""
    return [x for i, x in enumerate(labels) if i == 0 or labels[i - 1] != x]


def _assert_attributed_like_the_script(analyzed: AnalyzedCall) -> None:
    """Each diarized speaker stands for one script speaker, and every utterance (and nearly
    every word) goes to the speaker whose true turn it lies in."""
    analysis, call = analyzed.analysis, analyzed.call
    utterances = analysis.utterances
    script_speakers = [line.speaker for line in call.script]
    # At most one turn split or merged by the diarizer.
    assert len(script_speakers) - 1 <= len(utterances) <= len(script_speakers) + 1
    truth: dict[str, set[str]] = {}
    for u in utterances:
        assert u.start is not None and u.end is not None
        truth.setdefault(u.speaker, set()).add(_true_role(call.turns, u.start, u.end))
    # One script speaker per diarized speaker, and a different one for each.
    assert all(len(who) == 1 for who in truth.values()), truth
    mapping = {sid: who.pop() for sid, who in truth.items()}
    assert sorted(mapping.values()) == ["prospect", "rep"]
    assert _runs([mapping[u.speaker] for u in utterances]) == script_speakers
    words = [(w, mapping[u.speaker]) for u in utterances for w in u.words]
    right = sum(who == _true_role(call.turns, w.start, w.end) for w, who in words)
    assert right / len(words) >= 0.97


# --------------------------------------------------------------------------- mono call


def test_mono_call_has_two_speakers_with_the_rep_first(mono_analyzed: AnalyzedCall) -> None:
    analysis = mono_analyzed.analysis
    assert [s.id for s in analysis.speakers] == ["S1", "S2"]
    assert _roles_by_speaker(analysis) == {"S1": "rep", "S2": "prospect"}
    assert analysis.utterances[0].speaker == "S1"
    for s in analysis.speakers:
        assert 0.5 < s.role_confidence <= 1.0
        assert s.talk_seconds > 10.0
    assert "embedded" in str(analysis.call.models.diarizer)


def test_mono_call_utterances_follow_the_script(mono_analyzed: AnalyzedCall) -> None:
    _assert_attributed_like_the_script(mono_analyzed)
    roles = _roles_by_speaker(mono_analyzed.analysis)
    for u in mono_analyzed.analysis.utterances:
        assert roles[u.speaker] == u.role


def test_mono_call_words_match_the_script(mono_analyzed: AnalyzedCall) -> None:
    words = [w.text for u in mono_analyzed.analysis.utterances for w in u.words]
    assert word_error_rate(mono_analyzed.call.text, "".join(words)).wer <= 0.25
    text = " ".join(u.text for u in mono_analyzed.analysis.utterances)
    assert word_error_rate(mono_analyzed.call.text, text).wer <= 0.25


def test_utterance_text_is_the_recognized_text(mono_analyzed: AnalyzedCall) -> None:
    """An utterance's text is its words as the recognizer wrote them (Whisper words carry
    their own leading space; one without it continues the word before, as in " 40" ",000")."""
    for u in mono_analyzed.analysis.utterances:
        assert u.text == " ".join("".join(w.text for w in u.words).split())


def test_mono_call_facts_and_timings(mono_analyzed: AnalyzedCall) -> None:
    analysis, call = mono_analyzed.analysis, mono_analyzed.call
    assert analysis.call.source == "media"
    assert analysis.call.language == "en"
    assert analysis.call.duration == pytest.approx(call.duration, abs=0.01)
    assert re.fullmatch(r"[0-9a-f]{16}", analysis.call.id)
    assert analysis.call.models.asr is not None and "tiny.en" in analysis.call.models.asr
    for stage in (*MEDIA_STAGES, *COMMON_STAGES):
        assert stage in analysis.timings
        assert analysis.timings[stage] >= 0.0
    # The progress hook saw every stage start and finish, and nothing outside [0, 1].
    reported = {stage for stage, _ in mono_analyzed.progress}
    assert set(MEDIA_STAGES) | set(COMMON_STAGES) <= reported
    assert all(0.0 <= f <= 1.0 for _, f in mono_analyzed.progress)
    for stage in (*MEDIA_STAGES, *COMMON_STAGES):
        assert (stage, 0.0) in mono_analyzed.progress
        assert (stage, 1.0) in mono_analyzed.progress


def test_mono_call_json_validates(mono_analyzed: AnalyzedCall) -> None:
    doc = json.loads(to_json(mono_analyzed.analysis))
    validate_call_json(doc)
    assert len(doc["utterances"]) == len(mono_analyzed.analysis.utterances)
    assert all(u["words"] for u in doc["utterances"])


def test_analysis_is_deterministic(mono_analyzed: AnalyzedCall) -> None:
    again = analyze_call(mono_analyzed.call.wav, SPEECH_ONLY)
    assert to_json(again) == to_json(mono_analyzed.analysis)


# --------------------------------------------------------------------------- stereo call


def test_stereo_call_is_diarized_by_channel(stereo_analyzed: AnalyzedCall) -> None:
    analysis = stereo_analyzed.analysis
    assert "channels" in str(analysis.call.models.diarizer)
    assert [s.id for s in analysis.speakers] == ["S1", "S2"]
    assert _roles_by_speaker(analysis) == {"S1": "rep", "S2": "prospect"}
    validate_call_json(json.loads(to_json(analysis)))


def test_stereo_call_gives_each_utterance_its_speaker(stereo_analyzed: AnalyzedCall) -> None:
    _assert_attributed_like_the_script(stereo_analyzed)
    assert len(stereo_analyzed.analysis.utterances) == len(stereo_analyzed.call.script)


# --------------------------------------------------------------------------- transcripts


def _vtt_cues(path: Path) -> int:
    return sum("-->" in line for line in path.read_text(encoding="utf-8").splitlines())


@pytest.mark.parametrize("name", ["discovery_call.vtt", "onboarding_call.vtt"])
def test_a_transcript_gives_one_utterance_per_cue(name: str) -> None:
    path = TRANSCRIPTS / name
    analysis = analyze_call(path, SPEECH_ONLY)
    assert len(analysis.utterances) == _vtt_cues(path)
    assert analysis.call.source == "vtt"
    assert analysis.call.models.asr is None
    assert [u.id for u in analysis.utterances] == [f"u{i}" for i in range(len(analysis.utterances))]
    starts = [u.start for u in analysis.utterances]
    assert None not in starts
    assert "transcribe" not in analysis.timings
    assert {"parse", *COMMON_STAGES} <= set(analysis.timings)
    validate_call_json(json.loads(to_json(analysis)))


def test_transcript_texts_and_names_are_kept() -> None:
    analysis = analyze_call(TRANSCRIPTS / "discovery_call.vtt", SPEECH_ONLY)
    names = {s.id: s.name for s in analysis.speakers}
    assert sorted(n for n in names.values() if n) == ["Maya Chen", "Tom Okafor"]
    first: Utterance = analysis.utterances[0]
    assert names[first.speaker] == "Maya Chen"
    assert first.text == "Hi Tom, thanks for making time today. Can you hear me okay?"
    assert (first.start, first.end) == (1.04, 5.32)


@pytest.mark.parametrize("rep", ["Tom Okafor", "Maya Chen"])
def test_rep_option_sets_the_roles(rep: str) -> None:
    analysis = analyze_call(TRANSCRIPTS / "discovery_call.vtt", replace(SPEECH_ONLY, rep=rep))
    roles = {s.name: s.role for s in analysis.speakers}
    other = ({"Tom Okafor", "Maya Chen"} - {rep}).pop()
    assert roles == {rep: "rep", other: "prospect"}
    by_id = {s.id: s.role for s in analysis.speakers}
    assert all(u.role == by_id[u.speaker] for u in analysis.utterances)


def test_an_unknown_rep_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="Nobody") as info:
        analyze_call(TRANSCRIPTS / "discovery_call.vtt", replace(SPEECH_ONLY, rep="Nobody"))
    assert "\n" not in str(info.value)


def test_a_transcript_analysis_is_deterministic() -> None:
    path = TRANSCRIPTS / "discovery_call.vtt"
    assert to_json(analyze_call(path, SPEECH_ONLY)) == to_json(analyze_call(path, SPEECH_ONLY))
