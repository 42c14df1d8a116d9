"""The trained behavior heads: the shipped ones, their outputs, saving and loading."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.behaviors.catalog import HEADS, SUBTYPE_HEADS, SUBTYPES
from engine.errors import ModelError
from models.behavior_heads import (
    META_FILE,
    POSITION_COLUMNS,
    POSITION_FEATURES,
    ROLE_FEATURES,
    RULE_FEATURES,
    WEIGHTS_FILE,
    BehaviorHeads,
    SegmentRules,
    load_default_heads,
    load_heads,
    segment_features,
    segment_rules,
)
from models.encoder import DIM

FEATURES = 2 * DIM + len(ROLE_FEATURES) + len(POSITION_FEATURES) + len(RULE_FEATURES)


@pytest.fixture(scope="session")
def shipped() -> BehaviorHeads:
    return load_default_heads()


def random_features(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 0.1, (n, FEATURES)).astype(np.float32)


def tiny_heads(features: int = 5) -> BehaviorHeads:
    rng = np.random.default_rng(7)
    return BehaviorHeads(
        weights=rng.normal(size=(len(HEADS), features)),
        bias=rng.normal(size=len(HEADS)),
        thresholds=np.linspace(0.3, 0.9, len(HEADS)),
        subtype_weights={"budget_discussed": rng.normal(size=(3, features))},
        subtype_bias={"budget_discussed": np.array([0.1, -0.2, 0.0])},
        subtype_labels={"budget_discussed": ("budget_asked", "cost_concern", "price_presented")},
        version="1.test0001",
        meta={"trained": "2026-03-02", "note": "by hand"},
    )


def test_shipped_heads_match_the_code(shipped: BehaviorHeads) -> None:
    assert shipped.weights.shape == (len(HEADS), FEATURES)
    assert shipped.bias.shape == (len(HEADS),)
    assert shipped.thresholds.shape == (len(HEADS),)
    assert shipped.meta["heads"] == list(HEADS)
    assert shipped.meta["rule_features"] == list(RULE_FEATURES)
    assert shipped.meta["position_features"] == list(POSITION_FEATURES)
    assert shipped.meta["role_features"] == list(ROLE_FEATURES)
    assert np.all((shipped.thresholds >= 0.3) & (shipped.thresholds <= 0.95))
    assert shipped.version.startswith("1.")
    assert load_heads().version == shipped.version
    for behavior, labels in shipped.subtype_labels.items():
        assert behavior in SUBTYPE_HEADS
        assert set(labels) <= set(SUBTYPES[behavior])
        assert shipped.subtype_weights[behavior].shape == (len(labels), FEATURES)
        assert shipped.subtype_bias[behavior].shape == (len(labels),)


def test_only_the_position_heads_read_the_position(shipped: BehaviorHeads) -> None:
    from models.training import POSITION_HEADS

    assert shipped.meta["position_heads"] == list(POSITION_HEADS)
    for j, head in enumerate(HEADS):
        weights = shipped.weights[j, POSITION_COLUMNS]
        assert np.any(weights != 0) == (head in POSITION_HEADS), head
    for behavior in shipped.subtype_weights:
        assert not np.any(shipped.subtype_weights[behavior][:, POSITION_COLUMNS])


def test_probabilities_shape_and_range(shipped: BehaviorHeads) -> None:
    p = shipped.probabilities(random_features(6))
    assert p.shape == (6, len(HEADS))
    assert np.all((p > 0.0) & (p < 1.0))
    assert shipped.probabilities(random_features(0)).shape == (0, len(HEADS))


def test_probabilities_are_the_logistic_of_the_linear_score() -> None:
    heads = tiny_heads()
    x = np.random.default_rng(1).normal(size=(4, 5)).astype(np.float32)
    z = x.astype(np.float64) @ heads.weights.T + heads.bias
    assert np.allclose(heads.probabilities(x), 1 / (1 + np.exp(-z)))


@pytest.mark.parametrize("behavior", SUBTYPE_HEADS)
def test_subtype_is_one_of_the_catalog_subtypes(shipped: BehaviorHeads, behavior: str) -> None:
    out = shipped.subtype(behavior, random_features(5, seed=3))
    assert len(out) == 5
    for label, p in out:
        assert label in SUBTYPES[behavior]
        assert 1 / len(SUBTYPES[behavior]) <= p <= 1.0


def test_subtype_of_a_behavior_without_subtypes_is_empty(shipped: BehaviorHeads) -> None:
    assert shipped.subtype("agenda_set", random_features(2)) == [("", 0.0), ("", 0.0)]


def test_subtype_is_the_argmax_of_the_softmax() -> None:
    heads = tiny_heads()
    x = np.zeros((1, 5), dtype=np.float32)  # scores are the biases: 0.1, -0.2, 0.0
    ((label, p),) = heads.subtype("budget_discussed", x)
    e = np.exp([0.1, -0.2, 0.0])
    assert label == "budget_asked"
    assert p == pytest.approx(e[0] / e.sum())


def test_missing_files_say_how_to_train(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="dealproof train behaviors") as caught:
        load_heads(tmp_path)
    assert str(tmp_path) in str(caught.value)
    tiny_heads().save(tmp_path)
    (tmp_path / WEIGHTS_FILE).unlink()
    with pytest.raises(ModelError, match="dealproof train behaviors"):
        load_heads(tmp_path)


@pytest.mark.parametrize("key", ["heads", "rule_features", "position_features"])
def test_heads_of_other_code_say_how_to_train(tmp_path: Path, key: str) -> None:
    tiny_heads().save(tmp_path)
    meta = json.loads((tmp_path / META_FILE).read_text())
    meta[key] = meta[key][:-1]
    (tmp_path / META_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=r"do not match this code.*dealproof train behaviors"):
        load_heads(tmp_path)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    heads = tiny_heads()
    heads.save(tmp_path / "out")
    assert {p.name for p in (tmp_path / "out").iterdir()} == {WEIGHTS_FILE, META_FILE}
    back = load_heads(tmp_path / "out")
    assert np.array_equal(back.weights, heads.weights)
    assert np.array_equal(back.bias, heads.bias)
    assert np.array_equal(back.thresholds, heads.thresholds)
    assert back.subtype_labels == heads.subtype_labels
    assert np.array_equal(
        back.subtype_weights["budget_discussed"], heads.subtype_weights["budget_discussed"]
    )
    assert np.array_equal(
        back.subtype_bias["budget_discussed"], heads.subtype_bias["budget_discussed"]
    )
    assert back.version == "1.test0001"
    assert back.meta["note"] == "by hand"
    assert back.meta["heads"] == list(HEADS)
    x = np.random.default_rng(2).normal(size=(3, 5)).astype(np.float32)
    assert np.array_equal(back.probabilities(x), heads.probabilities(x))
    assert back.subtype("budget_discussed", x) == heads.subtype("budget_discussed", x)


def test_segment_rules_and_features_layout() -> None:
    rules = segment_rules("Can we do $40k by Friday?", frozenset({"budget_discussed"}))
    assert rules == SegmentRules(frozenset({"budget_discussed"}), True, True, True)
    plain = segment_rules("Nice weather.", frozenset())
    assert plain == SegmentRules(frozenset(), False, False, False)
    emb = np.full((2, DIM), 0.5, dtype=np.float32)
    ctx = np.full((2, DIM), -0.5, dtype=np.float32)
    x = segment_features(emb, ctx, ["rep", None], [rules, plain], [0.05, None])
    assert x.shape == (2, FEATURES)
    assert x.dtype == np.float32
    assert np.all(x[:, :DIM] == 0.5)
    assert np.all(x[:, DIM : 2 * DIM] == -0.5)
    roles = x[:, 2 * DIM : 2 * DIM + len(ROLE_FEATURES)]
    assert roles.tolist() == [[1, 0, 0], [0, 0, 1]]
    at = 2 * DIM + len(ROLE_FEATURES)
    position = x[:, at : at + len(POSITION_FEATURES)]
    assert position.tolist() == [[pytest.approx(-0.45), 1, 0], [0, 0, 0]]
    rule_part = x[:, at + len(POSITION_FEATURES) :]
    on = {RULE_FEATURES[j] for j in np.flatnonzero(rule_part[0])}
    assert on == {"cue:budget_discussed", "has_date", "has_money", "is_question"}
    assert not rule_part[1].any()
