"""The real spaCy pipeline: the bundled en_core_web_sm plus dealproof's cue component."""

from __future__ import annotations

import importlib.resources
import re
from pathlib import Path

import pytest

from engine.behaviors.catalog import HEADS
from engine.errors import ModelError
from models.nlp import (
    CUE_COMPONENT,
    CUE_FACTORY,
    CUES_KEY,
    FACT_LABELS,
    NlpPipeline,
    load_cue_patterns,
    load_nlp,
)


@pytest.fixture(scope="session")
def nlp() -> NlpPipeline:
    """The process-wide pipeline (shared with every other test that loads it)."""
    return load_nlp()


def test_load_nlp_is_loaded_once(nlp: NlpPipeline) -> None:
    assert load_nlp() is nlp


def test_cue_factory_is_registered_and_versioned(nlp: NlpPipeline) -> None:
    from spacy.language import Language

    assert re.fullmatch(r"dealproof_cues_v\d+", CUE_FACTORY)
    assert Language.has_factory(CUE_FACTORY)
    assert nlp.nlp.pipe_names[0] == CUE_COMPONENT
    assert nlp.nlp.get_pipe_meta(CUE_COMPONENT).factory == CUE_FACTORY
    assert {"tok2vec", "ner"} <= set(nlp.nlp.pipe_names)
    assert nlp.version.startswith("spacy-3.")


def test_cue_patterns_file_parses() -> None:
    patterns = load_cue_patterns()
    assert len(patterns) >= 40
    for p in patterns:
        assert set(p) == {"label", "pattern"}
        assert p["label"] in HEADS
        assert isinstance(p["pattern"], list)
        assert p["pattern"]
        assert all(isinstance(token, dict) for token in p["pattern"])
    # every head but the rule-only ones has cues
    assert {p["label"] for p in patterns} == set(HEADS)


def test_bad_cue_line_names_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "patterns").mkdir()
    (tmp_path / "patterns" / "cues.jsonl").write_text(
        '// a comment\n{"label": "agenda_set", "pattern": [{"LOWER": "agenda"}]}\n\n{oops\n'
    )
    monkeypatch.setattr(importlib.resources, "files", lambda package: tmp_path)
    with pytest.raises(ModelError, match=r"cues\.jsonl line 4"):
        load_cue_patterns()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We have 30 minutes today, is that still okay?", {"agenda_set"}),
        ("What budget do you have for this?", {"budget_discussed"}),
        ("Who else is involved in the decision?", {"decision_process_confirmed"}),
        ("I'll send the proposal by Friday.", {"next_step"}),
        ("Let's touch base soon.", {"next_step"}),
        ("We are losing 20 hours a week on this.", {"pain_quantified"}),
        ("What is the timeline for go live?", {"timeline_agreed"}),
        ("We are currently using Gong.", {"competitor_mentioned"}),
        ("That is way too expensive for us.", {"pricing_objection", "budget_discussed"}),
    ],
)
def test_cues_mark_behaviors(nlp: NlpPipeline, text: str, expected: set[str]) -> None:
    (found,) = nlp.cues([text])
    assert expected <= found


@pytest.mark.parametrize(
    "text", ["We can't afford that right now.", "We cannot justify that right now."]
)
def test_cannot_afford_is_a_pricing_objection_cue(nlp: NlpPipeline, text: str) -> None:
    """spaCy splits "can't" into "ca" + "n't" and "cannot" into "can" + "not"."""
    (found,) = nlp.cues([text])
    assert "pricing_objection" in found


def test_small_talk_has_no_cues_and_order_is_kept(nlp: NlpPipeline) -> None:
    texts = ["Nice weather today.", "Who else is involved in the decision?", ""]
    out = list(nlp.cues(texts))
    assert out[0] == frozenset()
    assert out[1] == frozenset({"decision_process_confirmed"})
    assert out[2] == frozenset()
    assert list(nlp.cues([])) == []


def test_cue_spans_are_stored_on_the_doc(nlp: NlpPipeline) -> None:
    with nlp.nlp.select_pipes(enable=[CUE_COMPONENT]):
        doc = nlp.nlp("Who else is involved in the decision?")
    assert {(s.text, s.label_) for s in doc.spans[CUES_KEY]} == {
        ("Who else", "decision_process_confirmed"),
        ("decision", "decision_process_confirmed"),
    }


def test_entities_find_dates_money_and_people(nlp: NlpPipeline) -> None:
    text = "I will ask John Smith, our CFO, about the $40,000 budget tomorrow."
    (entities,) = nlp.entities([text])
    found = {(e.label, e.text) for e in entities}
    assert ("PERSON", "John Smith") in found
    assert ("DATE", "tomorrow") in found
    assert any(label == "MONEY" and "40,000" in t for label, t in found)
    for e in entities:
        assert e.label in FACT_LABELS
        assert text[e.start : e.end] == e.text


def test_entities_of_several_texts_in_order(nlp: NlpPipeline) -> None:
    out = list(nlp.entities(["Sarah Johnson will call next Tuesday.", "Okay.", ""]))
    assert len(out) == 3
    assert {(e.label, e.text) for e in out[0]} == {
        ("PERSON", "Sarah Johnson"),
        ("DATE", "next Tuesday"),
    }
    assert out[1] == ()
    assert out[2] == ()
