"""Adoption: per rep, per behavior, per week, and the team's bottleneck behavior."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import TypeAdapter
from sqlalchemy import Boolean, ColumnElement, Date, case, func
from sqlalchemy import select as sa_select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col, select

from api import access
from api.auth import Principal
from api.deal_ledger import check_playbook, playbook_named
from api.deps import PrincipalDep, SessionDep, SettingsDep
from api.problems import Problem
from api.routes.common import Moment, get_visible_row, json_response
from api.schemas import AdoptionOut
from api.tables import BEHAVIOR_SEPARATOR, Call, Team, User, utcnow
from engine.adoption import WeekCounts, bottleneck, cells_from_counts, overall_from_counts

router = APIRouter(tags=["adoption"])
DEFAULT_WEEKS = 12
ADOPTION = TypeAdapter(AdoptionOut)

Since = Annotated[Moment | None, Query(description="default: 12 weeks before until")]
Until = Annotated[Moment | None, Query(description="default: now")]


class week_start(FunctionElement[date]):
    """The Monday (UTC) of the ISO week of a stored UTC datetime, as a date: what
    engine.adoption.week_of gives, computed by the database."""

    type = Date()
    inherit_cache = True


@compiles(week_start, "sqlite")
def _week_start_sqlite(element: week_start, compiler: SQLCompiler, **kw: Any) -> str:
    # stored as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC: the day is the first ten characters
    # (SQLite's own parsing rounds to milliseconds, so 23:59:59.9995 would be the next day);
    # 'weekday 0' moves on to the Sunday (or stays on it), six days back is its Monday
    stored = compiler.process(element.clauses, **kw)
    return f"date(substr({stored}, 1, 10), 'weekday 0', '-6 days')"


@compiles(week_start, "postgresql")
def _week_start_postgresql(element: week_start, compiler: SQLCompiler, **kw: Any) -> str:
    # timestamptz: in UTC whatever the session's time zone, then truncated to its Monday
    return (
        f"CAST(date_trunc('week', {compiler.process(element.clauses, **kw)} "
        "AT TIME ZONE 'UTC') AS DATE)"
    )


class has_behavior(FunctionElement[bool]):
    """Whether a call's ``Call.behaviors`` names a behavior: a case-sensitive search for
    ``|behavior|`` (LIKE would be case-insensitive on SQLite and treat ``_`` as a wildcard)."""

    type = Boolean()
    inherit_cache = True


@compiles(has_behavior, "sqlite")
def _has_behavior_sqlite(element: has_behavior, compiler: SQLCompiler, **kw: Any) -> str:
    stored, wanted = (compiler.process(c, **kw) for c in element.clauses)
    return f"(instr({stored}, {wanted}) > 0)"


@compiles(has_behavior, "postgresql")
def _has_behavior_postgresql(element: has_behavior, compiler: SQLCompiler, **kw: Any) -> str:
    stored, wanted = (compiler.process(c, **kw) for c in element.clauses)
    return f"(strpos({stored}, {wanted}) > 0)"


def week_counts(
    session: Session, scope: ColumnElement[bool], behaviors: list[str]
) -> list[WeekCounts]:
    """Per rep and ISO week, the calls in ``scope`` and, per behavior, those with a detection
    of it that no reviewer rejected, counted by the database from the calls alone: each call
    row carries the behaviors it has such evidence of (``Call.behaviors``, kept up to date
    with its evidence), so a team's quarter (~1,000 calls) is read from the calls' index and
    rows, without its ~10,000 detections; one row per rep and week comes back."""
    week = week_start(col(Call.started_at))
    counted = [
        func.sum(
            case(
                (
                    has_behavior(
                        col(Call.behaviors), f"{BEHAVIOR_SEPARATOR}{b}{BEHAVIOR_SEPARATOR}"
                    ),
                    1,
                ),
                else_=0,
            )
        )
        for b in behaviors
    ]
    query = (
        sa_select(col(Call.rep_id), week, func.count(), *counted)
        .where(scope)
        .group_by(col(Call.rep_id), week)
    )
    rows: Any = session.connection().execute(query)
    return [
        WeekCounts(rep_id, monday, calls, dict(zip(behaviors, with_, strict=True)))
        for rep_id, monday, calls, *with_ in rows
    ]


def _adoption(
    session: Session,
    principal: Principal,
    reps: Any,
    playbook: str,
    since: datetime | None,
    until: datetime | None,
) -> Response:
    check_playbook(playbook)
    until = until or utcnow()
    since = since or until - timedelta(weeks=DEFAULT_WEEKS)
    if since >= until:
        raise Problem(422, "since must be before until")
    behaviors = [e.behavior for e in playbook_named(playbook).expected_behaviors]
    scope = (
        access.calls(principal)
        & col(Call.rep_id).in_(reps)
        & (col(Call.status) == "done")
        & (col(Call.started_at) >= since)
        & (col(Call.started_at) < until)
    )
    counts = week_counts(session, scope, behaviors)
    overall = overall_from_counts(counts, behaviors)
    return json_response(
        ADOPTION,
        {
            "playbook": playbook,
            "since": since,
            "until": until,
            "cells": cells_from_counts(counts, behaviors),
            "overall": overall,
            "bottleneck": bottleneck(overall),
        },
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
) -> Response:
    """How often each of the playbook's behaviors happened in the rep's calls, week by week."""
    get_visible_row(session, User, rep_id, access.users(principal), "user")
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
) -> Response:
    """Every rep of the team, week by week, and the behavior the team does least."""
    get_visible_row(session, Team, team_id, access.teams(principal), "team")
    members = select(col(User.id)).where(User.team_id == team_id, access.users(principal))
    return _adoption(
        session, principal, members, playbook or settings.default_playbook, since, until
    )
