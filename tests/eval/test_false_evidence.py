"""The false-evidence report: rates per behavior, and only earnings calls training never saw."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.types import Evidence
from eval.bench_behaviors import earnings_calls
from eval.false_evidence import Rates, format_rates, held_out_earnings
from models.training import EARNINGS_EVERY


def evidence(behavior: str, confidence: float, n: int) -> Evidence:
    return Evidence(
        f"e{n}", behavior, None, "S1", "rep", None, None, (f"u{n}",), f"quote {n}", confidence,
        {}, "test", "1",
    )  # fmt: skip


def test_rates_count_per_ten_thousand_words_and_per_hour() -> None:
    noise, sales = Rates("noise"), Rates("sales")
    noise.add(6_000, [evidence("budget_discussed", 0.9, 1), evidence("agenda_set", 0.8, 2)])
    noise.add(4_000, [evidence("budget_discussed", 0.99, 3)])
    sales.add(1_000, [evidence("budget_discussed", 0.9, 4)] * 5)
    assert (noise.calls, noise.words) == (2, 10_000)
    assert noise.per_10k("budget_discussed") == pytest.approx(2.0)
    assert noise.per_hour("budget_discussed") == pytest.approx(2 * 9_000 / 10_000)
    assert noise.per_10k("pricing_objection") == 0.0
    doc = noise.to_dict()
    assert doc["detections"]["budget_discussed"] == 2 and doc["words"] == 10_000
    text = format_rates(noise, sales, examples=1)
    budget = next(line for line in text.splitlines() if "budget_discussed" in line)
    assert budget.split()[1:] == ["2", "2.0", "1.8", "50.0"]
    assert "all" in text and "0.99 rep: quote 3" in text and "quote 1" not in text
    assert Rates("empty").per_10k("agenda_set") == 0.0


def test_only_earnings_calls_training_never_saw_are_measured(shared_eval: Path) -> None:
    every = earnings_calls()
    held = held_out_earnings()
    trained = {c.file_id for i, c in enumerate(every) if i % EARNINGS_EVERY == 0}
    assert held and trained
    assert not trained & {c.file_id for c in held}
    assert len(held) + len(trained) == len(every)
