"""Deals: the evidence ledger across a deal's calls, stage exit criteria, stage changes."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import TypeAdapter
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api import access
from api.auth import Principal
from api.deal_ledger import check_playbook, deal_ledger, playbook_named, refresh_criteria
from api.deps import PrincipalDep, SessionDep, SettingsDep
from api.problems import Problem
from api.routes.common import (
    IdFilter,
    Limit,
    Offset,
    TextFilter,
    columns,
    get_visible,
    get_visible_row,
    json_response,
    page,
)
from api.schemas import (
    DealIn,
    DealOut,
    DealPatch,
    LedgerOut,
    Page,
    StageChangeIn,
    StageChangeOut,
)
from api.tables import Deal, StageChange, User

router = APIRouter(tags=["deals"])
DEAL = TypeAdapter(DealOut)
DEAL_PAGE = TypeAdapter(Page[DealOut])
LEDGER = TypeAdapter(LedgerOut)


def _check_playbook(name: str) -> str:
    check_playbook(name)
    return name


def _check_owner(session: Session, principal: Principal, owner_id: int) -> int:
    owner = session.exec(select(User).where(User.id == owner_id, access.users(principal))).first()
    if owner is None:
        raise Problem(404, f"no user {owner_id}")
    return owner_id


def _check_stage(deal: Deal, stage: str) -> str:
    names = [s.name for s in playbook_named(deal.playbook).stages]
    if names and stage not in names:
        raise Problem(422, f"stage: {stage!r} is not a stage of {deal.playbook}: {names}")
    return stage


@router.post("/deals", response_model=DealOut, status_code=201)
def create_deal(
    body: DealIn, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> Deal:
    deal = Deal(
        org_id=principal.org_id,
        name=body.name,
        external_id=body.external_id,
        playbook=_check_playbook(body.playbook or settings.default_playbook),
        currency=body.currency,
        owner_id=_check_owner(session, principal, body.owner_id or principal.user_id),
    )
    if body.stage is not None:
        deal.stage = _check_stage(deal, body.stage)
    session.add(deal)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Problem(409, f"a deal with external_id {body.external_id!r} exists") from exc
    if deal.stage is not None and deal.id is not None:
        session.add(StageChange(deal_id=deal.id, to_stage=deal.stage, changed_by=principal.user_id))
    session.commit()
    return deal


@router.get("/deals", response_model=Page[DealOut])
def list_deals(
    session: SessionDep,
    principal: PrincipalDep,
    limit: Limit = 50,
    offset: Offset = 0,
    external_id: TextFilter = None,
    stage: TextFilter = None,
    owner_id: IdFilter = None,
) -> Response:
    query = columns(Deal).where(access.deals(principal))
    if external_id is not None:
        query = query.where(Deal.external_id == external_id)
    if stage is not None:
        query = query.where(Deal.stage == stage)
    if owner_id is not None:
        query = query.where(Deal.owner_id == owner_id)
    rows, total = page(session, query, col(Deal.id).desc(), limit, offset)
    return json_response(
        DEAL_PAGE, {"items": rows, "total": total, "limit": limit, "offset": offset}
    )


@router.get("/deals/{deal_id}", response_model=DealOut)
def get_deal(deal_id: int, session: SessionDep, principal: PrincipalDep) -> Response:
    return json_response(
        DEAL, get_visible_row(session, Deal, deal_id, access.deals(principal), "deal")
    )


def _may_change(session: Session, principal: Principal, deal: Deal) -> None:
    """The owner, an admin, or a manager of the owner's team may change a deal; seeing it
    through one's own call on it is not enough."""
    if principal.role == "admin" or deal.owner_id == principal.user_id:
        return
    if principal.role == "manager" and deal.owner_id is not None:
        owner = session.exec(
            select(User.id).where(User.id == deal.owner_id, access.users(principal))
        ).first()
        if owner is not None:
            return
    raise Problem(403, "only the deal's owner, their manager or an admin may change it")


@router.patch("/deals/{deal_id}", response_model=DealOut)
def patch_deal(deal_id: int, body: DealPatch, session: SessionDep, principal: PrincipalDep) -> Deal:
    deal = get_visible(session, Deal, deal_id, access.deals(principal), "deal")
    _may_change(session, principal, deal)
    if body.name is not None:
        deal.name = body.name
    if body.owner_id is not None:
        deal.owner_id = _check_owner(session, principal, body.owner_id)
    if "currency" in body.model_fields_set:  # null clears it
        deal.currency = body.currency
    if body.playbook is not None and body.playbook != deal.playbook:
        deal.playbook = _check_playbook(body.playbook)
        session.add(deal)
        refresh_criteria(session, deal)
    session.add(deal)
    session.commit()
    return deal


@router.post("/deals/{deal_id}/stage", response_model=StageChangeOut, status_code=201)
def change_stage(
    deal_id: int, body: StageChangeIn, session: SessionDep, principal: PrincipalDep
) -> StageChange:
    """Move the deal to a stage of its playbook; the change is recorded with who and why."""
    deal = get_visible(session, Deal, deal_id, access.deals(principal), "deal")
    _may_change(session, principal, deal)
    change = StageChange(
        deal_id=deal_id,
        from_stage=deal.stage,
        to_stage=_check_stage(deal, body.stage),
        changed_by=principal.user_id,
        reason=body.reason,
    )
    deal.stage = body.stage
    session.add(deal)
    session.add(change)
    session.commit()
    return change


@router.get("/deals/{deal_id}/stages", response_model=list[StageChangeOut])
def stage_history(deal_id: int, session: SessionDep, principal: PrincipalDep) -> list[StageChange]:
    get_visible(session, Deal, deal_id, access.deals(principal), "deal")
    query = select(StageChange).where(StageChange.deal_id == deal_id)
    return list(session.exec(query.order_by(col(StageChange.id))))


@router.get("/deals/{deal_id}/ledger", response_model=LedgerOut)
def get_ledger(deal_id: int, session: SessionDep, principal: PrincipalDep) -> Response:
    """For each behavior: verified, detected or missing; the first call that shows it
    ("call 2 of 4") and by whom; then each stage's exit criteria, met or missing. Built from
    the calls the caller may see."""
    deal = get_visible_row(session, Deal, deal_id, access.deals(principal), "deal")
    ledger, calls = deal_ledger(session, deal.id, deal.playbook, access.calls(principal))
    ordered = sorted(calls, key=lambda c: (c.started_at, c.id))
    # the engine's dataclasses validate into the response model from their attributes, in
    # one pass with the encoding
    return json_response(
        LEDGER,
        {
            "deal_id": deal_id,
            "playbook": deal.playbook,
            "stage": deal.stage,
            "suggested_stage": ledger.suggested_stage,
            "calls": [c.id for c in ordered],
            "behaviors": ledger.behaviors,
            "stages": ledger.stages,
        },
    )
