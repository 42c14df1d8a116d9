"""The deal ledger from the database: load a deal's calls and evidence, build it with
engine.ledger, and fire ``deal.criteria_changed`` when the met exit criteria change."""

from __future__ import annotations

import logging
from typing import Any, cast

from sqlalchemy import ColumnElement, select
from sqlmodel import Session, col

from api import webhooks
from api.problems import Problem
from api.tables import Call, Deal, Evidence
from engine.errors import ConfigError
from engine.ledger import build_ledger
from engine.playbook import Playbook, available_playbooks, load_playbook
from engine.types import DealLedger, LedgerCall, LedgerEvidence, ReviewStatus, Role

log = logging.getLogger(__name__)


def playbook_named(name: str) -> Playbook:
    """A deal's playbook by name: a bundled one or the team's (``$DEALPROOF_PLAYBOOK_DIR``)."""
    return load_playbook(name)


def check_playbook(name: str) -> None:
    """A 422 problem unless ``name`` is a playbook that loads: unknown names list the
    available ones, and a team playbook's mistake is told with its file and line."""
    try:
        available = available_playbooks()
    except ConfigError:
        # the server's setting, not the client's request: logged, and no path in the answer
        log.exception("the team playbook folder is not available")
        raise Problem(500, "the server's team playbook folder is not available") from None
    if name not in available:
        raise Problem(422, f"playbook: unknown {name!r}; one of {', '.join(available)}")
    try:
        playbook_named(name)
    except ConfigError as exc:
        raise Problem(422, f"playbook: {exc}") from None


def deal_ledger(
    session: Session,
    deal_id: int | None,
    playbook: str,
    call_filter: ColumnElement[bool] | None = None,
) -> tuple[DealLedger, list[LedgerCall]]:
    """The ledger over the deal's analyzed calls (those ``call_filter`` admits, if given), and
    those calls. Reads the columns the ledger needs as plain rows, not ORM objects (a deal
    has tens of calls and hundreds of detections), and the calls as a subquery."""
    scope: list[ColumnElement[bool]] = [col(Call.deal_id) == deal_id, col(Call.status) == "done"]
    if call_filter is not None:
        scope.append(call_filter)
    # Core reads do not autoflush as ORM queries do: the session's pending changes (a review,
    # re-analysed evidence) must be in the database the ledger reads
    session.flush()
    connection: Any = session.connection()  # plain rows: ids are never None
    calls = [
        LedgerCall(call_id, started_at, rep_id)
        for call_id, started_at, rep_id in connection.execute(
            select(col(Call.id), col(Call.started_at), col(Call.rep_id)).where(*scope)
        )
    ]
    evidence = (
        [
            LedgerEvidence(
                evidence_id,
                call_id,
                behavior,
                cast(ReviewStatus, status),
                confidence,
                start,
                cast(Role | None, role),
            )
            for evidence_id, call_id, behavior, status, confidence, start, role in (
                connection.execute(
                    select(
                        col(Evidence.id),
                        col(Evidence.call_id),
                        col(Evidence.behavior),
                        col(Evidence.status),
                        col(Evidence.confidence),
                        col(Evidence.start),
                        col(Evidence.role),
                    ).where(col(Evidence.call_id).in_(select(col(Call.id)).where(*scope)))
                )
            )
        ]
        if calls
        else []
    )
    return build_ledger(playbook_named(playbook), calls, evidence), calls


def refresh_criteria(session: Session, deal: Deal) -> bool:
    """Store the met criteria and queue a webhook when they changed; True if they did.

    Locks the deal row first (PostgreSQL; SQLite writes one at a time anyway), so that two
    transactions changing the same deal's evidence take turns: the second then builds the
    ledger with the first's change and does not write back criteria from before it."""
    session.refresh(deal, with_for_update=True)
    ledger, _ = deal_ledger(session, deal.id, deal.playbook)
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
