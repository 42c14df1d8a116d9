"""Calls: upload (media or transcript), list, read the analysis and scorecard; their jobs."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import Field, TypeAdapter
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api import access
from api import jobs as job_queue
from api.auth import Principal
from api.db import session_scope
from api.deal_ledger import refresh_criteria
from api.deps import DispatcherDep, PrincipalDep, SessionDep, get_principal
from api.problems import Problem
from api.processing import media_store
from api.routes.common import (
    IdFilter,
    Limit,
    Moment,
    Offset,
    columns,
    desc_id,
    get_visible,
    get_visible_row,
    json_response,
    page,
    utc_moment,
)
from api.schemas import (
    CallOut,
    CurrencyCode,
    Id,
    In,
    JobOut,
    Page,
    ScorecardItemOut,
    ScorecardOut,
    UploadOut,
)
from api.settings import Settings
from api.sniff import Sniffed, probe_media, sniff_file
from api.storage import new_temp_file
from api.tables import Call, Deal, Evidence, Job, Scorecard, Transcript, User, utcnow
from api.uploads import Received, receive_upload
from api.workers import Dispatcher
from engine.errors import InputError
from pipelines.transcripts import read_transcript

router = APIRouter(tags=["calls"])
CALL = TypeAdapter(CallOut)
CALL_PAGE = TypeAdapter(Page[CallOut])

_UPLOAD_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "deal_id": {"type": "integer"},
                        "rep_id": {"type": "integer", "description": "default: the caller"},
                        "call_start": {"type": "string", "description": "ISO 8601 with offset"},
                        "timezone": {"type": "string", "description": "IANA zone"},
                        "currency": {
                            "type": "string",
                            "pattern": "^[A-Z]{3}$",
                            "description": "ISO 4217 code of the call's money (e.g. AUD): "
                            "amounts said without one, and plain dollars when it is a "
                            "dollar, take it",
                        },
                        "title": {"type": "string"},
                        "rep_name": {
                            "type": "string",
                            "description": "the rep's speaker name in a named transcript",
                        },
                        "participants": {
                            "type": "string",
                            "description": 'JSON list: [{"name": ..., "email": ...}]',
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "/calls",
    status_code=202,
    response_model=UploadOut,
    openapi_extra=_UPLOAD_FORM,
    summary="Upload a recording or transcript; analysis runs as a job",
    responses={200: {"model": UploadOut, "description": "the same file was uploaded before"}},
)
async def upload_call(
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(get_principal)],
) -> UploadOut:
    settings: Settings = request.app.state.settings
    store = media_store(settings)
    temp = new_temp_file(store)
    try:
        received = await receive_upload(
            request.headers.get("content-type"),
            request.headers.get("content-length"),
            request.stream(),
            temp,
            settings.upload_limit,
        )
        out, job_id = await run_in_threadpool(_register, settings, principal, received)
    finally:
        temp.unlink(missing_ok=True)
    if job_id is not None:
        dispatcher: Dispatcher = request.app.state.dispatcher
        dispatcher.submit(job_id)
        response.headers["Location"] = f"/api/v1/jobs/{job_id}"
    else:
        response.status_code = 200
    return out


class _Form(In):
    deal_id: Id | None = None
    rep_id: Id | None = None
    call_start: str | None = Field(default=None, max_length=64)
    timezone: str | None = Field(default=None, max_length=64)
    currency: CurrencyCode | None = None
    title: str = Field(default="", max_length=300)
    rep_name: str | None = Field(default=None, max_length=200)
    participants: list[dict[str, Any]] = Field(default_factory=list, max_length=100)


def _form(fields: dict[str, str]) -> _Form:
    data: dict[str, Any] = {k: v for k, v in fields.items() if v != ""}
    if "participants" in data:
        try:
            data["participants"] = json.loads(data["participants"])
        except json.JSONDecodeError as exc:
            raise Problem(422, f"participants: not JSON ({exc.msg})") from exc
    unknown = set(data) - set(_Form.model_fields)
    if unknown:
        raise Problem(422, f"unknown form fields: {', '.join(sorted(unknown))}")
    try:
        return _Form.model_validate(data)
    except Exception as exc:
        errors: list[Any] = getattr(exc, "errors", list)()
        first = errors[0] if errors else {"loc": (), "msg": str(exc)}
        where = ".".join(str(p) for p in first["loc"])
        raise Problem(422, f"{where}: {first['msg']}") from exc


def _started_at(form: _Form) -> datetime:
    if form.timezone is not None:
        try:
            ZoneInfo(form.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise Problem(422, f"timezone: unknown IANA zone {form.timezone!r}") from exc
    if form.call_start is None:
        return utcnow()
    try:
        moment = datetime.fromisoformat(form.call_start)
    except ValueError as exc:
        raise Problem(422, f"call_start: not ISO 8601: {form.call_start!r}") from exc
    if moment.tzinfo is None:
        raise Problem(422, "call_start: give a UTC offset, e.g. 2026-11-23T15:00:00+01:00")
    try:
        return utc_moment(moment)
    except ValueError as exc:
        raise Problem(422, f"call_start: {exc}: {form.call_start!r}") from exc


def _sniffed(path: Path) -> Sniffed:
    sniffed = sniff_file(path)
    if sniffed is None:
        raise Problem(
            415,
            "not a recording or transcript dealproof reads (media: wav, flac, mp3, aac, m4a, "
            "mp4, mov, webm, ogg; transcripts: WebVTT, SRT, transcript JSON, 'Name: text')",
        )
    try:
        if sniffed.kind == "transcript":
            read_transcript(path)
        else:
            probe_media(path)
    except InputError as exc:
        reason = str(exc).replace(str(path), "the file").removeprefix("the file: ")
        raise Problem(422 if sniffed.kind == "transcript" else 415, reason) from exc
    return sniffed


def _register(
    settings: Settings, principal: Principal, received: Received
) -> tuple[UploadOut, int | None]:
    form = _form(received.fields)
    started_at = _started_at(form)
    with session_scope(settings.db_url) as session:
        rep_id = form.rep_id or principal.user_id
        rep = session.exec(select(User).where(User.id == rep_id, access.users(principal))).first()
        if rep is None:
            raise Problem(404, f"no user {rep_id}")
        if form.deal_id is not None:
            get_visible(session, Deal, form.deal_id, access.deals(principal), "deal")
        duplicate = _duplicate(session, principal, received.sha256)
        if duplicate is not None:
            return duplicate, None
        sniffed = _sniffed(received.path)
        key = f"{received.sha256[:2]}/{received.sha256}.{sniffed.format}"
        media_store(settings).put(received.path, key)
        call = Call(
            org_id=principal.org_id,
            deal_id=form.deal_id,
            rep_id=rep_id,
            title=form.title,
            call_start=form.call_start,
            started_at=started_at,
            timezone=form.timezone,
            currency=form.currency,
            participants=form.participants,
            rep_name=form.rep_name,
            media_kind=sniffed.kind,
            media_format=sniffed.format,
            media_name=_safe_name(received.filename),
            media_key=key,
            media_size=received.size,
            media_sha256=received.sha256,
        )
        session.add(call)
        try:
            session.flush()
        except IntegrityError:
            # The same file, sent twice at once (a client retrying): the other one won.
            session.rollback()
            duplicate = _duplicate(session, principal, received.sha256)
            if duplicate is None:
                raise
            return duplicate, None
        job = job_queue.enqueue(session, call)
        session.commit()
        assert job.id is not None
        return UploadOut(
            call=CallOut.model_validate(call), job=JobOut.model_validate(job), duplicate=False
        ), job.id


def _duplicate(session: Session, principal: Principal, sha256: str) -> UploadOut | None:
    """The call this organisation already has for the file, if any."""
    existing = session.exec(
        select(Call).where(Call.org_id == principal.org_id, Call.media_sha256 == sha256)
    ).first()
    if existing is None:
        return None
    visible = session.exec(
        select(Call).where(Call.id == existing.id, access.calls(principal))
    ).first()
    if visible is None:
        raise Problem(409, "this file was already uploaded by someone else")
    job = session.exec(select(Job).where(Job.call_id == existing.id).order_by(desc_id(Job))).first()
    return UploadOut(
        call=CallOut.model_validate(existing),
        job=JobOut.model_validate(job) if job else None,
        duplicate=True,
    )


def _safe_name(name: str) -> str:
    """The client's file name, for display only: no folders, no control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    return (cleaned or "upload")[:255]


@router.get("/calls", response_model=Page[CallOut])
def list_calls(
    session: SessionDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    offset: Offset = 0,
    deal_id: IdFilter = None,
    rep_id: IdFilter = None,
    status: str | None = Query(default=None, pattern="^(queued|running|done|failed)$"),
    since: Moment | None = None,
    until: Moment | None = None,
) -> Response:
    query = columns(Call).where(access.calls(principal))
    if deal_id is not None:
        query = query.where(Call.deal_id == deal_id)
    if rep_id is not None:
        query = query.where(Call.rep_id == rep_id)
    if status is not None:
        query = query.where(Call.status == status)
    if since is not None:
        query = query.where(col(Call.started_at) >= since)
    if until is not None:
        query = query.where(col(Call.started_at) < until)
    rows, total = page(session, query, col(Call.started_at).desc(), limit, offset)
    return json_response(
        CALL_PAGE, {"items": rows, "total": total, "limit": limit, "offset": offset}
    )


@router.get("/calls/{call_id}", response_model=CallOut)
def get_call(call_id: int, session: SessionDep, principal: PrincipalDep) -> Response:
    return json_response(
        CALL, get_visible_row(session, Call, call_id, access.calls(principal), "call")
    )


class CallPatch(In):
    deal_id: Id | None = None
    title: str | None = Field(default=None, max_length=300)
    currency: CurrencyCode | None = Field(
        default=None,
        description="counts from the next analysis (POST /calls/{id}/jobs); null clears",
    )
    rep_name: str | None = Field(
        default=None,
        max_length=200,
        description="the rep's name as the transcript or diarization gives it; counts from the "
        "next analysis; null lets the engine tell the rep again",
    )


@router.patch("/calls/{call_id}", response_model=CallOut)
def patch_call(call_id: int, body: CallPatch, session: SessionDep, principal: PrincipalDep) -> Call:
    """Attach a call to a deal (or move it); the deals' ledgers follow. A new currency or
    rep name counts from the call's next analysis."""
    call = get_visible(session, Call, call_id, access.calls(principal), "call")
    if body.title is not None:
        call.title = body.title
    if "currency" in body.model_fields_set:
        call.currency = body.currency
    if "rep_name" in body.model_fields_set:
        call.rep_name = body.rep_name
    if "deal_id" in body.model_fields_set and body.deal_id != call.deal_id:
        before = session.get(Deal, call.deal_id) if call.deal_id else None
        after = (
            get_visible(session, Deal, body.deal_id, access.deals(principal), "deal")
            if body.deal_id is not None
            else None
        )
        call.deal_id = body.deal_id
        for e in session.exec(select(Evidence).where(Evidence.call_id == call.id)):
            e.deal_id = body.deal_id
            session.add(e)
        session.add(call)
        session.flush()
        for deal in (before, after):
            if deal is not None:
                refresh_criteria(session, deal)
    session.add(call)
    session.commit()
    return call


@router.get("/calls/{call_id}/analysis", response_model=dict[str, Any])
def get_analysis(call_id: int, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """The CallAnalysis JSON (schema dealproof.call/1): transcript, speakers, metrics."""
    call = get_visible(session, Call, call_id, access.calls(principal), "call")
    transcript = session.get(Transcript, call.id)
    if transcript is None:
        raise Problem(409, f"call {call_id} is not analyzed yet (status: {call.status})")
    return transcript.analysis


@router.get("/calls/{call_id}/scorecard", response_model=ScorecardOut)
def get_scorecard(call_id: int, session: SessionDep, principal: PrincipalDep) -> ScorecardOut:
    """The post-call scorecard: each expected behavior done (with links to its evidence) or
    missed (with a coaching prompt), and the score from the playbook's weights."""
    call = get_visible(session, Call, call_id, access.calls(principal), "call")
    scorecard = session.get(Scorecard, call.id)
    if scorecard is None:
        raise Problem(409, f"call {call_id} has no scorecard yet (status: {call.status})")
    ids = {
        key: row_id
        for key, row_id in session.exec(
            select(Evidence.key, Evidence.id).where(Evidence.call_id == call.id)
        )
        if row_id is not None
    }
    return ScorecardOut(
        call_id=call_id,
        playbook=scorecard.playbook,
        score=scorecard.score,
        items=[
            ScorecardItemOut(
                behavior=item["behavior"],
                status=item["status"],
                weight=item["weight"],
                coaching=item.get("coaching"),
                evidence_ids=[ids[k] for k in item["evidence_ids"] if k in ids],
                evidence_keys=list(item["evidence_ids"]),
            )
            for item in scorecard.items
        ],
    )


@router.get("/calls/{call_id}/jobs", response_model=list[JobOut])
def list_call_jobs(call_id: int, session: SessionDep, principal: PrincipalDep) -> list[Job]:
    get_visible(session, Call, call_id, access.calls(principal), "call")
    return list(session.exec(select(Job).where(Job.call_id == call_id).order_by(col(Job.id))))


@router.post("/calls/{call_id}/jobs", response_model=JobOut, status_code=202)
def reanalyze_call(
    call_id: int,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    dispatcher: DispatcherDep,
) -> Job:
    """Analyze the call again, with the call's and its deal's settings as they are now
    (currency, rep name, playbook) and the engine as it is now. Reviewed evidence keeps its
    verdict; unreviewed evidence the new analysis does not find again goes. A job still
    queued for the call is the one answered; one running is a conflict."""
    call = get_visible(session, Call, call_id, access.calls(principal), "call")
    # Two requests at once take turns on the call row (PostgreSQL; SQLite writes one at a
    # time anyway), so the second finds the first's job instead of queuing another.
    session.refresh(call, with_for_update=True)
    pending = job_queue.pending(session, call_id)
    if pending is not None and pending.status == "running":
        raise Problem(
            409, f"call {call_id} is being analyzed (job {pending.id}); ask again when it is done"
        )
    return _queued(session, call, pending or job_queue.enqueue(session, call), dispatcher, response)


def _queued(
    session: Session, call: Call, job: Job, dispatcher: Dispatcher, response: Response
) -> Job:
    """Mark the call queued, commit, and hand the job to a worker."""
    call.status = "queued"
    call.error = None
    session.add(call)
    session.commit()
    assert job.id is not None
    dispatcher.submit(job.id)
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return job


@router.get("/jobs/{job_id}", response_model=JobOut, tags=["jobs"])
def get_job(job_id: int, session: SessionDep, principal: PrincipalDep) -> Job:
    return get_visible(session, Job, job_id, access.jobs(principal), "job")


@router.post("/jobs/{job_id}/retry", response_model=JobOut, status_code=202, tags=["jobs"])
def retry_job(
    job_id: int,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    dispatcher: DispatcherDep,
) -> Job:
    """Run a failed job again."""
    job = get_visible(session, Job, job_id, access.jobs(principal), "job")
    if job.status != "failed":
        raise Problem(409, f"job {job_id} is {job.status}; only a failed job can be retried")
    job_queue.retry(session, job)
    call = session.get(Call, job.call_id)
    assert call is not None
    return _queued(session, call, job, dispatcher, response)
