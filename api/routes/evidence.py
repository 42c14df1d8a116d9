"""Evidence: filter it, review it (confirm or reject, with a comment), export it."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import TypeAdapter
from sqlmodel import col, select

from api import access
from api.deal_ledger import refresh_criteria
from api.deps import PrincipalDep, ReviewerDep, SessionDep
from api.routes.common import (
    IdFilter,
    Limit,
    Moment,
    Offset,
    columns,
    get_visible,
    get_visible_row,
    json_response,
    page,
)
from api.schemas import NO_NUL, EvidenceOut, Page, ReviewIn, ReviewOut
from api.tables import Deal, Evidence, Review, refresh_call_behaviors

router = APIRouter(tags=["evidence"])

EXPORT_COLUMNS = (
    "id", "key", "call_id", "deal_id", "rep_id", "call_started_at", "behavior", "subtype",
    "speaker", "role", "start", "end", "quote", "confidence", "status", "detector",
    "detector_version", "fields",
)  # fmt: skip


Status = Annotated[str | None, Query(pattern="^(detected|confirmed|rejected)$")]
Confidence = Annotated[float | None, Query(ge=0.0, le=1.0)]
Behavior = Annotated[str | None, Query(max_length=100, pattern=NO_NUL)]


EVIDENCE = TypeAdapter(EvidenceOut)
EVIDENCE_PAGE = TypeAdapter(Page[EvidenceOut])


async def evidence_query(
    principal: PrincipalDep,
    deal_id: IdFilter = None,
    call_id: IdFilter = None,
    rep_id: IdFilter = None,
    behavior: Behavior = None,
    status: Status = None,
    since: Moment | None = None,
    until: Moment | None = None,
    min_confidence: Confidence = None,
) -> Any:
    """The evidence the caller may see, narrowed by the filters the list and export share;
    ``since``/``until`` bound the call's start time. It selects the columns, so rows come
    back plain (no ORM objects); it does no I/O, hence ``async``: no trip to the thread pool."""
    query = columns(Evidence).where(access.evidence(principal))
    if deal_id is not None:
        query = query.where(Evidence.deal_id == deal_id)
    if call_id is not None:
        query = query.where(Evidence.call_id == call_id)
    if rep_id is not None:
        query = query.where(Evidence.rep_id == rep_id)
    if behavior is not None:
        query = query.where(Evidence.behavior == behavior)
    if status is not None:
        query = query.where(Evidence.status == status)
    if since is not None:
        query = query.where(col(Evidence.call_started_at) >= since)
    if until is not None:
        query = query.where(col(Evidence.call_started_at) < until)
    if min_confidence is not None:
        query = query.where(col(Evidence.confidence) >= min_confidence)
    return query


EvidenceQuery = Annotated[Any, Depends(evidence_query)]


@router.get("/evidence", response_model=Page[EvidenceOut])
def list_evidence(
    session: SessionDep, query: EvidenceQuery, limit: Limit = 50, offset: Offset = 0
) -> Response:
    """Evidence the caller may see, newest calls first."""
    order = (col(Evidence.call_started_at).desc(), col(Evidence.id).desc())
    rows, total = page(session, query, order, limit, offset)
    return json_response(
        EVIDENCE_PAGE, {"items": rows, "total": total, "limit": limit, "offset": offset}
    )


@router.get("/evidence/export")
def export_evidence(
    session: SessionDep, query: EvidenceQuery, format: Literal["csv", "json"] = "csv"
) -> StreamingResponse:
    """All matching evidence as CSV or JSON lines, streamed."""
    query = query.order_by(col(Evidence.id))
    rows = (r for r in session.exec(query.execution_options(yield_per=1000)))

    def as_dict(e: Any) -> dict[str, Any]:
        d = EVIDENCE.dump_python(EVIDENCE.validate_python(e, from_attributes=True), mode="json")
        return {k: d[k] for k in EXPORT_COLUMNS}

    def csv_lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for e in rows:
            d = as_dict(e)
            d["fields"] = json.dumps(d["fields"], sort_keys=True)
            writer.writerow(d)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    def json_lines() -> Iterator[str]:
        for e in rows:
            yield json.dumps(as_dict(e), ensure_ascii=False) + "\n"

    if format == "csv":
        return StreamingResponse(
            csv_lines(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="evidence.csv"'},
        )
    return StreamingResponse(json_lines(), media_type="application/x-ndjson")


@router.get("/evidence/{evidence_id}", response_model=EvidenceOut)
def get_evidence(evidence_id: int, session: SessionDep, principal: PrincipalDep) -> Response:
    row = get_visible_row(session, Evidence, evidence_id, access.evidence(principal), "evidence")
    return json_response(EVIDENCE, row)


@router.post("/evidence/{evidence_id}/reviews", response_model=ReviewOut, status_code=201)
def review_evidence(
    evidence_id: int, body: ReviewIn, session: SessionDep, principal: ReviewerDep
) -> Review:
    """Confirm or reject a detection. Every verdict is kept; the newest one decides."""
    evidence = get_visible(session, Evidence, evidence_id, access.evidence(principal), "evidence")
    assert evidence.id is not None
    review = Review(
        evidence_id=evidence.id,
        org_id=principal.org_id,
        reviewer_id=principal.user_id,
        verdict=body.verdict,
        comment=body.comment,
    )
    evidence.status = body.verdict
    session.add(review)
    session.add(evidence)
    refresh_call_behaviors(session, evidence.call_id)  # flushes
    if evidence.deal_id is not None:
        deal = session.get(Deal, evidence.deal_id)
        if deal is not None:
            refresh_criteria(session, deal)
    session.commit()
    return review


@router.get("/evidence/{evidence_id}/reviews", response_model=list[ReviewOut])
def list_reviews(evidence_id: int, session: SessionDep, principal: PrincipalDep) -> list[Review]:
    get_visible(session, Evidence, evidence_id, access.evidence(principal), "evidence")
    return list(
        session.exec(
            select(Review).where(Review.evidence_id == evidence_id).order_by(col(Review.id))
        )
    )


@router.get("/reviews/export")
def export_reviews(session: SessionDep, principal: ReviewerDep) -> StreamingResponse:
    """Reviewed detections as JSON lines: the quote, the behavior and the verdict, ready to
    add to the training data (``label``: 1 confirmed, 0 rejected)."""
    query = (
        select(Review, Evidence)
        .join(Evidence, col(Evidence.id) == col(Review.evidence_id))
        .where(access.reviews(principal))
        .order_by(col(Review.id))
    )

    def lines() -> Iterator[str]:
        for review, e in session.exec(query):
            yield (
                json.dumps(
                    {
                        "text": e.quote,
                        "behavior": e.behavior,
                        "subtype": e.subtype,
                        "label": 1 if review.verdict == "confirmed" else 0,
                        "verdict": review.verdict,
                        "comment": review.comment,
                        "role": e.role,
                        "confidence": e.confidence,
                        "detector_version": e.detector_version,
                        "evidence_id": e.id,
                        "call_id": e.call_id,
                        "reviewer_id": review.reviewer_id,
                        "reviewed_at": review.created_at.isoformat(),
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )

    return StreamingResponse(lines(), media_type="application/x-ndjson")
