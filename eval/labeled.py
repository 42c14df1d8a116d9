"""Labeled conversations: the AMI meetings of ../shared/eval/labels and the team's held-out
sales calls in eval/data. Labels follow BEHAVIORS.md ("How detections are scored").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from engine.types import Role, Transcript, TranscriptTurn
from eval.datasets import eval_dir

AMI_REP_ROLE = "Project Manager"
AMI_TRAIN = ("ES2002a", "ES2002b", "ES2002c", "ES2002d")
"""Labeled meetings the heads may be trained and tuned on."""
AMI_HELD_OUT = ("ES2003a", "ES2003b", "ES2003c", "ES2003d")
"""Labeled meetings never used for training or tuning: the reported figures."""
TEAM_AMI_LABELS = Path(__file__).resolve().parent.parent / "models" / "behavior_data" / "ami_labels"
"""The team's own labels of further AMI meetings (one file per meeting series), training only."""
SALES_DIR = Path(__file__).resolve().parent / "data"
"""The team's held-out sales calls."""
SALES_DEV = Path(__file__).resolve().parent / "dev"
"""The team's sales development calls: judged on, never trained on."""


@dataclass(frozen=True)
class Label:
    call_id: str
    turn: int
    behavior: str
    subtype: str | None
    by: Role | None
    date_expr: str | None = None
    due: str | None = None
    amount: float | None = None
    """The main purchase figure of a budget label (eval/data/README.md), when one is said."""
    currency: str | None = None


@dataclass(frozen=True)
class LabeledCall:
    call_id: str
    transcript: Transcript
    labels: tuple[Label, ...]


def _label(d: dict[str, object]) -> Label:
    by = d.get("by")
    return Label(
        call_id=str(d["call_id"]),
        turn=int(str(d["turn"])),
        behavior=str(d["behavior"]),
        subtype=None if d.get("subtype") is None else str(d["subtype"]),
        by="rep" if by == "agent" else "prospect" if by == "prospect" else None,
        date_expr=None if d.get("date_expr") is None else str(d["date_expr"]),
        due=None if d.get("due") is None else str(d["due"]),
        amount=None if d.get("amount") is None else float(str(d["amount"])),
        currency=None if d.get("currency") is None else str(d["currency"]),
    )


def _read_labels(paths: list[Path]) -> dict[str, list[Label]]:
    labels: dict[str, list[Label]] = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    lab = _label(json.loads(line))
                    labels.setdefault(lab.call_id, []).append(lab)
    return labels


def team_ami_meetings() -> tuple[str, ...]:
    """The AMI meetings the team labeled itself (never a held-out one)."""
    meetings = set(_read_labels(sorted(TEAM_AMI_LABELS.glob("*.jsonl"))))
    return tuple(sorted(meetings - set(AMI_HELD_OUT)))


def ami_calls(meetings: tuple[str, ...] | None = None) -> list[LabeledCall]:
    """The labeled AMI meetings (the eight public ones, or those named, the team's included),
    Project Manager as the rep."""
    root = eval_dir()
    public = _read_labels([root / "labels" / "ami_dev_labels.jsonl"])
    team = _read_labels(sorted(TEAM_AMI_LABELS.glob("*.jsonl")))
    labels = {**{k: v for k, v in team.items() if k not in AMI_HELD_OUT}, **public}
    wanted = set(meetings) if meetings is not None else set(public)
    calls = []
    with open(root / "text" / "ami_qmsum" / "ami_dev.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if d["meeting_id"] not in wanted or d["meeting_id"] not in labels:
                continue
            turns = tuple(
                TranscriptTurn(
                    speaker=t["speaker"],
                    text=t["content"],
                    role="rep" if t["speaker"] == AMI_REP_ROLE else "prospect",
                )
                for t in d["turns"]
            )
            calls.append(
                LabeledCall(
                    d["meeting_id"],
                    Transcript(turns, "ami", call_id=d["meeting_id"]),
                    tuple(sorted(labels[d["meeting_id"]], key=lambda x: x.turn)),
                )
            )
    return sorted(calls, key=lambda c: c.call_id)


def sales_calls(directory: Path = SALES_DIR) -> list[LabeledCall]:
    """The team's sales calls in ``directory`` (transcript JSON) with their labels: the
    held-out ones by default, the development ones from ``SALES_DEV``."""
    from pipelines.transcripts import read_transcript

    labels = _read_labels([directory / "sales_labels.jsonl"])
    calls = []
    for path in sorted((directory / "sales_calls").glob("*.json")):
        transcript = read_transcript(path)
        call_id = transcript.call_id or path.stem
        calls.append(
            LabeledCall(
                call_id,
                transcript,
                tuple(sorted(labels.get(call_id, []), key=lambda x: x.turn)),
            )
        )
    return calls


def earnings_turns(every: int = 4) -> list[list[str]]:
    """Turn texts of every ``every``-th earnings call (real business talk, no sales)."""
    calls = []
    path = eval_dir() / "text" / "earnings21" / "earnings21_turns.jsonl"
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i % every == 0:
                calls.append([t["text"] for t in json.loads(line)["turns"]])
    return calls
