"""The deal ledger from the database: load a deal's calls and evidence, build it with
engine.ledger, and fire ``deal.criteria_changed`` when the met exit criteria change."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from api import webhooks
from api.tables import Call, Deal, Evidence
from engine.ledger import build_ledger
from engine.playbook import Playbook, load_playbook
from engine.types import DealLedger, LedgerCall, LedgerEvidence, ReviewStatus, Role


@lru_cache(maxsize=32)
def playbook_named(name: str) -> Playbook:
    return load_playbook(name)


def deal_ledger(
    session: Session, deal: Deal, call_filter: ColumnElement[bool] | None = None
) -> tuple[DealLedger, list[Call]]:
    """The ledger over the deal's analyzed calls (those ``call_filter`` admits, if given)."""
    query = select(Call).where(Call.deal_id == deal.id, Call.status == "done")
    if call_filter is not None:
        query = query.where(call_filter)
    calls = list(session.exec(query).all())
    ids = [c.id for c in calls]
    rows = session.exec(select(Evidence).where(col(Evidence.call_id).in_(ids))).all() if ids else []
    ledger = build_ledger(
        playbook_named(deal.playbook),
        [LedgerCall(c.id, c.started_at, c.rep_id) for c in calls if c.id is not None],
        [
            LedgerEvidence(
                e.id,
                e.call_id,
                e.behavior,
                cast(ReviewStatus, e.status),
                e.confidence,
                e.start,
                cast(Role | None, e.role),
            )
            for e in rows
            if e.id is not None
        ],
    )
    return ledger, calls


def refresh_criteria(session: Session, deal: Deal) -> bool:
    """Store the met criteria and queue a webhook when they changed; True if they did.

    Locks the deal row first (PostgreSQL; SQLite writes one at a time anyway), so that two
    transactions changing the same deal's evidence take turns: the second then builds the
    ledger with the first's change and does not write back criteria from before it."""
    session.refresh(deal, with_for_update=True)
    ledger, _ = deal_ledger(session, deal)
    met = list(ledger.criteria_met)
    if met == list(deal.criteria_met):
        return False
    before = list(deal.criteria_met)
    deal.criteria_met = met
    session.add(deal)
    data: dict[str, Any] = {
        "deal_id": deal.id,
        "external_id": deal.external_id,
        "criteria_met": met,
        "added": [c for c in met if c not in before],
        "removed": [c for c in before if c not in met],
        "suggested_stage": ledger.suggested_stage,
        "stage": deal.stage,
    }
    webhooks.queue_event(session, deal.org_id, "deal.criteria_changed", data)
    return True
