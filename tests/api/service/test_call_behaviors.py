"""``calls.behaviors``, the summary adoption counts from, follows the call's evidence in the
same transaction as every change to it: a job's results, a re-analysis after a retry, a
rejection, a confirmation that undoes it, and two reviews of one call at once."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from api.db import get_engine
from api.tables import (
    Call,
    Evidence,
    Job,
    Review,
    behaviors_summary,
    refresh_call_behaviors,
)
from tests.api.service.conftest import TRANSCRIPTS, World, evidence_row

WINDOW = {"since": "2026-10-26T00:00:00Z", "until": "2026-11-23T00:00:00Z"}


def stored(world: World, call_id: int) -> str:
    with Session(get_engine(world.settings.db_url)) as session:
        call = session.get(Call, call_id)
        assert call is not None
        return call.behaviors


def from_evidence(world: World, call_id: int) -> str:
    """The summary as the evidence rows say it should be."""
    with Session(get_engine(world.settings.db_url)) as session:
        rows = session.exec(
            select(col(Evidence.behavior), col(Evidence.status)).where(
                col(Evidence.call_id) == call_id
            )
        ).all()
    return behaviors_summary(b for b, status in rows if status != "rejected")


def evidence_of(world: World, call_id: int) -> list[dict[str, Any]]:
    response = world.get("admin", "/evidence", params={"call_id": call_id, "limit": 500})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def review(world: World, evidence_id: int, verdict: str) -> None:
    response = world.post("manager", f"/evidence/{evidence_id}/reviews", json={"verdict": verdict})
    assert response.status_code == 201, response.text


def team_count(world: World, behavior: str) -> tuple[int, int]:
    adoption = world.get("manager", f"/teams/{world.ids['east']}/adoption", params=WINDOW).json()
    row = next(a for a in adoption["overall"] if a["behavior"] == behavior)
    return row["calls"], row["calls_with"]


def test_the_summary_format() -> None:
    assert behaviors_summary([]) == ""
    assert behaviors_summary(["b", "a_c", "b"]) == "|a_c|b|"


def test_results_and_reviews_keep_the_summary(world: World) -> None:
    call = world.analyzed(
        "rep", TRANSCRIPTS / "discovery_agenda_call.vtt", call_start="2026-11-03T10:00:00+00:00"
    )
    summary = stored(world, call["id"])
    assert summary == from_evidence(world, call["id"])
    assert "|agenda_set|" in summary and "|pain_quantified|" in summary

    # rejecting every detection of a behavior takes it out of the summary...
    pain = [e for e in evidence_of(world, call["id"]) if e["behavior"] == "pain_quantified"]
    assert pain
    for e in pain:
        review(world, e["id"], "rejected")
    assert "|pain_quantified|" not in stored(world, call["id"])
    assert stored(world, call["id"]) == from_evidence(world, call["id"])
    assert team_count(world, "pain_quantified") == (1, 0)
    # ...rejecting one again changes nothing...
    review(world, pain[0]["id"], "rejected")
    assert "|pain_quantified|" not in stored(world, call["id"])
    # ...and a newer confirmation brings it back
    review(world, pain[0]["id"], "confirmed")
    assert stored(world, call["id"]) == summary
    assert team_count(world, "pain_quantified") == (1, 1)

    # a behavior counts while any one of its detections stands
    agenda = [e for e in evidence_of(world, call["id"]) if e["behavior"] == "agenda_set"]
    for e in agenda[:-1]:
        review(world, e["id"], "rejected")
        assert "|agenda_set|" in stored(world, call["id"])
    review(world, agenda[-1]["id"], "rejected")
    assert "|agenda_set|" not in stored(world, call["id"])
    assert stored(world, call["id"]) == from_evidence(world, call["id"])
    assert team_count(world, "agenda_set") == (1, 0)
    review(world, agenda[0]["id"], "confirmed")
    assert "|agenda_set|" in stored(world, call["id"])


def test_a_retried_analysis_recomputes_the_summary(world: World) -> None:
    call = world.analyzed(
        "rep", TRANSCRIPTS / "discovery_agenda_call.vtt", call_start="2026-11-03T10:00:00+00:00"
    )
    for e in evidence_of(world, call["id"]):
        if e["behavior"] == "pain_quantified":
            review(world, e["id"], "rejected")
    job = world.get("admin", f"/calls/{call['id']}/jobs").json()[0]
    # The job failed (say its worker died), leaving a detection the analysis does not find
    # again and a summary that is wrong: the re-analysis must end both.
    with Session(get_engine(world.settings.db_url)) as session:
        stale = session.exec(select(Evidence).where(Evidence.call_id == call["id"])).first()
        assert stale is not None
        session.add(
            Evidence(
                **{
                    **stale.model_dump(exclude={"id", "key", "behavior", "status"}),
                    "key": "gone-on-reanalysis",
                    "behavior": "stale_tracker",
                }
            )
        )
        session.exec(
            update(Job).where(col(Job.id) == job["id"]).values(status="failed", error="died")
        )
        session.exec(
            update(Call)
            .where(col(Call.id) == call["id"])
            .values(status="failed", behaviors="|budget_discussed|")
        )
        session.commit()
    retried = world.post("rep", f"/jobs/{job['id']}/retry")
    assert retried.status_code == 202, retried.text
    assert world.wait_job(job["id"], "rep")["status"] == "done"
    summary = stored(world, call["id"])
    assert summary == from_evidence(world, call["id"])
    assert "|agenda_set|" in summary
    assert "|budget_discussed|" not in summary and "|stale_tracker|" not in summary
    # the reviewer's rejection outlives the re-analysis, in the summary too
    assert "|pain_quantified|" not in summary
    assert team_count(world, "pain_quantified") == (1, 0)


def test_two_reviews_of_one_call_at_once(world: World) -> None:
    """Each review rejects the only detection of its behavior; whichever commits last must
    still see the other's rejection (on PostgreSQL they really run side by side: the second
    waits for the first's lock on the call and then reads its committed change)."""
    engine = get_engine(world.settings.db_url)
    with Session(engine) as session:
        call = Call(
            org_id=world.ids["acme"],
            rep_id=world.ids["rep"],
            media_kind="transcript",
            media_format="vtt",
            media_name="c.vtt",
            media_key="k",
            media_size=1,
            media_sha256="1" * 64,
            status="done",
        )
        session.add(call)
        session.flush()
        assert call.id is not None
        rows = {
            behavior: evidence_row(call, behavior, behavior)
            for behavior in ("agenda_set", "budget_discussed", "pain_quantified")
        }
        session.add_all(rows.values())
        refresh_call_behaviors(session, call.id)
        session.commit()
        call_id = call.id
        ids = {b: e.id for b, e in rows.items()}
    assert stored(world, call_id) == "|agenda_set|budget_discussed|pain_quantified|"

    errors: list[BaseException] = []
    with Session(engine) as first:
        # A reviewer rejects the agenda and has not committed yet...
        row = first.get(Evidence, ids["agenda_set"])
        assert row is not None
        row.status = "rejected"
        first.add(row)
        first.add(
            Review(
                evidence_id=row.id or 0,
                org_id=row.org_id,
                reviewer_id=world.ids["manager"],
                verdict="rejected",
            )
        )
        assert refresh_call_behaviors(first, call_id) == "|budget_discussed|pain_quantified|"

        # ...while another rejects the budget through the API.
        def second() -> None:
            try:
                review(world, ids["budget_discussed"] or 0, "rejected")
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive()  # it waits for the first to commit
        first.commit()
        thread.join(timeout=30)
    assert not thread.is_alive() and not errors
    assert stored(world, call_id) == "|pain_quantified|"
    assert stored(world, call_id) == from_evidence(world, call_id)
