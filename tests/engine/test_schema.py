from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from engine.schema import validate_call_json
from engine.types import (
    CallAnalysis,
    CallInfo,
    CallMetrics,
    Evidence,
    ModelInfo,
    Scorecard,
    ScorecardItem,
    Speaker,
    SpeakerMetrics,
    Utterance,
    Word,
)

SCHEMA_FILE = Path(__file__).parents[2] / "engine" / "schemas" / "call.v1.json"


def full_analysis() -> CallAnalysis:
    return CallAnalysis(
        call=CallInfo(
            id="northwind-discovery",
            call_start="2024-06-04T16:00:00-04:00",
            duration=312.48,
            source="northwind.m4a",
            language="en",
            models=ModelInfo(asr="tiny.en", diarizer="embedded", behaviors="rules-1"),
        ),
        speakers=(
            Speaker("S1", "Maya Chen", "rep", 0.87, 140.2),
            Speaker("S2", None, "prospect", 0.87, 160.9),
        ),
        utterances=(
            Utterance(
                "u0",
                "S1",
                "rep",
                0.4,
                4.1,
                "What does month end look like for you?",
                (
                    Word("What", 0.4, 0.62, 0.97),
                    Word("does", 0.62, 0.8, 0.99),
                ),
            ),
            Utterance("u1", "S2", "prospect", 4.6, 19.0, "Three of us, most of a week."),
            Utterance("u2", "S2", "prospect", None, None, ""),
        ),
        evidence=(
            Evidence(
                id="ev-3f9a1c",
                behavior="pain",
                subtype="time_cost",
                speaker="S2",
                role="prospect",
                start=4.6,
                end=19.0,
                utterance_ids=("u1",),
                quote="Three of us, most of a week.",
                confidence=0.82,
                fields={"people": 3, "duration": {"unit": "week", "value": 1}, "note": None},
                detector="rules",
                detector_version="1",
            ),
        ),
        metrics=CallMetrics(
            timed=True,
            duration=312.48,
            talk_ratio_rep=0.4656,
            longest_monologue=14.4,
            longest_monologue_speaker="S2",
            interactivity=2.5,
            patience=0.8,
            question_rate=1.2,
            words_per_minute=141.3,
            speakers=(
                SpeakerMetrics("S1", "rep", 140.2, 0.4656, 9.1, 310, 132.7, 6, 2.57),
                SpeakerMetrics("S2", "prospect", 160.9, 0.5344, 14.4, 402, None, 0, None),
            ),
        ),
        scorecard=Scorecard(
            playbook="discovery",
            score=0.5,
            items=(
                ScorecardItem("pain", "done", ("ev-3f9a1c",), 1.0, None),
                ScorecardItem("next_step", "missed", (), 1.0, "Close with a dated next step."),
            ),
        ),
    )


def error_of(doc: dict[str, Any]) -> str:
    with pytest.raises(ValueError) as info:
        validate_call_json(doc)
    return str(info.value)


def test_schema_file_is_a_valid_2020_12_schema() -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["schema"] == {"const": "dealproof.call/1"}


def test_full_analysis_is_valid() -> None:
    doc = full_analysis().to_dict()
    validate_call_json(doc)
    validate_call_json(json.loads(json.dumps(doc)))


def test_untimed_analysis_without_scorecard_or_evidence_is_valid() -> None:
    a = full_analysis()
    doc = CallAnalysis(
        call=CallInfo("c", None, None, "call.txt", None, ModelInfo(None, None, None)),
        speakers=a.speakers,
        utterances=(Utterance("u0", "S1", None, None, None, "hello"),),
        metrics=CallMetrics(False, None, None, None, None, None, None, None, None, ()),
    ).to_dict()
    assert doc["scorecard"] is None and doc["evidence"] == []
    validate_call_json(doc)


def _set(path: tuple[str | int, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(doc: dict[str, Any]) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return apply


def _drop(path: tuple[str | int, ...]) -> Callable[[dict[str, Any]], None]:
    def apply(doc: dict[str, Any]) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return apply


@pytest.mark.parametrize(
    ("breaks", "message"),
    [
        (_set(("schema",), "dealproof.call/2"), "$.schema: 'dealproof.call/1' was expected"),
        (_drop(("metrics",)), "$: 'metrics' is a required property"),
        (_set(("extra",), 1), "$: Additional properties are not allowed ('extra' was unexpected)"),
        (
            _set(("utterances", 1, "role"), "buyer"),
            "$.utterances[1].role: 'buyer' is not one of ['rep', 'prospect', None]",
        ),
        (
            _set(("utterances", 0, "start"), "0.4"),
            "$.utterances[0].start: '0.4' is not of type 'number', 'null'",
        ),
        (
            _set(("utterances", 0, "words", 1, "probability"), 1.5),
            "$.utterances[0].words[1].probability: 1.5 is greater than the maximum of 1",
        ),
        (_drop(("speakers", 1, "name")), "$.speakers[1]: 'name' is a required property"),
        (
            _set(("evidence", 0, "utterance_ids"), "u1"),
            "$.evidence[0].utterance_ids: 'u1' is not of type 'array'",
        ),
        (_set(("evidence", 0, "fields"), []), "$.evidence[0].fields: [] is not of type 'object'"),
        (
            _set(("metrics", "speakers", 0, "words"), 3.5),
            "$.metrics.speakers[0].words: 3.5 is not of type 'integer'",
        ),
        (
            _set(("call", "models", "vad"), "silero"),
            "$.call.models: Additional properties are not allowed ('vad' was unexpected)",
        ),
        (
            _set(("scorecard", "items", 1, "status"), "skipped"),
            "$.scorecard.items[1].status: 'skipped' is not one of ['done', 'missed']",
        ),
    ],
)
def test_broken_documents_are_rejected_with_their_path(
    breaks: Callable[[dict[str, Any]], None], message: str
) -> None:
    doc = copy.deepcopy(full_analysis().to_dict())
    breaks(doc)
    assert error_of(doc) == message
