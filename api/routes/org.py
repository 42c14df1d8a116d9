"""The organisation: who is calling, teams, users and their API tokens."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from api import access
from api.auth import issue_token
from api.deps import AdminDep, PrincipalDep, SessionDep
from api.problems import Problem
from api.routes.common import get_visible
from api.schemas import MeOut, TeamIn, TeamOut, TokenIn, TokenOut, UserIn, UserOut
from api.tables import ApiToken, Organisation, Team, User, utcnow

router = APIRouter(tags=["organisation"])


@router.get("/me", response_model=MeOut)
def me(session: SessionDep, principal: PrincipalDep) -> MeOut:
    user = session.get(User, principal.user_id)
    org = session.get(Organisation, principal.org_id)
    assert user is not None and org is not None
    return MeOut(user=UserOut.model_validate(user), org_id=org.id or 0, org_name=org.name)


@router.post("/teams", response_model=TeamOut, status_code=201)
def create_team(body: TeamIn, session: SessionDep, principal: AdminDep) -> Team:
    team = Team(org_id=principal.org_id, name=body.name)
    session.add(team)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Problem(409, f"a team named {body.name!r} exists") from exc
    return team


@router.get("/teams", response_model=list[TeamOut])
def list_teams(session: SessionDep, principal: PrincipalDep) -> list[Team]:
    return list(session.exec(select(Team).where(access.teams(principal)).order_by(col(Team.id))))


@router.get("/teams/{team_id}", response_model=TeamOut)
def get_team(team_id: int, session: SessionDep, principal: PrincipalDep) -> Team:
    return get_visible(session, Team, team_id, access.teams(principal), "team")


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserIn, session: SessionDep, principal: AdminDep) -> User:
    if body.team_id is not None:
        get_visible(session, Team, body.team_id, access.teams(principal), "team")
    user = User(
        org_id=principal.org_id,
        team_id=body.team_id,
        name=body.name,
        email=body.email.lower(),
        role=body.role,
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Problem(409, f"a user with email {body.email!r} exists") from exc
    return user


@router.get("/users", response_model=list[UserOut])
def list_users(session: SessionDep, principal: PrincipalDep) -> list[User]:
    return list(session.exec(select(User).where(access.users(principal)).order_by(col(User.id))))


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(user_id: int, session: SessionDep, principal: PrincipalDep) -> User:
    return get_visible(session, User, user_id, access.users(principal), "user")


def _own_or_admin(principal: PrincipalDep, user_id: int) -> None:
    if principal.role != "admin" and principal.user_id != user_id:
        raise Problem(403, "only an admin may manage another user's tokens")


@router.post("/users/{user_id}/tokens", response_model=TokenOut, status_code=201)
def create_token(
    user_id: int, body: TokenIn, session: SessionDep, principal: PrincipalDep
) -> TokenOut:
    """A new API token for the user (an admin, or the user themself); shown once."""
    user = get_visible(session, User, user_id, access.users(principal), "user")
    _own_or_admin(principal, user_id)
    token = issue_token(session, user, body.label)
    session.commit()
    return TokenOut(token=token, user_id=user_id, prefix=token[:10])


@router.delete("/users/{user_id}/tokens", status_code=204)
def revoke_tokens(user_id: int, session: SessionDep, principal: PrincipalDep) -> Response:
    """Revoke every token of the user (an admin, or the user themself)."""
    get_visible(session, User, user_id, access.users(principal), "user")
    _own_or_admin(principal, user_id)
    now: datetime = utcnow()
    for token in session.exec(
        select(ApiToken).where(ApiToken.user_id == user_id, col(ApiToken.revoked_at).is_(None))
    ):
        token.revoked_at = now
        session.add(token)
    session.commit()
    return Response(status_code=204)
