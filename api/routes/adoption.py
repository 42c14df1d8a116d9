"""Adoption: per rep, per behavior, per week, and the team's bottleneck behavior."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import Session, col, select

from api import access
from api.auth import Principal
from api.deal_ledger import playbook_named
from api.deps import PrincipalDep, SessionDep, SettingsDep
from api.problems import Problem
from api.routes.common import Moment, get_visible
from api.schemas import AdoptionCellOut, AdoptionOut, BehaviorAdoptionOut
from api.tables import Call, Evidence, Team, User, utcnow
from engine.adoption import adoption_cells, bottleneck, team_adoption
from engine.playbook import bundled_playbooks
from engine.types import BehaviorAdoption, LedgerCall

router = APIRouter(tags=["adoption"])
DEFAULT_WEEKS = 12

Since = Annotated[Moment | None, Query(description="default: 12 weeks before until")]
Until = Annotated[Moment | None, Query(description="default: now")]


def _adoption(
    session: Session,
    principal: Principal,
    rep_ids: list[int],
    playbook: str,
    since: datetime | None,
    until: datetime | None,
) -> AdoptionOut:
    if playbook not in bundled_playbooks():
        raise Problem(422, f"playbook: unknown {playbook!r}")
    until = until or utcnow()
    since = since or until - timedelta(weeks=DEFAULT_WEEKS)
    if since >= until:
        raise Problem(422, "since must be before until")
    behaviors = [e.behavior for e in playbook_named(playbook).expected_behaviors]
    scope = (
        access.calls(principal),
        col(Call.rep_id).in_(rep_ids),
        Call.status == "done",
        col(Call.started_at) >= since,
        col(Call.started_at) < until,
    )
    # Plain rows of the columns needed, not ORM objects (a team's quarter is ~1,000 calls and
    # ~5,000 behaviors), and the calls as a subquery rather than a list of ids.
    connection = session.connection()
    ledger_calls = [
        LedgerCall(call_id, started_at, rep_id)
        for call_id, started_at, rep_id in connection.execute(
            select(Call.id, Call.started_at, Call.rep_id).where(*scope)
        )
    ]
    seen: dict[int, set[str]] = {}
    if ledger_calls:
        for call_id, behavior in connection.execute(
            select(Evidence.call_id, Evidence.behavior)
            .where(
                col(Evidence.call_id).in_(select(Call.id).where(*scope)),
                col(Evidence.behavior).in_(behaviors),
                Evidence.status != "rejected",
            )
            .distinct()
        ):
            seen.setdefault(call_id, set()).add(behavior)
    overall = team_adoption(ledger_calls, seen, behaviors)
    worst = bottleneck(overall)
    return AdoptionOut(
        playbook=playbook,
        since=since,
        until=until,
        cells=[
            AdoptionCellOut(
                rep_id=c.rep_id,
                week=c.week,
                behavior=c.behavior,
                calls=c.calls,
                calls_with=c.calls_with,
                rate=c.rate,
            )
            for c in adoption_cells(ledger_calls, seen, behaviors)
        ],
        overall=[_out(a) for a in overall],
        bottleneck=_out(worst) if worst else None,
    )


def _out(a: BehaviorAdoption) -> BehaviorAdoptionOut:
    return BehaviorAdoptionOut(
        behavior=a.behavior, calls=a.calls, calls_with=a.calls_with, rate=a.rate
    )


@router.get("/reps/{rep_id}/adoption", response_model=AdoptionOut)
def rep_adoption(
    rep_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    since: Since = None,
    until: Until = None,
    playbook: str | None = None,
) -> AdoptionOut:
    """How often each of the playbook's behaviors happened in the rep's calls, week by week."""
    get_visible(session, User, rep_id, access.users(principal), "user")
    return _adoption(
        session, principal, [rep_id], playbook or settings.default_playbook, since, until
    )


@router.get("/teams/{team_id}/adoption", response_model=AdoptionOut)
def team_adoption_route(
    team_id: int,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    since: Since = None,
    until: Until = None,
    playbook: str | None = None,
) -> AdoptionOut:
    """Every rep of the team, week by week, and the behavior the team does least."""
    get_visible(session, Team, team_id, access.teams(principal), "team")
    members = [
        u.id
        for u in session.exec(select(User).where(User.team_id == team_id, access.users(principal)))
        if u.id is not None
    ]
    return _adoption(
        session, principal, members, playbook or settings.default_playbook, since, until
    )
