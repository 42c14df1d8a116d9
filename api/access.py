"""Who may see what, as SQL conditions every query adds.

- an admin sees everything in their organisation;
- a manager sees their own calls and those of the reps in their team;
- a rep sees their own calls only;
- a deal is visible when its owner is, or when one of its calls is (so a rep sees a deal
  they called on); its ledger is built from the visible calls only;
- nobody sees another organisation's data: it answers 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, true
from sqlmodel import col, select

from api.auth import Principal
from api.tables import Call, Deal, Evidence, Job, Review, Team, User


def rep_scope(p: Principal, column: Any) -> ColumnElement[bool]:
    """Rows whose rep (``column`` holds a user id) this principal may see."""
    if p.role == "admin":
        return true()
    if p.role == "manager" and p.team_id is not None:
        team = select(User.id).where(User.org_id == p.org_id, User.team_id == p.team_id)
        return or_(column == p.user_id, column.in_(team))
    return column == p.user_id  # type: ignore[no-any-return]


def calls(p: Principal) -> ColumnElement[bool]:
    return and_(col(Call.org_id) == p.org_id, rep_scope(p, col(Call.rep_id)))


def evidence(p: Principal) -> ColumnElement[bool]:
    return and_(col(Evidence.org_id) == p.org_id, rep_scope(p, col(Evidence.rep_id)))


def jobs(p: Principal) -> ColumnElement[bool]:
    visible = select(Call.id).where(calls(p))
    return and_(col(Job.org_id) == p.org_id, col(Job.call_id).in_(visible))


def reviews(p: Principal) -> ColumnElement[bool]:
    visible = select(Evidence.id).where(evidence(p))
    return and_(col(Review.org_id) == p.org_id, col(Review.evidence_id).in_(visible))


def deals(p: Principal) -> ColumnElement[bool]:
    if p.role == "admin":
        return col(Deal.org_id) == p.org_id
    has_visible_call = exists().where(col(Call.deal_id) == col(Deal.id), calls(p))
    return and_(
        col(Deal.org_id) == p.org_id,
        or_(rep_scope(p, col(Deal.owner_id)), has_visible_call),
    )


def users(p: Principal) -> ColumnElement[bool]:
    return and_(col(User.org_id) == p.org_id, rep_scope(p, col(User.id)))


def teams(p: Principal) -> ColumnElement[bool]:
    if p.role == "admin":
        return col(Team.org_id) == p.org_id
    return and_(col(Team.org_id) == p.org_id, col(Team.id) == p.team_id)
