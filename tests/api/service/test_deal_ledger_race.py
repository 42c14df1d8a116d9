"""Two transactions changing one deal's evidence at once end with the right met criteria
(PostgreSQL, where they really run side by side)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlmodel import Session

from api.db import get_engine
from api.deal_ledger import refresh_criteria
from api.tables import Call, Deal, Evidence
from tests.api.service.conftest import empty_tables, evidence_row, populate


def test_a_rejection_and_new_evidence_at_once(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one writer at a time")
    empty_tables(database_url)
    _, ids = populate(database_url)
    engine = get_engine(database_url)
    with Session(engine) as session:
        deal = Deal(org_id=ids["acme"], name="Race", playbook="discovery", owner_id=ids["rep"])
        session.add(deal)
        session.flush()
        call = Call(
            org_id=ids["acme"],
            deal_id=deal.id,
            rep_id=ids["rep"],
            media_kind="transcript",
            media_format="vtt",
            media_name="c.vtt",
            media_key="k",
            media_size=1,
            media_sha256="0" * 64,
            status="done",
        )
        session.add(call)
        session.flush()
        pain = evidence_row(call, "e1", "pain_quantified")
        session.add(pain)
        session.flush()
        assert refresh_criteria(session, deal)
        assert deal.criteria_met == ["Discovery:pain_quantified"]
        deal_id, pain_id, call_id = deal.id, pain.id, call.id
        session.commit()

    errors: list[BaseException] = []
    with Session(engine) as reviewer:
        # A reviewer rejects the pain evidence and has not committed yet...
        row = reviewer.get(Evidence, pain_id)
        assert row is not None
        row.status = "rejected"
        reviewer.add(row)
        reviewer.flush()
        deal_a = reviewer.get(Deal, deal_id)
        assert deal_a is not None
        assert refresh_criteria(reviewer, deal_a)

        # ...while a job adds budget evidence to the same deal.
        def job() -> None:
            try:
                with Session(engine) as session:
                    call_b = session.get(Call, call_id)
                    assert call_b is not None
                    session.add(evidence_row(call_b, "e2", "budget_discussed"))
                    session.flush()
                    deal_b = session.get(Deal, deal_id)
                    assert deal_b is not None
                    refresh_criteria(session, deal_b)
                    session.commit()
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=job)
        thread.start()
        time.sleep(0.5)
        reviewer.commit()
        thread.join(timeout=30)
    assert not errors
    with Session(engine) as session:
        final = session.get(Deal, deal_id)
        assert final is not None
        assert final.criteria_met == ["Evaluation:budget_discussed"]
