"""``dealproof analyze`` with playbooks, as a user runs it: a child process, its exit code and
its output."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.api.cli_runner import ROOT, dealproof

DISCOVERY = ROOT / "tests" / "data" / "transcripts" / "discovery_call.vtt"


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("dealproof: ")
    return lines[0]


def test_analyze_with_the_meddic_playbook_prints_its_scorecard() -> None:
    done = dealproof("analyze", DISCOVERY, "--playbook", "meddic")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "scorecard (meddic): " in out
    section = out[out.index("scorecard (meddic)") :].split("\n\n")[0].splitlines()
    items = [line.split()[1] for line in section[1:] if line.split()[0] in ("done", "MISSED")]
    # MEDDIC's items, in the playbook's order
    assert items == [
        "agenda_set",
        "pain_identified",
        "pain_quantified",
        "decision_process_confirmed",
        "champion",
        "next_step_dated",
    ]
    assert "evidence (" in out
    assert "decision_process_confirmed" in out[: out.index("scorecard (meddic)")]


def test_a_missing_playbook_file_is_one_error_line() -> None:
    line = one_error_line(dealproof("analyze", DISCOVERY, "--playbook", "/nonexistent.yaml"))
    assert "/nonexistent.yaml" in line
    assert "not found" in line


@pytest.mark.parametrize(
    ("content", "line_number"),
    [
        # YAML that does not parse: a mapping value where none may be
        (
            "name: broken\n"
            "expected_behaviors:\n"
            "  - behavior: agenda_set\n"
            "    coaching: Set the agenda.\n"
            "    weight: 2: 3\n",
            5,
        ),
        # YAML that parses but is no playbook: an unknown key
        (
            "name: broken\n"
            "expected_behaviors:\n"
            "  - behavior: agenda_set\n"
            "    coaching: Set the agenda.\n"
            "    when: early\n",
            5,
        ),
    ],
)
def test_a_malformed_playbook_is_one_error_line_with_its_line_number(
    tmp_path: Path, content: str, line_number: int
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(content)
    line = one_error_line(dealproof("analyze", DISCOVERY, "--playbook", path))
    assert f"{path}:{line_number}:" in line


def test_no_behaviors_prints_no_scorecard() -> None:
    done = dealproof("analyze", DISCOVERY, "--no-behaviors", "--playbook", "meddic")
    assert done.returncode == 0, done.stderr
    assert "scorecard" not in done.stdout
    assert "evidence (" not in done.stdout
    assert "transcript (10 utterances)" in done.stdout
