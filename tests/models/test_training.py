"""Fitting the behavior heads: a small synthetic set with separable features (no encoder),
and the hand-written examples shipped with the code."""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from engine.behaviors.catalog import BUILT_IN, HEADS, SUBTYPE_HEADS, SUBTYPES, head_of
from engine.types import Role
from models.behavior_heads import BehaviorHeads, load_default_heads
from models.training import (
    IGNORE,
    TEAM_AMI_HEADS,
    Example,
    _group_folds,
    _moment_f1,
    ami_examples,
    call_examples,
    data_digest,
    rules_digest,
    step_dates,
    step_kinds,
    train_heads,
    training_examples,
    written_calls,
    written_examples,
)

ROWS = 64
NOISE = 16
SEPARATION = 3.0


def synthetic_set() -> tuple[list[Example], npt.NDArray[np.float32]]:
    """Row i is a positive of head ``i % len(HEADS)`` and a negative of the others; feature
    column j is high on the positives of head j, the rest is noise. Every ninth row is
    ignored (-1) by its own head while its features say positive: ignored rows must not
    count either way. Budget rows carry a subtype that column ``len(HEADS)`` tells apart."""
    rng = np.random.default_rng(42)
    x = rng.normal(0.0, 0.3, (ROWS, len(HEADS) + 1 + NOISE)).astype(np.float32)
    examples: list[Example] = []
    budget = HEADS.index("budget_discussed")
    for i in range(ROWS):
        own = i % len(HEADS)
        x[i, own] += SEPARATION
        labels = [0] * len(HEADS)
        labels[own] = IGNORE if i % 9 == 0 else 1
        subtypes: tuple[tuple[str, str], ...] = ()
        if own == budget:
            asked = (i // len(HEADS)) % 2 == 0
            x[i, len(HEADS)] += SEPARATION if asked else -SEPARATION
            subtypes = (("budget_discussed", "budget_asked" if asked else "price_presented"),)
        examples.append(Example(f"row {i}", "", "rep", tuple(labels), subtypes, "synthetic"))
    return examples, x


@pytest.fixture(scope="module")
def trained() -> tuple[BehaviorHeads, list[Example], npt.NDArray[np.float32]]:
    examples, x = synthetic_set()
    return train_heads(examples, x), examples, x


def test_thresholds_are_in_the_searched_range(
    trained: tuple[BehaviorHeads, list[Example], npt.NDArray[np.float32]],
) -> None:
    heads, _, x = trained
    assert heads.weights.shape == (len(HEADS), x.shape[1])
    assert heads.bias.shape == (len(HEADS),)
    assert heads.thresholds.shape == (len(HEADS),)
    assert np.all((heads.thresholds >= 0.3) & (heads.thresholds <= 0.95))
    assert heads.meta["thresholds"] == {
        h: float(t) for h, t in zip(HEADS, heads.thresholds, strict=True)
    }


def test_heads_separate_the_classes(
    trained: tuple[BehaviorHeads, list[Example], npt.NDArray[np.float32]],
) -> None:
    heads, examples, x = trained
    p = heads.probabilities(x)
    labels = np.array([e.labels for e in examples])
    for j, head in enumerate(HEADS):
        positives = p[labels[:, j] == 1, j]
        negatives = p[labels[:, j] == 0, j]
        assert positives.min() >= heads.thresholds[j], head
        assert negatives.max() < heads.thresholds[j], head
        # the head learned its own column
        assert int(np.argmax(heads.weights[j])) == j, head


def test_cross_validation_report_counts_only_used_rows(
    trained: tuple[BehaviorHeads, list[Example], npt.NDArray[np.float32]],
) -> None:
    heads, examples, _ = trained
    report = heads.meta["cross_validation"]
    assert list(report) == list(HEADS)
    for j, head in enumerate(HEADS):
        used = [e.labels[j] for e in examples if e.labels[j] != IGNORE]
        assert report[head]["positives"] == sum(used)
        assert report[head]["examples"] == len(used)
        assert report[head]["cv_f1"] >= 0.9
    assert heads.meta["sources"] == {"synthetic": ROWS}


def test_subtype_head_is_trained_when_two_subtypes_are_seen(
    trained: tuple[BehaviorHeads, list[Example], npt.NDArray[np.float32]],
) -> None:
    heads, examples, x = trained
    assert set(heads.subtype_labels) == {"budget_discussed"}
    assert heads.subtype_labels["budget_discussed"] == ("budget_asked", "price_presented")
    rows = [i for i, e in enumerate(examples) if e.subtypes]
    predicted = heads.subtype("budget_discussed", x[rows])
    assert [label for label, _ in predicted] == [examples[i].subtypes[0][1] for i in rows]


def test_version_changes_with_the_data_and_the_encoder() -> None:
    examples, x = synthetic_set()
    a = train_heads(examples, x, folds=3)
    changed = [*examples[:-1], Example("another text", "", "rep", examples[-1].labels)]
    b = train_heads(changed, x, folds=3)
    assert a.version.startswith("1.")
    assert len(a.version) == len("1.") + 8
    assert a.version != b.version
    assert a.meta["data_sha256"] != b.meta["data_sha256"]
    # Same data, other embeddings: other weights, so another version.
    c = train_heads(examples, x, folds=3, encoder="another-encoder")
    assert c.version != a.version and c.meta["data_sha256"] == a.meta["data_sha256"]


def test_version_changes_with_what_the_rules_decide(monkeypatch: pytest.MonkeyPatch) -> None:
    examples, x = synthetic_set()
    a = train_heads(examples, x, folds=3)
    assert train_heads(examples, x, folds=3).version == a.version
    monkeypatch.setattr("models.training.dates_a_step", lambda text: True)
    b = train_heads(examples, x, folds=3)
    assert b.meta["decide_rules_sha256"] != a.meta["decide_rules_sha256"]
    assert b.version != a.version


def test_each_head_chooses_its_regularization_from_the_grid() -> None:
    examples, x = synthetic_set()
    heads = train_heads(examples, x, c=(0.3, 1.0, 3.0), folds=3)
    chosen = heads.meta["regularization_c"]
    assert list(chosen) == list(HEADS)
    assert set(chosen.values()) <= {0.3, 1.0, 3.0}
    assert heads.meta["regularization_grid"] == [0.3, 1.0, 3.0]
    single = train_heads(examples, x, c=1.0, folds=3)
    assert set(single.meta["regularization_c"].values()) == {1.0}
    # The grid is part of the setup the version names.
    assert single.version != train_heads(examples, x, c=(1.0, 3.0), folds=3).version


def test_the_chosen_regularization_is_the_one_the_heads_are_fitted_with() -> None:
    examples, x = synthetic_set()
    heads = train_heads(examples, x, c=(0.3, 3.0), folds=3)
    for j, head in enumerate(HEADS):
        alone = train_heads(examples, x, c=heads.meta["regularization_c"][head], folds=3)
        assert np.allclose(alone.weights[j], heads.weights[j])
        assert alone.thresholds[j] == heads.thresholds[j]


# --------------------------------------------------------------------------- written examples


def test_written_examples_parse_with_one_label_per_head() -> None:
    text = resources.files("models").joinpath("behavior_data/examples.jsonl").read_text("utf-8")
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    examples = written_examples()
    assert len(examples) == len(lines) > 1000
    for e, d in zip(examples, lines, strict=True):
        assert e.text == d["text"]
        assert e.source == "written"
        assert len(e.labels) == len(HEADS)
        assert set(e.labels) <= {IGNORE, 0, 1}
        behavior = d.get("behavior")
        if behavior is None:
            assert e.labels == (0,) * len(HEADS)
        elif behavior == "rep_question":
            assert e.labels == (IGNORE,) * len(HEADS)
        else:
            assert e.labels == tuple(int(h == head_of(behavior)) for h in HEADS)
        for b, subtype in e.subtypes:
            assert subtype in SUBTYPES[b]


def test_written_examples_cover_every_head_and_subtype_head() -> None:
    examples = written_examples()
    for j, head in enumerate(HEADS):
        assert sum(1 for e in examples if e.labels[j] == 1) >= 20, head
    for behavior in SUBTYPE_HEADS:
        seen = {s for e in examples for b, s in e.subtypes if b == behavior}
        assert len(seen) >= 2, behavior


# ------------------------------------------------------------------ thresholds from meetings


def meeting_row(call: str, turn: int, label: int, turn_labels: tuple[str, ...] = ()) -> Example:
    labels = [0] * len(HEADS)
    labels[HEADS.index("agenda_set")] = label
    return Example(
        f"{call}: the plan for turn {turn}",
        "",
        "rep",
        tuple(labels),
        (),
        "ami",
        call_id=call,
        turn=turn,
        turn_labels=turn_labels,
    )


def test_a_next_step_is_dated_by_any_sentence_of_its_turn() -> None:
    said = [
        ("m1", 3, "Next meeting's in thirty minutes."),
        ("m1", 3, "Until then you work on the components."),
        ("m1", 4, "And I'll look at the budget."),
        ("", -1, "I'll send the deck."),
        ("", -1, "I'll send the deck by Friday."),
    ]
    examples = [
        Example(text, "", "rep", (0,) * len(HEADS), call_id=call, turn=turn)
        for call, turn, text in said
    ]
    assert step_dates(examples).tolist() == [True, True, False, False, True]


def test_an_undated_step_without_a_commitment_counts_as_none_in_training() -> None:
    said = ["I'll send the deck.", "Check here.", "Check here on Friday."]
    examples = [Example(text, "", "rep", (0,) * len(HEADS)) for text in said]
    assert step_kinds(examples).tolist() == [0, -1, 1]


def test_a_meeting_falls_in_one_fold() -> None:
    examples = [meeting_row(c, t, 0) for c in ("m1", "m2", "m3") for t in range(10)]
    examples += [Example(f"s{i}", "", "rep", (i % 2,) * len(HEADS)) for i in range(20)]
    y = np.array([e.labels[0] for e in examples], dtype=np.int64)
    folds = _group_folds(examples, y, 5)
    for call in ("m1", "m2", "m3"):
        assert len({int(f) for e, f in zip(examples, folds, strict=True) if e.call_id == call}) == 1
    single = folds[30:]
    assert set(single[y[30:] == 1].tolist()) == set(range(5))


def test_moment_f1_scores_as_the_eval_does() -> None:
    # Labels on turns 2 and 8; detections on turns 3 (next to 2: correct) and 5 (wrong).
    examples = [
        meeting_row("m1", t, int(t in (2, 8)), ("agenda_set",) if t in (2, 8) else ())
        for t in range(10)
    ]
    rows = np.arange(10)
    p = np.array([0.9 if t in (3, 5) else 0.1 for t in range(10)])
    dated = np.zeros(10, dtype=bool)
    f1 = _moment_f1(examples, rows, p, dated, "agenda_set", 0.5)
    precision, recall = 1 / 2, 1 / 2
    assert f1 == pytest.approx(2 * precision * recall / (precision + recall))


def test_moment_f1_drops_a_reps_bare_acknowledgement_as_decide_does() -> None:
    # Label on turn 2; the rep's "Okay." on turn 3 would be correct by position, but decide()
    # sets no agenda on it, so the objective must not count it either.
    examples = [
        meeting_row("m1", t, int(t == 2), ("agenda_set",) if t == 2 else ()) for t in range(6)
    ]
    examples[3] = replace(examples[3], text="Okay.")
    p = np.array([0.9 if t == 3 else 0.1 for t in range(6)])
    dated = np.zeros(6, dtype=bool)
    assert _moment_f1(examples, np.arange(6), p, dated, "agenda_set", 0.5) == 0.0
    examples[3] = replace(examples[3], text="Let's start with the budget.")
    assert _moment_f1(examples, np.arange(6), p, dated, "agenda_set", 0.5) == 1.0


def test_moment_f1_keeps_a_prospect_agenda_only_right_after_the_reps() -> None:
    # Label on turn 2 (rep). A prospect's agenda on turn 3 right after the rep's detection
    # stands; one on turn 6, after no rep agenda, is dropped as decide() drops it.
    examples = [
        replace(
            meeting_row("m1", t, int(t == 2), ("agenda_set",) if t == 2 else ()),
            role="rep" if t % 2 == 0 else "prospect",
        )
        for t in range(10)
    ]
    examples[6] = replace(examples[6], role="prospect")
    rows = np.arange(10)
    p = np.array([0.9 if t in (2, 3, 6) else 0.1 for t in range(10)])
    f1 = _moment_f1(examples, rows, p, np.zeros(10, dtype=bool), "agenda_set", 0.5)
    assert f1 == pytest.approx(1.0)
    without_rep = p.copy()
    without_rep[2] = 0.1
    # turn 3 alone, with no rep agenda before it, is dropped too: nothing detected
    assert _moment_f1(examples, rows, without_rep, np.zeros(10, dtype=bool), "agenda_set", 0.5) == 0


def test_next_step_moments_split_dated_and_undated() -> None:
    j = HEADS.index("next_step")
    examples = []
    for t in range(6):
        labels = [0] * len(HEADS)
        labels[j] = int(t == 1)
        examples.append(
            Example(
                f"t{t}",
                "",
                "rep",
                tuple(labels),
                (),
                "ami",
                call_id="m",
                turn=t,
                turn_labels=("next_step_undated",) if t == 1 else (),
            )
        )
    rows = np.arange(6)
    p = np.array([0.0, 0.9, 0.0, 0.0, 0.0, 0.0])
    undated = _moment_f1(examples, rows, p, np.zeros(6, dtype=bool), "next_step", 0.5)
    dated = _moment_f1(examples, rows, p, np.ones(6, dtype=bool), "next_step", 0.5)
    # found as undated: undated F1 1, no dated labels or detections: dated F1 0
    assert undated == pytest.approx(0.5)
    # found as dated: a wrong dated detection and a missed undated label
    assert dated == pytest.approx(0.0)


def test_meetings_take_part_in_choosing_the_threshold() -> None:
    examples, x = synthetic_set()
    rng = np.random.default_rng(7)
    agenda = HEADS.index("agenda_set")
    extra, rows = [], []
    for call in ("m1", "m2", "m3"):
        for t in range(12):
            positive = t % 4 == 0
            extra.append(meeting_row(call, t, int(positive), ("agenda_set",) if positive else ()))
            row = np.asarray(rng.normal(0.0, 0.3, size=(x.shape[1],)), dtype=np.float32)
            row[agenda] += SEPARATION if positive else 0.0
            rows.append(row)
    heads = train_heads([*examples, *extra], np.vstack([x, np.array(rows)]), folds=3)
    report = heads.meta["cross_validation"]
    assert report["agenda_set"]["cv_moment_f1"] >= 0.9
    assert "cv_moment_f1" not in report["pain_quantified"]
    assert heads.meta["thresholds_by"] == "moment+example"


def test_a_meeting_a_head_ignores_does_not_score_that_head() -> None:
    examples, x = synthetic_set()
    rng = np.random.default_rng(3)
    agenda = HEADS.index("agenda_set")
    extra, rows = [], []
    for t in range(12):
        positive = t % 4 == 0
        row = meeting_row("m1", t, IGNORE, ("agenda_set",) if positive else ())
        extra.append(row)
        features = np.asarray(rng.normal(0.0, 0.3, size=(x.shape[1],)), dtype=np.float32)
        features[agenda] += SEPARATION if positive else 0.0
        rows.append(features)
    heads = train_heads([*examples, *extra], np.vstack([x, np.array(rows)]), folds=3)
    assert "cv_moment_f1" not in heads.meta["cross_validation"]["agenda_set"]


def test_moment_f1_keeps_a_thin_decision_only_as_the_confirmation_of_one() -> None:
    # Labels on turns 2 (a recap) and 3 ("Yep, correct."); a thin "Yep." on turn 6, after no
    # decision process, is dropped as decide() drops it.
    examples = [
        meeting_row(
            "m1", t, int(t in (2, 3)), ("decision_process_confirmed",) if t in (2, 3) else ()
        )
        for t in range(10)
    ]
    examples[2] = replace(examples[2], text="So Dana signs off, after legal reviews it.")
    examples[3] = replace(examples[3], text="Yep, correct.")
    examples[6] = replace(examples[6], text="Yep.")
    rows = np.arange(10)
    p = np.array([0.9 if t in (2, 3, 6) else 0.1 for t in range(10)])
    no_dates = np.zeros(10, dtype=bool)
    assert _moment_f1(examples, rows, p, no_dates, "decision_process_confirmed", 0.5) == 1.0
    without_recap = p.copy()
    without_recap[2] = 0.1
    f1 = _moment_f1(examples, rows, without_recap, no_dates, "decision_process_confirmed", 0.5)
    assert f1 == 0.0  # the confirmation alone confirms nothing
    # a confirmation that stands may itself be confirmed, as decide() goes in call order:
    # "Yep." on turn 4 confirms turn 3's, "Yep." on turn 5 turn 4's and turn 6 turn 5's
    # (false detections: 3 of 5 correct)
    examples[4] = replace(examples[4], text="Yep.")
    examples[5] = replace(examples[5], text="Yep.")
    chain = p.copy()
    chain[4] = chain[5] = 0.9
    kept = _moment_f1(examples, rows, chain, no_dates, "decision_process_confirmed", 0.5)
    assert kept == pytest.approx(2 * 0.6 / 1.6)


@pytest.mark.parametrize(
    ("head", "said", "kept"),
    [
        ("pain_quantified", "It costs us nine days a month.", True),
        ("pain_quantified", "It costs us days every month.", False),
        ("timeline_agreed", "Pilot on the fourth, contract by May.", True),
        ("timeline_agreed", "Pilot first, then the contract.", False),
    ],
)
def test_moment_f1_keeps_a_pain_with_a_number_and_a_timeline_with_a_date(
    head: str, said: str, kept: bool
) -> None:
    examples = [meeting_row("m1", t, int(t == 2), (head,) if t == 2 else ()) for t in range(6)]
    examples[2] = replace(examples[2], text=said)
    p = np.array([0.9 if t == 2 else 0.1 for t in range(6)])
    f1 = _moment_f1(examples, np.arange(6), p, np.zeros(6, dtype=bool), head, 0.5)
    assert f1 == (1.0 if kept else 0.0)


@pytest.mark.parametrize(
    ("role", "said", "kept"),
    [
        ("rep", "Okay, I can waive the setup fee.", True),
        ("rep", "We'd propose a hundred and forty-five thousand.", False),
        ("prospect", "That's more than we pay now.", True),
        ("prospect", "What does fixed fee look like?", False),
    ],
)
def test_moment_f1_keeps_a_pricing_objection_as_decide_does(
    role: Role, said: str, kept: bool
) -> None:
    head = "pricing_objection"
    examples = [meeting_row("m1", t, int(t == 2), (head,) if t == 2 else ()) for t in range(6)]
    examples[2] = replace(examples[2], text=said, role=role)
    p = np.array([0.9 if t == 2 else 0.1 for t in range(6)])
    f1 = _moment_f1(examples, np.arange(6), p, np.zeros(6, dtype=bool), head, 0.5)
    assert f1 == (1.0 if kept else 0.0)


def test_the_written_sales_calls_are_valid_and_apart_from_the_evaluation_calls() -> None:
    from eval.labeled import SALES_DEV, SALES_DIR, sales_calls

    calls = written_calls()
    assert len(calls) == 21
    evaluated = sales_calls(SALES_DIR) + sales_calls(SALES_DEV)
    assert not {c.call_id for c in calls} & {c.call_id for c in evaluated}
    their_turns = {t.text for c in evaluated for t in c.transcript.turns if len(t.text) > 40}
    for c in calls:
        turns = c.transcript.turns
        assert c.labels and c.transcript.call_start is not None, c.call_id
        assert {t.role for t in turns} == {"rep", "prospect"}, c.call_id
        assert not {t.text for t in turns} & their_turns, c.call_id
        for lab in c.labels:
            assert 0 <= lab.turn < len(turns) and lab.by == turns[lab.turn].role, (c.call_id, lab)
            assert lab.behavior in BUILT_IN and lab.behavior != "rep_question"
            assert lab.subtype is None or lab.subtype in SUBTYPES[lab.behavior]
    behaviors = {lab.behavior for c in calls for lab in c.labels}
    assert behaviors == set(BUILT_IN) - {"rep_question"}


def test_the_written_calls_train_every_head_as_a_meeting_does() -> None:
    calls = written_calls()[:1]
    rows = call_examples(calls, "written call")
    assert rows and all(e.call_id == calls[0].call_id and e.position is not None for e in rows)
    labeled = {(lab.turn, head_of(lab.behavior)) for lab in calls[0].labels}
    for e in rows:
        for head, y in zip(HEADS, e.labels, strict=True):
            if (e.turn, head) in labeled:
                assert y == 1
            elif y == 1:
                pytest.fail(f"turn {e.turn} is no {head}")


def test_team_meetings_train_only_their_heads(shared_eval: Path) -> None:
    from eval.labeled import team_ami_meetings

    meeting = team_ami_meetings()[0]
    rows = ami_examples((meeting,), TEAM_AMI_HEADS)
    assert rows and all(e.call_id == meeting for e in rows)
    for e in rows:
        for head, y in zip(HEADS, e.labels, strict=True):
            if head not in TEAM_AMI_HEADS:
                assert y == IGNORE
    used = {h for e in rows for h, y in zip(HEADS, e.labels, strict=True) if y == 1}
    assert used <= set(TEAM_AMI_HEADS) and used


def test_the_shipped_heads_were_trained_on_the_data_and_rules_of_this_tree(
    shared_eval: Path,
) -> None:
    """Edit the training data or a rule the threshold objective applies, and the shipped
    heads are stale until ``dealproof train behaviors`` is run again."""
    examples = training_examples()
    meta = load_default_heads().meta
    assert meta["data_sha256"] == data_digest(examples), "training data changed: retrain"
    assert meta["decide_rules_sha256"] == rules_digest(examples), "decide rules changed: retrain"
