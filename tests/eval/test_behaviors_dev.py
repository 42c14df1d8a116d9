"""The development figure decides as the product does: ``detected_turns`` on a call's
features gives the turns ``detect_behaviors`` gives evidence on, and the series split keeps
each AMI series whole."""

from __future__ import annotations

from engine.attribution import utterances_from_transcript
from engine.behaviors.catalog import HEADS, SCORED
from engine.behaviors.segments import segment_utterances
from engine.types import Transcript, TranscriptTurn
from eval.behaviors import SetScore
from eval.behaviors_dev import detected_turns, error_lines, format_folds, series_of
from eval.labeled import Label, LabeledCall, sales_calls
from models.behavior_heads import load_default_heads
from models.encoder import load_sentence_encoder
from models.training import Example, featurize
from pipelines.behaviors import detect_behaviors


def test_series_of_a_meeting() -> None:
    assert series_of("ES2002a") == "ES2002"
    assert series_of("ES2008d") == "ES2008"


def test_dev_decisions_are_the_pipelines() -> None:
    call = sales_calls()[0]  # a whole call with roles, from eval/data
    utterances, _ = utterances_from_transcript(call.transcript)
    segments = segment_utterances(utterances)
    examples = [
        Example(s.text, s.context, s.role, (0,) * len(HEADS), position=s.position) for s in segments
    ]
    x = featurize(examples, load_sentence_encoder())
    dev = detected_turns(load_default_heads(), segments, x)
    evidence = detect_behaviors(utterances, call_id="c1")
    product: dict[str, set[int]] = {}
    for e in evidence:
        if e.behavior in SCORED:
            product.setdefault(e.behavior, set()).add(int(e.utterance_ids[0][1:]))
    assert product, "the call must hold scored behaviors for the comparison to mean anything"
    assert {b: t for b, t in dev.items() if b in SCORED} == product


def test_each_fold_gets_a_line_with_its_own_figures() -> None:
    a, b = SetScore("ES2002", trained_on=False), SetScore("ES2005", trained_on=False)
    a.moment["agenda_set"].labeled = 4
    a.moment["agenda_set"].found = a.moment["agenda_set"].correct = 2
    a.moment["agenda_set"].detections = 2
    lines = format_folds({"ES2002": a, "ES2005": b}).splitlines()
    assert lines[1].startswith("  ES2002: 0.133 ")  # agenda F1 2/3, the other four 0
    assert "agenda_set 0.67 (4)" in lines[1]
    assert lines[2].startswith("  ES2005: 0.000 ")


def test_error_lines_name_false_detections_and_misses() -> None:
    transcript = Transcript(tuple(TranscriptTurn("A", f"turn {i}") for i in range(10)), "t")
    labels = (
        Label("c1", 2, "budget_discussed", None, "rep"),
        Label("c1", 8, "agenda_set", None, "rep"),
    )
    call = LabeledCall("c1", transcript, labels)
    texts = [t.text for t in transcript.turns]
    lines = error_lines(call, texts, {"budget_discussed": {3, 6}})
    assert lines == [
        "FN\tagenda_set\tc1\t8\tturn 8",
        "FP\tbudget_discussed\tc1\t6\tturn 6",
    ]
