"""The deal ledger: for each behavior, whether the deal has evidence of it, where it first
happened, and which stage exit criteria that evidence meets.

Rules:
- only evidence that is not rejected counts; a behavior is ``verified`` when a reviewer
  confirmed at least one detection, ``detected`` when detections wait for review;
- calls are ordered by start time (then id); "first" is the first call with counting evidence,
  and within it the earliest moment;
- an exit criterion is met by a verified or detected behavior, so a deal moves on without
  waiting for review, and a rejection takes a criterion back. ``verified`` lists the met
  criteria a reviewer has confirmed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from engine.playbook import Playbook
from engine.types import (
    BehaviorLedger,
    DealLedger,
    LedgerCall,
    LedgerEvidence,
    LedgerStatus,
    StageCriteria,
)


def build_ledger(
    playbook: Playbook, calls: Sequence[LedgerCall], evidence: Iterable[LedgerEvidence]
) -> DealLedger:
    ordered = sorted(calls, key=lambda c: (c.started_at, c.id))
    position = {c.id: i for i, c in enumerate(ordered)}
    rep_of = {c.id: c.rep_id for c in ordered}
    counting = sorted(
        (e for e in evidence if e.status != "rejected" and e.call_id in position),
        key=lambda e: (position[e.call_id], e.start is None, e.start or 0.0, e.id),
    )
    by_behavior: dict[str, list[LedgerEvidence]] = {}
    for e in counting:
        by_behavior.setdefault(e.behavior, []).append(e)

    names = list(
        dict.fromkeys(
            [x.behavior for x in playbook.expected_behaviors]
            + [b for s in playbook.stages for b in s.exit_criteria]
            + sorted(by_behavior)
        )
    )
    behaviors: list[BehaviorLedger] = []
    for name in names:
        items = by_behavior.get(name, [])
        status: LedgerStatus = "missing"
        if any(e.status == "confirmed" for e in items):
            status = "verified"
        elif items:
            status = "detected"
        first = items[0] if items else None
        behaviors.append(
            BehaviorLedger(
                behavior=name,
                status=status,
                first_call_id=first.call_id if first else None,
                first_call_number=position[first.call_id] + 1 if first else None,
                calls_total=len(ordered),
                first_by_rep_id=rep_of[first.call_id] if first else None,
                first_role=first.role if first else None,
                evidence_ids=tuple(e.id for e in items),
            )
        )
    status_of = {b.behavior: b.status for b in behaviors}
    stages = tuple(
        StageCriteria(
            stage=s.name,
            met=tuple(b for b in s.exit_criteria if status_of.get(b, "missing") != "missing"),
            missing=tuple(b for b in s.exit_criteria if status_of.get(b, "missing") == "missing"),
            verified=tuple(b for b in s.exit_criteria if status_of.get(b) == "verified"),
        )
        for s in playbook.stages
    )
    suggested = next((s.stage for s in stages if not s.complete), None)
    return DealLedger(tuple(behaviors), stages, suggested)
