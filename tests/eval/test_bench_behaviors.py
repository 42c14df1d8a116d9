"""The behavior benchmark's structure on a small slice (no timing assertions)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.bench_behaviors import (
    STAGES,
    EarningsCall,
    earnings_calls,
    render,
    run_long,
    run_throughput,
    write_long_transcript,
)
from pipelines.transcripts import read_transcript


def test_throughput_core_on_two_turns(shared_eval: Path) -> None:
    calls = earnings_calls(1)
    result = run_throughput(calls, max_turns=2)

    assert result["calls"] == 1
    assert result["words"] > 0 and result["words_per_s"] > 0
    assert tuple(result["stages_s"]) == STAGES
    assert all(s >= 0 for s in result["stages_s"].values())
    check = result["check"]
    assert check["file_id"] == calls[0].file_id
    assert check["identical_evidence"] is True
    assert check["evidence"] > 0
    assert result["per_call"][0]["turns"] == 2
    assert result["per_call"][0]["evidence"] == check["evidence"]
    assert set(result["cold_start"]) >= {"spacy_load_s", "encoder_load_s", "total_s"}

    figures = {
        "cpu_count": 2,
        "torch_threads": 2,
        "load_average_at_start": [0.1, 0.2, 0.3],
        "load_average_after_throughput": [0.1, 0.2, 0.3],
        "load_average_at_end": [0.1, 0.2, 0.3],
        "throughput": result,
    }
    text = render(figures)
    assert "words/s" in text and "identical evidence" in text


def test_earnings_call_roles_and_utterances() -> None:
    call = EarningsCall("c1", (("0", "Welcome."), ("1", "Thanks, three words here."), ("0", "Ok")))

    assert call.words == 6
    assert call.roles() == {"0": "prospect", "1": "rep"}
    utterances = call.utterances()
    assert [u.id for u in utterances] == ["u0", "u1", "u2"]
    assert [u.speaker for u in utterances] == ["S0", "S1", "S0"]
    assert all(u.start is None and u.end is None for u in utterances)


def test_long_transcript_is_readable_and_timed(tmp_path: Path) -> None:
    calls = [
        EarningsCall("a", (("0", "one two three"), ("1", "four five six seven"))),
        EarningsCall("b", (("0", "eight nine"),)),
        EarningsCall("c", (("0", "never reached"),)),
    ]
    out = tmp_path / "long.json"
    # 9 words at 150 a minute is 3.6 s: calls "a" and "b" reach 0.05 min, "c" is not needed.
    written = write_long_transcript(calls, out, minutes=0.05)

    assert written == {"turns": 3, "words": 9, "minutes": pytest.approx(9 / 150)}
    transcript = read_transcript(out)
    assert [t.speaker for t in transcript.turns] == ["a-0", "a-1", "b-0"]
    assert transcript.turns[-1].end == pytest.approx(3.6)
    assert transcript.turns[1].start == transcript.turns[0].end
    assert json.loads(out.read_text())["turns"][1]["role"] == "rep"


@pytest.mark.slow
def test_long_run_in_a_subprocess(shared_eval: Path) -> None:
    # One minute asks for the first earnings call alone (about an hour of talk).
    result = run_long(minutes=1)

    assert result["turns"] == result["utterances"] > 0
    assert result["schema_valid"] is True and result["evidence"] > 0
    assert 0 < result["peak_rss_mb"] <= result["ru_maxrss_mb"]
    assert "behaviors" in result["stages_s"]
